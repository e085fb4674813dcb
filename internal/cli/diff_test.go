package cli

import (
	"encoding/json"
	"net"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiff: fwcheck diff says what changed between two runs, opening by opening and vantage by
// vantage: a port that opened is newly verified (exit 0), one that closed is newly missing
// (exit 1: a regression); reports of another region are bad input.
func TestDiff(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	up := filepath.Join(dir, "up.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+up, addr); code != 0 {
		t.Fatalf("up: exit %d %s", code, stderr)
	}
	ln.Close()
	down := filepath.Join(dir, "down.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+down, addr); code != 1 {
		t.Fatalf("down: exit %d %s", code, stderr)
	}

	code, stdout, stderr := fwcheck(t, nil, "diff", "-o", "json", down, up)
	var d struct {
		Schema  string
		Summary struct{ NewlyVerified, NewlyMissing int } `json:"summary"`
		Changes []struct{ ID, Kind, Before, After string }
	}
	json.Unmarshal([]byte(strings.ReplaceAll(stdout, "newly_", "newly")), &d)
	if code != 0 || d.Schema != "fwcheck.diff/v1" || len(d.Changes) != 1 || d.Changes[0].Kind != "newly-verified" || d.Changes[0].Before != "missing" {
		t.Errorf("down -> up: exit %d (%s) %+v", code, stderr, d)
	}
	code, stdout, _ = fwcheck(t, nil, "diff", "--no-such-flag-is-not-here", down, up)
	if code != 2 {
		t.Errorf("an unknown flag: exit %d", code)
	}
	code, stdout, stderr = fwcheck(t, nil, "diff", up, down)
	if code != 1 || !strings.Contains(stdout, "newly-missing") || !strings.Contains(stdout, "verified -> missing (- -> refused:refused)") {
		t.Errorf("up -> down: exit %d (%s)\n%s", code, stderr, stdout)
	}
	for _, f := range []string{"markdown", "github"} {
		if code, stdout, _ := fwcheck(t, nil, "diff", "-o", f, up, down); code != 1 || !strings.Contains(stdout, "probe-1") {
			t.Errorf("-o %s: exit %d\n%s", f, code, stdout)
		}
	}
	if code, stdout, _ := fwcheck(t, nil, "diff", up, up); code != 0 || !strings.Contains(stdout, "no change") {
		t.Errorf("a report against itself: exit %d\n%s", code, stdout)
	}

	// Per vantage: node-b's port closed, node-a's did not.
	merged1, merged2 := filepath.Join(dir, "m1.json"), filepath.Join(dir, "m2.json")
	fwcheck(t, nil, "merge", "-o", "json="+merged1, up+"=node-a", up+"=node-b")
	fwcheck(t, nil, "merge", "-o", "json="+merged2, up+"=node-a", down+"=node-b")
	code, stdout, _ = fwcheck(t, nil, "diff", merged1, merged2)
	if code != 1 || !strings.Contains(stdout, "probe-1 @ node-b") || strings.Contains(stdout, "node-a") {
		t.Errorf("merged: exit %d\n%s", code, stdout)
	}

	other := mutate(t, up, func(r map[string]any) { r["region"] = "eu-central" })
	for _, args := range [][]string{{"diff", up, other}, {"diff", up}, {"diff", up, "/dev/zero"}, {"diff", "-o", "rules", up, down}} {
		if code, _, stderr := fwcheck(t, nil, args...); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d %q; want 2 and one line", args, code, stderr)
		}
	}
}
