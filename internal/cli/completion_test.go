package cli

import (
	"slices"
	"strings"
	"testing"
)

// TestComplete: what `fwcheck __complete bash LINE` offers, the line being what is typed up to
// the cursor. The values come from the same registry as help: a new flag or region completes
// without a change here.
func TestComplete(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string // exactly, in order; nil for nothing
	}{
		{"fwcheck ", []string{"workstation", "worker", "inbound", "probe", "nodes", "merge", "diff", "serve", "catalog", "completion", "version", "help"}},
		{"fwcheck w", []string{"workstation", "worker"}},
		{"fwcheck -", []string{"--help", "--version"}},
		{"fwcheck worker --re", []string{"--region", "--retries", "--resolve"}},
		{"fwcheck worker --region ", regionNames()},
		{"fwcheck worker --region=us", []string{"us-east", "us-south"}}, // the shell keeps "--region="
		{"fwcheck --no-color worker --region u", []string{"uk-south", "us-east", "us-south"}},
		{"fwcheck worker --region us-south --location dal1", []string{"dal10", "dal12", "dal13"}},
		// What the command accepts: a location only today's page has picks that edition; with
		// an edition typed, only its locations.
		{"fwcheck worker --region us-south --location s", []string{"sao01", "sjc03", "sjc04"}},
		{"fwcheck worker --edition 2018-04-18 --region us-south --location s", []string{"sao01"}},
		{"fwcheck worker --edition current --region us-south --location s", []string{"sjc03", "sjc04"}},
		{"fwcheck worker --region US South --location s", nil}, // two words: "South" is an argument, and us-south was never named
		{"fwcheck workstation --edition ", []string{"2018-04-18", "2025-07-08", "current"}},
		{"fwcheck worker -o j", []string{"json", "junit"}},
		{"fwcheck worker -o json=", []string{filesDirective}},
		{"fwcheck worker --output=json=r", []string{filesDirective}},
		{"fwcheck worker --skip mon", []string{"monitoring"}},
		{"fwcheck worker --catalog ", []string{filesDirective}},
		{"fwcheck worker --timeout ", nil},
		{"fwcheck probe --targets-file x", []string{filesDirective}},
		{"fwcheck probe --sk", nil}, // --skip has no effect on probe: not in its help, not offered
		{"fwcheck probe ", []string{"tcp://", "udp://", "tls://", "http://", "https://"}},
		{"fwcheck probe 127.0.0.1:443 h", []string{"http://", "https://"}},
		{"fwcheck probe https://", nil}, // a host is the user's to type
		{"fwcheck catalog ", []string{"list", "show", "export", "validate"}},
		{"fwcheck catalog show us", []string{"us-east", "us-south"}},
		{"fwcheck catalog show us-south ", nil},
		{"fwcheck catalog validate ", []string{filesDirective}},
		{"fwcheck merge a.json ", []string{filesDirective}},
		{"fwcheck serve --interval 1m wor", []string{"workstation", "worker"}},
		{"fwcheck serve worker --skip l", []string{"logging", "loadbalancer"}},
		{"fwcheck nodes --rb", []string{"--rbac", "--rbac-user"}},
		{"fwcheck completion ", []string{"bash", "zsh"}},
		{"fwcheck help wor", []string{"workstation", "worker"}},
		{"fwcheck nope --re", nil},
		{"fwcheck", nil},
	} {
		code, out, _ := fwcheck(t, nil, "__complete", "bash", tc.line)
		got := strings.Fields(out)
		if code != 0 || !slices.Equal(got, tc.want) {
			t.Errorf("%q: exit %d, %q; want %q", tc.line, code, got, tc.want)
		}
	}
}

func TestCompletionScript(t *testing.T) {
	for shell, want := range map[string]string{"bash": "complete -F _fwcheck fwcheck", "zsh": "bashcompinit"} {
		if code, out, _ := fwcheck(t, nil, "completion", shell); code != 0 || !strings.Contains(out, want) || !strings.Contains(out, completeCommand) {
			t.Errorf("completion %s: exit %d:\n%s", shell, code, out)
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if code, _, errOut := fwcheck(t, nil, args...); code != ExitBadInput || !strings.Contains(errOut, "bash, zsh") {
			t.Errorf("%q: exit %d, %q; want 2 naming the shells", args, code, errOut)
		}
	}
}
