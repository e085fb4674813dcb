package report

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestSpoolOutgrowsItsFile: a file that refuses records (a full disk; here a read-only
// descriptor, which the kernel refuses the same way) ends nothing. The batch it refused and
// every record after it stay in memory, the report reads back whole and in plan order, and the
// spool says how many openings its file holds.
func TestSpoolOutgrowsItsFile(t *testing.T) {
	const n = 1500
	for _, tc := range []struct {
		name   string
		refuse int // the file refuses records from the first flush after this many puts
	}{
		{"from the start", 0},
		{"after a batch", 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.CreateTemp(t.TempDir(), "spool")
			if err != nil {
				t.Fatal(err)
			}
			readOnly, err := os.Open(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			s := spoolOn(f, n)
			defer s.close()
			want := make([]Opening, n)
			for k := range n {
				i := (k * 7) % n // judged out of plan order, as probes finish
				if k == tc.refuse {
					f.Close()
					s.f = readOnly
				}
				// A missing opening's rule waits for the run's source, as one whose probes
				// named none does.
				dest := fmt.Sprintf("198.18.0.%d", i%250)
				want[i] = Opening{ID: fmt.Sprintf("probe-%d", i+1), Status: []string{Verified, Missing}[i%2], Protocol: "tcp",
					Probes: []Probe{{Host: dest, Address: dest, Port: 443, Dialed: true, Via: "direct",
						State: []string{"open", "refused"}[i%2], Detail: strings.Repeat("x", i%97)}}}
				if err := s.put(i, &want[i], want[i].Status == Missing); err != nil {
					t.Fatal(err)
				}
			}
			var r Report
			if err := s.finish(&r, "198.51.100.5"); err != nil {
				t.Fatal(err)
			}
			if s.failed == nil || s.tail == nil {
				t.Fatalf("the read-only file took every record (%d bytes on disk)", s.onDisk)
			}
			if tc.refuse > 0 && s.onDisk == 0 {
				t.Errorf("no record reached the file before it refused")
			}
			w := s.warning()
			t.Log(w)
			if !strings.Contains(w, fmt.Sprintf("took only %d of its %d openings", s.failedAt, n)) || !strings.Contains(w, "held in memory") || !strings.Contains(w, "TMPDIR") {
				t.Errorf("warning %q", w)
			}
			k := 0
			err = r.Each(func(o Opening) error {
				exp := want[k]
				if exp.Status == Missing {
					exp.Rule = "allow tcp from 198.51.100.5 to " + exp.Probes[0].Address + " port 443"
				}
				if o.ID != exp.ID || o.Status != exp.Status || o.Rule != exp.Rule || o.Probes[0].Detail != exp.Probes[0].Detail {
					return fmt.Errorf("opening %d read back as %s %s %q; want %s %s %q", k, o.ID, o.Status, o.Rule, exp.ID, exp.Status, exp.Rule)
				}
				k++
				return nil
			})
			if err != nil || k != n {
				t.Fatalf("read back %d of %d: %v", k, n, err)
			}
			missing := 0
			r.eachStatus(Missing, func(Opening) error { missing++; return nil })
			if missing != n/2 {
				t.Errorf("%d missing read back, want %d", missing, n/2)
			}
		})
	}
}
