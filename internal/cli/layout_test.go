package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestLayout keeps the layout checkable: the prober imports no Kubernetes code, and the word
// "direct" lives in one constant.
func TestLayout(t *testing.T) {
	list := exec.Command("go", "list", "-deps", "./probe")
	list.Dir = repoRoot
	out, err := list.Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	if strings.Contains(string(out), "k8s.io/") {
		t.Error("probe depends on a k8s.io module; Kubernetes belongs to internal/run")
	}
	filepath.WalkDir(repoRoot, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() && strings.HasPrefix(d.Name(), ".") && path != repoRoot {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, _ := os.ReadFile(path)
		path, _ = filepath.Rel(repoRoot, path)
		if n := strings.Count(string(b), `"direct"`); n > 0 && !(path == filepath.Join("probe", "target.go") && n == 1) {
			t.Errorf(`%s: a "direct" literal; use probe.Direct`, path)
		}
		return nil
	})
}
