//go:build !unix

package cli

import "testing"

func fifo(t *testing.T) string {
	t.Helper()
	t.Skip("no FIFO on this system")
	return ""
}
