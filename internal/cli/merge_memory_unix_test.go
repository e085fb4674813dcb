//go:build unix

package cli

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// TestMergeMemoryBounded: merge holds one report at a time, not their sum: the peak memory of
// merging four large reports stays near that of one (four reports of 57 MB once took 890 MB).
func TestMergeMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes reports of tens of MB")
	}
	dir := t.TempDir()
	closed := testnet.Closed(t, "127.0.0.1")
	one := filepath.Join(dir, "one.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+one, closed); code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	if raceEnabled {
		// Its shadow memory grows with the heap, and its merge of four took 80 s: memory under
		// the race detector is not the program's. .ci/run runs this test without it.
		t.Skip("measures the peak memory of merge: run without -race")
	}
	// A report of 40,000 openings, each as a real run writes it.
	n := 40000
	big := mutate(t, one, func(r map[string]any) {
		o := rawOpenings(r)[0]
		var many []any
		for i := range n {
			c := map[string]any{}
			for k, v := range o {
				c[k] = v
			}
			c["id"] = fmt.Sprintf("probe-%d", i+1)
			many = append(many, c)
		}
		r["openings"] = many
	})
	fi, _ := os.Stat(big)
	peak := func(files ...string) int64 {
		cmd := exec.Command(os.Args[0], append([]string{"merge", "-q", "-o", "json=" + filepath.Join(dir, "m.json")}, files...)...)
		cmd.Env = append(os.Environ(), asFwcheckEnv+"=1", "TMPDIR="+dir)
		if out, err := cmd.CombinedOutput(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 {
			t.Fatalf("merge: %v %s", err, out)
		}
		return cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10 // KiB on Linux
	}
	single := peak(big)
	four := peak(big+"=a", big+"=b", big+"=c", big+"=d")
	t.Logf("a report of %d MB: merging one peaked at %d MB, four at %d MB", fi.Size()>>20, single>>20, four>>20)
	if float64(four) > 1.6*float64(single) {
		t.Errorf("merging four reports peaked at %d MB, one at %d MB: memory follows their sum", four>>20, single>>20)
	}
}
