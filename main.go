// Command fwcheck proves, from the machine it runs on, which firewall openings an IBM Cloud
// Kubernetes Service cluster needs are in place and which are missing.
package main

import (
	"context"
	"os"
	"runtime/pprof"
)

func main() {
	if f := os.Getenv("FWCHECK_CPUPROFILE"); f != "" {
		// For finding where the time goes (BENCHMARKS.md); not a user-facing flag.
		if out, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(out)
		}
	}
	ctx, stop := withSignals(context.Background())
	code := run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
	stop()
	pprof.StopCPUProfile()
	os.Exit(code)
}
