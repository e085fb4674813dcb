package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOutputsAreAtomic: a report file is replaced whole at the end, never truncated at the
// start; two outputs to one destination are bad input.
func TestOutputsAreAtomic(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "r.json")
	os.WriteFile(file, []byte("the previous report\n"), 0o644)
	silent := silentServer(t)
	done := make(chan int)
	go func() {
		code, _, _ := fwcheck(t, nil, "probe", "--timeout", "1s", "-o", "json="+file, "http://"+silent+"/")
		done <- code
	}()
	time.Sleep(300 * time.Millisecond)
	if b, _ := os.ReadFile(file); string(b) != "the previous report\n" {
		t.Errorf("mid-run the report file holds %q; the old one must stay until the new one is whole", b)
	}
	if code := <-done; code != 1 {
		t.Errorf("exit %d", code)
	}
	b, _ := os.ReadFile(file)
	decodeReport(t, string(b))
	if left, _ := filepath.Glob(filepath.Join(dir, ".r.json.fwcheck-*")); len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
	// A device is written in place, never renamed over.
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json=/dev/null", "--dry-run", "127.0.0.1:1"); code != 0 {
		t.Errorf("-o json=/dev/null: exit %d (%s)", code, stderr)
	}
	for _, args := range [][]string{
		{"-o", "json=" + file, "-o", "text=" + file},
		{"-o", "json=" + file, "-o", "text=" + filepath.Join(dir, ".", "r.json")},
		{"-o", "json", "-o", "text"},
		{"-o", "json=-", "-o", "text"},
		{"-o", "json=/dev/stdout", "-o", "rules=-"},
	} {
		code, stdout, stderr := fwcheck(t, nil, append(append([]string{"probe", "--dry-run"}, args...), "127.0.0.1:1")...)
		if code != ExitBadInput || stdout != "" || !strings.Contains(stderr, "write to the same destination") {
			t.Errorf("%v: exit %d, stderr %q; want 2", args, code, stderr)
		}
	}
	if code, stdout, _ := fwcheck(t, nil, "probe", "--dry-run", "-o", "json=-", "127.0.0.1:1"); code != 0 || !strings.HasPrefix(stdout, "{") {
		t.Errorf("-o json=-: exit %d, stdout %.40q", code, stdout)
	}
}
