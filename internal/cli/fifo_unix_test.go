//go:build unix

package cli

import (
	"path/filepath"
	"syscall"
	"testing"
)

// fifo is a named pipe: a file that blocks whoever opens it for reading.
func fifo(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	return p
}
