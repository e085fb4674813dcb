package cli

import (
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testtier"
)

// TestReportOutgrowsFullDisk: a run whose TMPDIR fills up while it probes (a tmpfs of 128 KiB,
// so the kernel's own ENOSPC, part-way through a write) still ends with its verdict and a whole
// report, and says on stderr that the rest of the report was held in memory. Root only: it
// mounts the tmpfs.
func TestReportOutgrowsFullDisk(t *testing.T) {
	testtier.Need(t, "root", testtier.NotRoot("mounting a small tmpfs"))
	small := t.TempDir()
	if err := syscall.Mount("fwcheck-test", small, "tmpfs", 0, "size=128k"); err != nil {
		t.Skipf("no tmpfs to fill: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(small, syscall.MNT_DETACH) })
	t.Setenv("TMPDIR", small)
	targets := mixedTargets(t, t.TempDir())

	code, out, errOut := fwcheck(t, nil, "probe", "--targets-file", targets, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d (%s); want 1", code, errOut)
	}
	checkMixedReport(t, []byte(out))
	if !strings.Contains(errOut, "fwcheck: warning: the report's temporary file in "+small+" took only ") ||
		!strings.Contains(errOut, "no space left on device") || !strings.Contains(errOut, "held in memory") {
		t.Errorf("stderr %q; want a warning that the temporary file filled up", errOut)
	}
	if entries, _ := os.ReadDir(small); len(entries) != 0 {
		t.Errorf("the run left %d file(s) in TMPDIR", len(entries))
	}
}
