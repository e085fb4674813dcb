package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReleaseBuildReportsRevision: a release build (with -buildvcs=true, as .ci/run makes
// them, whatever GOFLAGS says) reports the commit it was built from.
func TestReleaseBuildReportsRevision(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "fwcheck")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Dir, build.Env = repoRoot, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, args := range [][]string{{"version"}, {"--version"}} {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if !strings.Contains(string(out), "commit "+strings.TrimSpace(string(head))) || !strings.Contains(string(out), "catalog edition 2018-04-18") {
			t.Errorf("%v = %q; want the commit %s and the catalog edition", args, out, head)
		}
	}
}
