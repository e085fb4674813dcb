package lab

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	calico "github.com/projectcalico/api/pkg/apis/projectcalico/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
)

// policyReports are the reports the policy formats are read from: a dry run's plan (every
// opening, ranges and placeholders included) and a live loopback run with failures on one
// port, a run of ports and UDP.
func policyOutputs(t *testing.T, format string, extra ...string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	closed := testnet.Closed(t, "127.0.0.1")
	host, _, _ := strings.Cut(closed, ":")
	plan, live := filepath.Join(dir, "plan"), filepath.Join(dir, "live")
	if code, _, stderr := fwcheck(t, nil, append([]string{"worker", "--region", "us-south", "--private", "--pvc", "--dry-run", "-o", format + "=" + plan}, extra...)...); code != 0 {
		t.Fatalf("dry run: exit %d %s", code, stderr)
	}
	targets := []string{closed, "udp://" + host + ":1"}
	for _, p := range []string{"1", "2", "3", "5"} {
		targets = append(targets, host+":"+p)
	}
	if code, _, stderr := fwcheck(t, nil, append(append([]string{"probe", "--timeout", "1s", "-o", format + "=" + live}, extra...), targets...)...); code != 1 {
		t.Fatalf("live: exit %d %s", code, stderr)
	}
	return map[string]string{"plan": readFile(t, plan), "live": readFile(t, live)}
}

// TestCalicoDecodesStrictly: -o calico is a GlobalNetworkPolicy that Calico's own Go types
// read strictly, with the selector and order asked for.
func TestCalicoDecodesStrictly(t *testing.T) {
	for name, doc := range policyOutputs(t, "calico", "--calico-selector", "role == 'edge'", "--calico-order", "1500") {
		var p calico.GlobalNetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
			t.Fatalf("%s: Calico's types refuse it: %v\n%s", name, err, doc)
		}
		if p.Kind != "GlobalNetworkPolicy" || p.Spec.Selector != "role == 'edge'" || p.Spec.Order == nil || *p.Spec.Order != 1500 || len(p.Spec.Egress) == 0 {
			t.Errorf("%s: %+v", name, p)
		}
		for _, r := range p.Spec.Egress {
			if r.Action != calico.Allow || len(r.Destination.Nets) == 0 || r.Protocol == nil {
				t.Errorf("%s: rule %+v", name, r)
			}
		}
	}
}

// TestNetworkPolicyAcceptedByAPIServer: -o networkpolicy passes the real kube-apiserver's
// server-side dry run with strict field validation, in the namespace asked for.
func TestNetworkPolicyAcceptedByAPIServer(t *testing.T) {
	if _, err := exec.LookPath("etcd"); err != nil {
		testtier.Skip(t, "kube-apiserver", "the API server needs etcd (apt-get install etcd-server)")
	}
	cfg, _ := startAPIServer(t)
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	gvr := schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}
	for name, doc := range policyOutputs(t, "networkpolicy", "--policy-namespace", "kube-public") {
		var obj unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if obj.GetNamespace() != "kube-public" {
			t.Errorf("%s: namespace %q", name, obj.GetNamespace())
		}
		_, err := dyn.Resource(gvr).Namespace("kube-public").Create(context.Background(), &obj,
			metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}, FieldValidation: "Strict"})
		if err != nil {
			t.Errorf("%s: the API server refuses it: %v\n%s", name, err, doc)
		}
	}
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
