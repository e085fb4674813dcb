package lab

import (
	"os"
	"os/exec"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// tier is a group of tests that needs more than Go, and why it cannot run here ("" if it can).
type tier struct {
	name, what string
	whyNot     func() string
}

// firstOf is the first reason that is not "".
func firstOf(reasons ...func() string) string {
	for _, r := range reasons {
		if why := r(); why != "" {
			return why
		}
	}
	return ""
}

func pythonHas(module string) func() string {
	return func() string {
		// Debian's python3, which has the packages (another python3 on PATH may not).
		if exec.Command("/usr/bin/python3", "-c", "import "+module).Run() != nil {
			return "python3-" + module + " is not installed (apt-get install python3-" + module + ")"
		}
		return ""
	}
}

func labWhyNot() string {
	return firstOf(func() string { return testtier.NotRoot("the e2e lab creates network namespaces") },
		func() string {
			return testtier.MissingTool("iproute2 nftables squid dnsmasq-base", "ip", "nft", "squid", "dnsmasq")
		},
		func() string {
			if out, err := exec.Command("unshare", "--net", "true").CombinedOutput(); err != nil {
				return "no network namespace can be made here: " + string(out)
			}
			return ""
		})
}

var tiers = []tier{
	{"lab", "the e2e lab: namespaces, nftables, squid, dnsmasq (TestLab*)", labWhyNot},
	{"kube-apiserver", "a real kube-apiserver and etcd (TestLabNodes*, TestLabInCluster, TestNetworkPolicyAcceptedByAPIServer)", func() string {
		return firstOf(func() string {
			if _, err := os.Stat(apiServerBin()); err != nil {
				return "no kube-apiserver at " + apiServerBin() + ": build it with testdata/kube-apiserver/build.sh (about 10 minutes once)"
			}
			return ""
		}, func() string { return testtier.MissingTool("etcd-server", "etcd") })
	}},
	{"kerberos", "an MIT KDC behind a Negotiate squid (TestLabPACWithNegotiate)", func() string {
		return testtier.MissingTool("krb5-kdc krb5-admin-server krb5-user", "krb5kdc", "kdb5_util", "kinit")
	}},
	{"image", "the image unpacked by skopeo and umoci, run from its root (TestImageServesFromItsRoot, TestLabInCluster)", func() string {
		return firstOf(func() string { return testtier.NotRoot("the image's root is mounted read-only") },
			func() string { return testtier.MissingTool("skopeo umoci", "skopeo", "umoci", "unshare", "chroot") })
	}},
	{"prometheus", "a Prometheus server and promtool (TestAlertRules, TestLabInCluster)", func() string {
		return testtier.MissingTool("prometheus", "prometheus", "promtool")
	}},
	{"kubectl", "kubectl applying the manifests (TestLabNodes, TestLabInCluster)", func() string {
		return testtier.MissingTool("kubernetes-client", "kubectl")
	}},
	{"junit", "xmllint and junitparser reading JUnit (TestJUnitReadByItsConsumers)", func() string {
		return firstOf(func() string { return testtier.MissingTool("libxml2-utils", "xmllint") }, pythonHas("junitparser"))
	}},
	{"cmark-gfm", "GitHub's Markdown renderer (TestOutputsEscapeOtherProgramsText)", func() string { return testtier.MissingTool("cmark-gfm", "cmark-gfm") }},
	{"iptables", "iptables-restore and ip6tables-restore loading -o iptables (TestLabRulesLoop, TestLabIP6tablesLoads)", func() string {
		return testtier.MissingTool("iptables", "iptables", "ip6tables")
	}},
	{"pacparser", "Debian's PAC engine to compare with (probe/pac TestAgainstPacparser)", pythonHas("pacparser")},
	{"root", "root for mounts (TestReportOutgrowsFullDisk)", func() string { return testtier.NotRoot("a tmpfs is mounted") }},
}

// TestTiers says which test tiers run here and why the others do not, one line each: go test
// hides a passing package's skips, so this is where to look (go test -run TestTiers -v .).
// With FWCHECK_LAB=require (CI sets it as root), a tier that cannot run fails here too.
func TestTiers(t *testing.T) {
	for _, tr := range tiers {
		if why := tr.whyNot(); why != "" {
			t.Logf("tier %-14s skipped: %s", tr.name, why)
			if testtier.Required() {
				t.Errorf("the %s tier cannot run (%s=require): %s", tr.name, testtier.RequireEnv, why)
			}
		} else {
			t.Logf("tier %-14s runs: %s", tr.name, tr.what)
		}
	}
}
