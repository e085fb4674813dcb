package cli

import (
	"bytes"
	"os"
	"testing"
)

// TestProgressNeverOnAPipe: progress is for terminals only; a pipe or a buffer gets none.
func TestProgressNeverOnAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if newProgress(w, false) != nil || newProgress(&bytes.Buffer{}, false) != nil {
		t.Fatal("progress on a pipe or a buffer")
	}
}
