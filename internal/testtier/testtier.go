// Package testtier names the tiers of fwcheck's tests that need more than Go (root, network
// namespaces, real programs such as squid, a kube-apiserver or Prometheus) and says what
// happens to a test whose tier cannot run here: it skips and says why, or, with
// FWCHECK_LAB=require (CI sets it), it fails, so that no tier is skipped unseen.
package testtier

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the variable that turns a skipped tier into a failure: FWCHECK_LAB=require.
const RequireEnv = "FWCHECK_LAB"

// Required says whether a tier that cannot run fails its tests.
func Required() bool { return os.Getenv(RequireEnv) == "require" }

// Skip ends t because its tier cannot run here, for why: a skip, or a failure when required.
func Skip(t testing.TB, tier, why string) {
	t.Helper()
	if Required() {
		t.Fatalf("the %s tier cannot run here: %s (%s=require turns this skip into a failure)", tier, why, RequireEnv)
	}
	t.Skipf("the %s tier cannot run here: %s", tier, why)
}

// MissingTool is why a tier cannot run without one of tools ("" when all are on PATH), with
// the packages that bring them.
func MissingTool(install string, tools ...string) string {
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("%s is not installed (apt-get install %s)", tool, install)
		}
	}
	return ""
}

// NotRoot is why a tier that needs root cannot run ("" as root).
func NotRoot(what string) string {
	if os.Geteuid() != 0 {
		return "not root: " + what + " (run go test as root, as CI does)"
	}
	return ""
}

// Need skips (or fails) t unless every reason is "": the first that is not says why.
func Need(t testing.TB, tier string, whyNot ...string) {
	t.Helper()
	for _, why := range whyNot {
		if why != "" {
			Skip(t, tier, why)
		}
	}
}
