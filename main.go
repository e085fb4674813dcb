// Command fwcheck proves, from the machine it runs on, which firewall openings an IBM Cloud
// Kubernetes Service cluster needs are in place and which are missing.
//
// The command line lives in internal/cli, one check from facts to report in internal/run.
package main

import (
	"os"

	// CA roots compiled in, for a container with no base image (used only when the system has none).
	_ "golang.org/x/crypto/x509roots/fallback"

	"github.com/fwcheck/fwcheck/internal/cli"
)

func main() { os.Exit(cli.Main()) }
