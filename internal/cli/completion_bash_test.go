package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// asFwcheckEnv makes the test binary run as fwcheck (TestMain), for a shell to call.
const asFwcheckEnv = "GO_TEST_AS_FWCHECK"

// TestCompletionInBash loads `fwcheck completion bash` into a real bash and completes lines
// the way bash's programmable completion calls the function: COMP_LINE and COMP_POINT set,
// COMPREPLY read back. The fwcheck on the PATH is this test binary.
func TestCompletionInBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	bin := t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(exe, filepath.Join(bin, "fwcheck")); err != nil {
		t.Fatal(err)
	}
	code, script, _ := fwcheck(t, nil, "completion", "bash")
	if code != 0 {
		t.Fatalf("completion bash: exit %d", code)
	}
	scriptFile := filepath.Join(bin, "fwcheck.bash")
	os.WriteFile(scriptFile, []byte(script), 0o644)
	work := t.TempDir() // the directory file names complete in
	for _, f := range []string{"catalog.yaml", "cat-2.yaml", "report.json"} {
		os.WriteFile(filepath.Join(work, f), nil, 0o644)
	}

	for _, tc := range []struct {
		line string
		want []string // COMPREPLY, sorted
	}{
		{"fwcheck wor", []string{"worker", "workstation"}},
		{"fwcheck worker --region us-", []string{"us-east", "us-south"}},
		{"fwcheck worker --region=us-s", []string{"us-south"}}, // bash completes the word after "="
		{"fwcheck worker --pr", []string{"--private", "--proxy"}},
		{"fwcheck worker --catalog cat", []string{"cat-2.yaml", "catalog.yaml"}},
		{"fwcheck worker -o json=rep", []string{"report.json"}},
		{"fwcheck catalog validate ", []string{"cat-2.yaml", "catalog.yaml", "report.json"}},
		{"fwcheck worker --timeout ", nil},
		{"fwcheck probe t", []string{"tcp://", "tls://"}},
	} {
		cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `
source "$1"
COMP_LINE=$2
COMP_POINT=${#2}
read -ra COMP_WORDS <<<"$2"
[[ $2 == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
_fwcheck
printf '%s\n' "${COMPREPLY[@]}"
complete -p fwcheck >&2`, "bash", scriptFile, tc.line)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), asFwcheckEnv+"=1")
		var errb strings.Builder
		cmd.Stderr = &errb
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v: %s", tc.line, err, errb.String())
		}
		got := strings.Fields(string(out))
		slices.Sort(got)
		if !slices.Equal(got, tc.want) || !strings.Contains(errb.String(), "complete -F _fwcheck fwcheck") {
			t.Errorf("%q: COMPREPLY %q, want %q (stderr %q)", tc.line, got, tc.want, errb.String())
		}
	}
}
