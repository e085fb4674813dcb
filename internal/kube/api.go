package kube

import (
	"context"
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

// API is what `fwcheck nodes` asks of a cluster: its nodes, the run's namespace, the run's Jobs
// and pods, and a pod's log.
type API interface {
	ListNodes(ctx context.Context, selector string) ([]corev1.Node, error)
	GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error)
	CreateNamespace(ctx context.Context, ns *corev1.Namespace) error
	MergePatchNamespace(ctx context.Context, name string, patch []byte) error
	CreateJob(ctx context.Context, job *batchv1.Job) error
	ListJobs(ctx context.Context, namespace, selector string) ([]batchv1.Job, error)
	DeleteJobs(ctx context.Context, namespace, selector string) error
	DeleteJob(ctx context.Context, namespace, name string) error
	ListPods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error)
	DeletePod(ctx context.Context, namespace, name string) error
	PodLog(ctx context.Context, namespace, pod, container string, limitBytes int64) ([]byte, error)
}

// scheme knows the API groups fwcheck touches, and no other: client-go's clientset registers
// every group there is, which doubled the binary (57 MB against 31 MB, stripped) and a
// quarter of every run's memory, for a command that needs three kinds.
var (
	scheme = runtime.NewScheme()
	codecs = serializer.NewCodecFactory(scheme)
)

func init() {
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, batchv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err) // the types are fixed at build time: this cannot fail
		}
	}
}

// cluster is API over the API server's REST interface.
type cluster struct{ core, batch rest.Interface }

// NewCluster is the API of the cluster cfg points to.
func NewCluster(cfg *rest.Config) (API, error) {
	core, err := restClient(cfg, "/api", corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	batch, err := restClient(cfg, "/apis", batchv1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	return &cluster{core, batch}, nil
}

func restClient(cfg *rest.Config, apiPath string, gv schema.GroupVersion) (*rest.RESTClient, error) {
	c := rest.CopyConfig(cfg)
	c.APIPath, c.GroupVersion = apiPath, &gv
	c.NegotiatedSerializer = codecs.WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	// client-go's default limit (5 requests a second, bursts of 10) made 200 nodes take 80 s:
	// a Job and a log read each, in a row. kubectl's limits; the API server's priority and
	// fairness protects it. The polling is two requests a tick however many nodes there are.
	if c.QPS == 0 {
		c.QPS, c.Burst = 50, 300
	}
	rc, err := rest.RESTClientFor(c)
	if err != nil {
		return nil, fmt.Errorf("cannot make a client for %s: %v", cfg.Host, err)
	}
	return rc, nil
}

var background = metav1.DeletePropagationBackground

func (c *cluster) ListNodes(ctx context.Context, selector string) ([]corev1.Node, error) {
	var list corev1.NodeList
	err := c.core.Get().Resource("nodes").Param("labelSelector", selector).Do(ctx).Into(&list)
	return list.Items, err
}

func (c *cluster) GetNamespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	var ns corev1.Namespace
	if err := c.core.Get().Resource("namespaces").Name(name).Do(ctx).Into(&ns); err != nil {
		return nil, err
	}
	return &ns, nil
}

func (c *cluster) CreateNamespace(ctx context.Context, ns *corev1.Namespace) error {
	return c.core.Post().Resource("namespaces").Body(ns).Do(ctx).Error()
}

func (c *cluster) MergePatchNamespace(ctx context.Context, name string, patch []byte) error {
	return c.core.Patch(types.MergePatchType).Resource("namespaces").Name(name).Body(patch).Do(ctx).Error()
}

func (c *cluster) CreateJob(ctx context.Context, job *batchv1.Job) error {
	return c.batch.Post().Namespace(job.Namespace).Resource("jobs").Body(job).Do(ctx).Error()
}

func (c *cluster) ListJobs(ctx context.Context, namespace, selector string) ([]batchv1.Job, error) {
	var list batchv1.JobList
	err := c.batch.Get().Namespace(namespace).Resource("jobs").Param("labelSelector", selector).Do(ctx).Into(&list)
	return list.Items, err
}

func (c *cluster) DeleteJobs(ctx context.Context, namespace, selector string) error {
	return c.batch.Delete().Namespace(namespace).Resource("jobs").Param("labelSelector", selector).
		Body(&metav1.DeleteOptions{PropagationPolicy: &background}).Do(ctx).Error()
}

func (c *cluster) DeleteJob(ctx context.Context, namespace, name string) error {
	return c.batch.Delete().Namespace(namespace).Resource("jobs").Name(name).
		Body(&metav1.DeleteOptions{PropagationPolicy: &background}).Do(ctx).Error()
}

func (c *cluster) ListPods(ctx context.Context, namespace, selector string) ([]corev1.Pod, error) {
	var list corev1.PodList
	err := c.core.Get().Namespace(namespace).Resource("pods").Param("labelSelector", selector).Do(ctx).Into(&list)
	return list.Items, err
}

func (c *cluster) DeletePod(ctx context.Context, namespace, name string) error {
	return c.core.Delete().Namespace(namespace).Resource("pods").Name(name).Do(ctx).Error()
}

func (c *cluster) PodLog(ctx context.Context, namespace, pod, container string, limitBytes int64) ([]byte, error) {
	return c.core.Get().Namespace(namespace).Resource("pods").Name(pod).SubResource("log").
		Param("container", container).Param("limitBytes", strconv.FormatInt(limitBytes, 10)).Do(ctx).Raw()
}
