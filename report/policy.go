package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// Defaults of the policy formats. The Calico selector and order are those of IBM's own sample
// policies for the workers' public interface (IBM-Cloud/kube-samples,
// calico-policies/public-network-isolation: allow-public-services).
const (
	DefaultPolicyNamespace = "default"
	DefaultCalicoSelector  = "ibm.role == 'worker_public'"
	DefaultCalicoOrder     = 1800
	policyName             = "fwcheck-egress"
)

// writeNetworkPolicy writes a Kubernetes NetworkPolicy that lets the pods of namespace reach
// the grants' destinations and ports (egress, ipBlock per CIDR). A NetworkPolicy selects
// pods, so the grants' sources (this machine's addresses) are not part of it.
func writeNetworkPolicy(w io.Writer, r *Report, namespace string) error {
	grants, unplaced, err := GrantsOf(r)
	if err != nil {
		return err
	}
	np := networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: policyName, Namespace: orDefault(namespace, DefaultPolicyNamespace)},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress:      []networkingv1.NetworkPolicyEgressRule{},
		},
	}
	for _, g := range grants {
		rule := networkingv1.NetworkPolicyEgressRule{}
		for _, d := range g.Dests {
			rule.To = append(rule.To, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: d.String()}})
		}
		proto := corev1.ProtocolTCP
		if g.Protocol == "udp" {
			proto = corev1.ProtocolUDP
		}
		if g.AnyPort {
			rule.Ports = []networkingv1.NetworkPolicyPort{{Protocol: &proto}}
		}
		for _, pr := range g.Ports {
			port := intstr.FromInt32(int32(pr.Lo))
			np := networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &port}
			if pr.Hi != pr.Lo {
				end := int32(pr.Hi)
				np.EndPort = &end
			}
			rule.Ports = append(rule.Ports, np)
		}
		np.Spec.Egress = append(np.Spec.Egress, rule)
	}
	return writePolicyYAML(w, r, unplaced, len(grants), "NetworkPolicy "+np.Namespace+"/"+np.Name, np)
}

// calicoPolicy is a Calico GlobalNetworkPolicy (projectcalico.org/v3) in the fields fwcheck
// writes; its test decodes it strictly with Calico's own types.
type calicoPolicy struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   metav1.ObjectMeta `json:"metadata"`
	Spec       calicoPolicySpec  `json:"spec"`
}

type calicoPolicySpec struct {
	Order    float64      `json:"order"`
	Selector string       `json:"selector"`
	Types    []string     `json:"types"`
	Egress   []calicoRule `json:"egress"`
}

type calicoRule struct {
	Action      string       `json:"action"`
	Protocol    string       `json:"protocol"`
	Source      calicoEntity `json:"source"`
	Destination calicoEntity `json:"destination"`
}

type calicoEntity struct {
	Nets  []string `json:"nets,omitempty"`
	Ports []any    `json:"ports,omitempty"` // a number, or "LO:HI"
}

// writeCalico writes a Calico GlobalNetworkPolicy allowing the grants as egress from the host
// endpoints selector selects (on IBM Cloud Kubernetes Service, the workers' public interface).
func writeCalico(w io.Writer, r *Report, selector string, order int) error {
	grants, unplaced, err := GrantsOf(r)
	if err != nil {
		return err
	}
	if order == 0 {
		order = DefaultCalicoOrder
	}
	p := calicoPolicy{APIVersion: "projectcalico.org/v3", Kind: "GlobalNetworkPolicy",
		Metadata: metav1.ObjectMeta{Name: policyName},
		Spec:     calicoPolicySpec{Order: float64(order), Selector: orDefault(selector, DefaultCalicoSelector), Types: []string{"Egress"}, Egress: []calicoRule{}}}
	for _, g := range grants {
		rule := calicoRule{Action: "Allow", Protocol: map[string]string{"tcp": "TCP", "udp": "UDP"}[g.Protocol]}
		for _, s := range g.Sources {
			rule.Source.Nets = append(rule.Source.Nets, s.String())
		}
		for _, d := range g.Dests {
			rule.Destination.Nets = append(rule.Destination.Nets, d.String())
		}
		for _, pr := range g.Ports {
			if pr.Lo == pr.Hi {
				rule.Destination.Ports = append(rule.Destination.Ports, int(pr.Lo))
			} else {
				rule.Destination.Ports = append(rule.Destination.Ports, strconv.Itoa(int(pr.Lo))+":"+strconv.Itoa(int(pr.Hi)))
			}
		}
		p.Spec.Egress = append(p.Spec.Egress, rule)
	}
	return writePolicyYAML(w, r, unplaced, len(grants), "GlobalNetworkPolicy "+policyName, p)
}

func writePolicyYAML(w io.Writer, r *Report, unplaced []Unplaced, n int, object string, obj any) error {
	data, err := yaml.Marshal(obj)
	if err != nil {
		return err
	}
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# fwcheck: %s, as %d egress rules of the %s.\n# Apply: kubectl apply -f FILE.\n", what(r), n, object)
	commentLines(b, r, unplaced)
	b.Write(data)
	return b.Flush()
}
