package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fwcheck/fwcheck/internal/testnet"
	"github.com/fwcheck/fwcheck/internal/testtier"
	"github.com/fwcheck/fwcheck/report"
)

// TestOutputsEscapeOtherProgramsText: strings a merged report brings from other machines
// (opening ids, sections, destinations, details, vantage names and zones) reach no output raw:
// no control character repaints a terminal, no line becomes a GitHub workflow command, and
// cmark-gfm reads the Markdown table with its six columns and no markup of theirs.
func TestOutputsEscapeOtherProgramsText(t *testing.T) {
	dir := t.TempDir()
	closed := testnet.Closed(t, "127.0.0.1")
	base := filepath.Join(dir, "base.json")
	if code, _, stderr := fwcheck(t, nil, "probe", "-o", "json="+base, closed); code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	const esc = "\x1b[2J\x1b]0;pwned\x07"
	hostile := mutate(t, base, func(r map[string]any) {
		o := rawOpenings(r)[0]
		o["id"] = "probe-1" + esc + "\n::error::pwned-id"
		o["section"] = "::add-mask::pwned-section"
		o["title"] = "x\r\n::stop-commands::pwned-title"
		o["destinations"] = []any{"a|b", "<b>bold</b>", "`code`"}
		p := o["probes"].([]any)[0].(map[string]any)
		p["detail"] = esc + "\n  ::warning::pwned-detail \\| <script>x</script>"
		p["host"] = "h|`x`"
		r["findings"] = []any{map[string]any{"kind": "dns", "summary": "::error::pwned-finding" + esc, "detail": "\n::debug::x", "targets": []any{}}}
	})
	vantage := "node|<b>x</b>`y`\\*z*" + esc
	args := []string{"merge", "-v", hostile + "=" + vantage + "@zone" + esc + "|"}
	out := map[string]string{}
	for _, f := range report.Formats() {
		file := filepath.Join(dir, f)
		args = append(args, "-o", f+"="+file)
		defer func() { b, _ := os.ReadFile(file); out[f] = string(b) }()
	}
	code, stdout, stderr := fwcheck(t, nil, args...)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, f := range report.Formats() {
		b, _ := os.ReadFile(filepath.Join(dir, f))
		out[f] = string(b)
	}
	out["stdout+stderr"] = stdout + stderr
	ours := regexp.MustCompile(`^::(error|warning|notice) title=[^\n]*::`)
	for f, s := range out {
		if f == "json" || f == "frame" {
			continue // JSON escapes control characters itself
		}
		if strings.ContainsAny(s, "\x1b\x07\r") {
			t.Errorf("%s: a control character from the report is in the output", f)
		}
		for _, line := range strings.Split(s, "\n") {
			if trimmed := strings.TrimLeft(line, " \t"); strings.HasPrefix(trimmed, "::") && (f != "github" || !ours.MatchString(line)) {
				t.Errorf("%s: a line another program wrote is a workflow command: %q", f, line)
			}
		}
	}
	if strings.Contains(out["github"], "::stop-commands") || strings.Contains(out["github"], "::add-mask") {
		t.Errorf("github: a workflow command of the report's own: %s", out["github"])
	}

	cmark, err := exec.LookPath("cmark-gfm")
	if err != nil {
		testtier.Skip(t, "cmark-gfm", "cmark-gfm is not installed (apt-get install cmark-gfm): the Markdown is not rendered")
	}
	cmd := exec.Command(cmark, "-e", "table")
	cmd.Stdin = strings.NewReader(out["markdown"])
	html, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmark-gfm: %v", err)
	}
	rows := regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(string(html), -1)
	if len(rows) != 2 {
		t.Fatalf("cmark-gfm read %d table rows, want a header and one opening:\n%s", len(rows), html)
	}
	for _, row := range rows {
		if n := len(regexp.MustCompile(`<t[hd][ >]`).FindAllString(row[1], -1)); n != 6 {
			t.Errorf("a row of %d cells, want 6: %s", n, row[1])
		}
	}
	for _, tag := range []string{"<b>", "<script>", "<em>"} {
		if strings.Contains(string(html), tag) {
			t.Errorf("the report's text became markup %s:\n%s", tag, html)
		}
	}
	for _, cell := range regexp.MustCompile(`(?s)<td>(.*?)</td>`).FindAllStringSubmatch(string(html), -1) {
		if strings.Contains(cell[1], "<") {
			t.Errorf("markup in a cell: %s", cell[1])
		}
	}
	// The vantage name reads back as the text it is, backslash and all.
	if !strings.Contains(string(html), "<td>node|&lt;b&gt;x&lt;/b&gt;`y`\\*z*") {
		t.Errorf("the vantage name does not read back as text:\n%s", html)
	}
}

// TestCSVReadBack: -o csv is read by Python's csv module, as a ticket system's import reads it:
// eight columns on every row, and no cell another program wrote starts a formula.
func TestCSVReadBack(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		testtier.Skip(t, "python3", "no python3")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	fwcheck(t, nil, "probe", "-o", "json="+base, testnet.Closed(t, "127.0.0.1"), testnet.Closed(t, "127.0.0.1"))
	hostile := mutate(t, base, func(r map[string]any) {
		o := rawOpenings(r)[0]
		o["id"], o["section"] = "=HYPERLINK(\"http://x\")", "+cmd|' /C calc'!A0"
	})
	csvFile := filepath.Join(dir, "out.csv")
	if code, _, stderr := fwcheck(t, nil, "merge", "-o", "csv="+csvFile, hostile); code != 1 {
		t.Fatalf("exit %d %s", code, stderr)
	}
	out, err := exec.Command(python, "-c", `
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
print(len(rows), set(len(r) for r in rows), sum(1 for r in rows[1:] for c in r if c and c[0] in "=+-@"))
`, csvFile).Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != "3 {8} 0" {
		t.Errorf("csv.reader read %q; want 3 rows (a header and two openings) of 8 cells, no formula", got)
	}
}
