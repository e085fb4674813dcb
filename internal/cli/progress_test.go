package cli

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
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

// TestSizeLine: a long run's size in words a person reads: the probes with thousands
// separators, and the worst case rounded as people say durations.
func TestSizeLine(t *testing.T) {
	for _, tc := range []struct {
		total, concurrency int
		want               string
	}{
		{467215, 1024, "467,215 probes, 1024 at a time: up to about 8m if a firewall drops them all"},
		{12000, 1024, "12,000 probes, 1024 at a time: up to about 12s if"},
		{10000, 1, "10,000 probes, 1 at a time: up to about 2h50m if"},
	} {
		if got := sizeLine(tc.total, tc.concurrency); !strings.HasPrefix(got, tc.want) {
			t.Errorf("sizeLine(%d, %d) = %q; want it to start %q", tc.total, tc.concurrency, got, tc.want)
		}
	}
	for d, want := range map[time.Duration]string{1988 * time.Millisecond: "2s", 90 * time.Second: "2m", 100 * time.Minute: "1h40m", 200 * time.Millisecond: "200ms"} {
		if got := roundForPeople(d); got != want {
			t.Errorf("roundForPeople(%s) = %q; want %q", d, got, want)
		}
	}
}
