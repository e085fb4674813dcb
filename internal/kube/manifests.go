// Package kube takes fwcheck onto a cluster's nodes: the hardened manifests (a Job per node,
// a DaemonSet for the watch mode, the RBAC they need), the orchestration of `fwcheck nodes`
// through client-go, and the framing of a report in a pod's log.
package kube

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Labels every object fwcheck makes carries, so that they can be found and deleted.
const (
	LabelApp  = "app.kubernetes.io/name"
	AppName   = "fwcheck"
	LabelNode = "fwcheck.io/node"
	LabelRun  = "fwcheck.io/run"
	// Container is the container's name in every pod fwcheck makes.
	Container = "fwcheck"
	// PrivilegedLabel lets hostNetwork pods in the namespace (refused under "baseline").
	PrivilegedLabel = "pod-security.kubernetes.io/enforce"
)

// podSpec is the hardened pod of every fwcheck workload: the host's network (the node's own
// firewall is what is checked) and its resolver, no service account token, non-root, no
// capability, a read-only root, bounded resources.
func podSpec(image string, args []string, node string) corev1.PodSpec {
	f := false
	t := true
	uid := int64(65532)
	return corev1.PodSpec{
		NodeName:                     node,
		HostNetwork:                  true,
		DNSPolicy:                    corev1.DNSDefault,
		AutomountServiceAccountToken: &f,
		Tolerations:                  []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: &t, RunAsUser: &uid, RunAsGroup: &uid,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
		Containers: []corev1.Container{{
			Name: Container, Image: image, Args: args, ImagePullPolicy: corev1.PullIfNotPresent,
			SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: &f, ReadOnlyRootFilesystem: &t,
				Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
			},
		}},
	}
}

// Job is the one-shot check of one node: pinned to it by nodeName, never restarted.
func Job(namespace, name, run, node, image string, args []string, deadline time.Duration, proxySecret string) *batchv1.Job {
	zero := int32(0)
	ttl := int32(600)
	secs := int64(deadline / time.Second)
	labels := map[string]string{LabelApp: AppName, LabelNode: node, LabelRun: run}
	spec := podSpec(image, args, node)
	spec.RestartPolicy = corev1.RestartPolicyNever
	if proxySecret != "" {
		spec.Containers[0].Env = proxyEnv(proxySecret)
	}
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			BackoffLimit: &zero, ActiveDeadlineSeconds: &secs, TTLSecondsAfterFinished: &ttl,
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec},
		},
	}
}

// DaemonSet runs `fwcheck serve` on every node, with the scrape annotations Prometheus's
// kubernetes-pods discovery reads.
// The proxy credentials come from the Secret proxySecret (ScrubArgs takes them out of args).
//
// account, if not empty, is the service account the pods run as, with its token mounted (a
// worker check reads the etcd endpoint with it); otherwise they have none.
func DaemonSet(namespace, image, listen string, interval time.Duration, args []string, proxySecret, account string) *appsv1.DaemonSet {
	labels := map[string]string{LabelApp: AppName}
	port := "9310"
	if i := strings.LastIndex(listen, ":"); i >= 0 && listen[i+1:] != "" {
		port = listen[i+1:]
	}
	// A hostNetwork pod listening on every interface would serve /metrics on the node's public
	// address too: it listens on the node's own address (the downward API's status.hostIP),
	// which Prometheus scrapes, unless --listen named a host.
	if strings.HasPrefix(listen, ":") {
		listen = "$(HOST_IP)" + listen
	}
	full := append([]string{"serve", "--listen", listen, "--interval", interval.String()}, args...)
	spec := podSpec("", full, "")
	if account != "" {
		t := true
		spec.ServiceAccountName, spec.AutomountServiceAccountToken = account, &t
	}
	c := &spec.Containers[0]
	c.Image = image
	// A report too large for memory spools to TMPDIR: a small emptyDir, since the root is
	// read-only and the image has no /tmp.
	c.Env = append(proxyEnv(proxySecret), corev1.EnvVar{Name: "TMPDIR", Value: "/tmp"},
		corev1.EnvVar{Name: "HOST_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.hostIP"}}})
	size := resource.MustParse("64Mi")
	spec.Volumes = []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: &size}}}}
	c.VolumeMounts = []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}}
	p, _ := strconv.Atoi(port)
	c.Ports = []corev1.ContainerPort{{Name: "metrics", ContainerPort: int32(p)}}
	// Ready while the check runs and its report is fresh; alive while the loop goes round: a
	// configuration error makes the pod unready (and alerts), never a restart loop.
	probeOn := func(path string, failures int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString("metrics")}},
			PeriodSeconds: 30, TimeoutSeconds: 5, FailureThreshold: failures}
	}
	c.ReadinessProbe = probeOn("/healthz", 1)
	c.LivenessProbe = probeOn("/livez", 3)
	c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez", Port: intstr.FromString("metrics")}},
		PeriodSeconds: 5, FailureThreshold: 24}
	return &appsv1.DaemonSet{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"},
		ObjectMeta: metav1.ObjectMeta{Name: "fwcheck", Namespace: namespace, Labels: labels},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels, Annotations: map[string]string{
					"prometheus.io/scrape": "true", "prometheus.io/port": port, "prometheus.io/path": "/metrics"}},
				Spec: spec,
			},
		},
	}
}

// EtcdReaderAccount is the service account of the DaemonSet's pods when they read the etcd
// endpoint.
const EtcdReaderAccount = "fwcheck"

// EtcdReader is what a worker check in the DaemonSet needs to read the etcd endpoint: a service
// account in namespace, and in kube-system a Role that gets the two ConfigMaps the pages name
// (calico-config, cluster-info) and nothing else, bound to it. The Jobs of `fwcheck nodes`
// get no account and no token.
func EtcdReader(namespace string) []runtime.Object {
	subject := rbacv1.Subject{Kind: "ServiceAccount", Name: EtcdReaderAccount, Namespace: namespace}
	name := "fwcheck-etcd-endpoint"
	return []runtime.Object{
		&corev1.ServiceAccount{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
			ObjectMeta: metav1.ObjectMeta{Name: EtcdReaderAccount, Namespace: namespace, Labels: map[string]string{LabelApp: AppName}}},
		&rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{LabelApp: AppName}},
			Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"configmaps"},
				ResourceNames: []string{"calico-config", "cluster-info"}, Verbs: []string{"get"}}}},
		&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "kube-system", Labels: map[string]string{LabelApp: AppName}},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{subject}},
	}
}

// Namespace is fwcheck's namespace, labeled so that hostNetwork pods are admitted.
func Namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{PrivilegedLabel: "privileged", LabelApp: AppName}}}
}

// RBAC is what a user of `fwcheck nodes` needs: to list nodes (a ClusterRole) and, in the
// namespace, to manage jobs and pods and read pod logs (a Role), bound to subject.
func RBAC(namespace string, subject rbacv1.Subject) []runtime.Object {
	return []runtime.Object{
		// The namespace first, with its Pod Security label: on a fresh cluster the Role has
		// nowhere to go without it, and the hostNetwork pods would be refused.
		Namespace(namespace),
		&rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"},
			ObjectMeta: metav1.ObjectMeta{Name: "fwcheck-nodes"},
			Rules: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}},
				{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "create", "patch"}},
			}},
		&rbacv1.ClusterRoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: "fwcheck-nodes"},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "fwcheck-nodes"},
			Subjects:   []rbacv1.Subject{subject}},
		&rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"},
			ObjectMeta: metav1.ObjectMeta{Name: "fwcheck-nodes", Namespace: namespace},
			Rules: []rbacv1.PolicyRule{
				// deletecollection: the run's Jobs are removed by their label at the end.
				{APIGroups: []string{"batch"}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch", "create", "delete", "deletecollection"}},
				{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "delete"}},
				{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			}},
		&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"},
			ObjectMeta: metav1.ObjectMeta{Name: "fwcheck-nodes", Namespace: namespace},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "fwcheck-nodes"},
			Subjects:   []rbacv1.Subject{subject}},
	}
}

// YAML writes objects as YAML documents, without what is the API's to write (status,
// creationTimestamp) or empty.
func YAML(objs ...runtime.Object) string {
	var b bytes.Buffer
	for i, o := range objs {
		if i > 0 {
			b.WriteString("---\n")
		}
		raw, err := json.Marshal(o)
		if err != nil {
			fmt.Fprintf(&b, "# %v\n", err)
			continue
		}
		var m map[string]any
		json.Unmarshal(raw, &m)
		delete(m, "status")
		out, err := yaml.Marshal(prune(m))
		if err != nil {
			fmt.Fprintf(&b, "# %v\n", err)
			continue
		}
		b.Write(out)
	}
	return b.String()
}

// prune drops nulls, empty maps and creationTimestamp, recursively.
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e = prune(e)
			if mm, ok := e.(map[string]any); e == nil || k == "creationTimestamp" || ok && len(mm) == 0 {
				delete(x, k)
				continue
			}
			x[k] = e
		}
		return x
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	}
	return v
}
