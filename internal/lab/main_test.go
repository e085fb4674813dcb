package lab

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/fwcheck/fwcheck/internal/cli"
)

// asFwcheckEnv makes the test binary run as fwcheck (TestMain), for a shell or a lab
// namespace to call.
const asFwcheckEnv = "GO_TEST_AS_FWCHECK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(labServerEnv); dir != "" {
		labServe(dir)
		return
	}
	if os.Getenv(asFwcheckEnv) != "" {
		os.Exit(cli.Run(context.Background(), os.Args, os.Stdout, os.Stderr, os.Getenv))
	}
	// The lab runs what a user runs at the repository's root: the docs' command lines, the
	// catalog and testdata by their paths there.
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		panic(err)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		if theLab != nil {
			theLab.stop()
		}
		os.Exit(code)
	}))
}

// fwcheck runs the CLI in-process, through its one exported door, with env as the whole
// environment (KUBECONFIG never the developer's).
func fwcheck(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string {
		if v, ok := env[k]; ok || k != "KUBECONFIG" {
			return v
		}
		return "/nonexistent/kubeconfig"
	}
	code = cli.Run(t.Context(), append([]string{"fwcheck"}, args...), &out, &errb, getenv)
	return code, out.String(), errb.String()
}
