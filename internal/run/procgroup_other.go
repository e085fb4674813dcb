//go:build !unix

package run

import "os/exec"

// inOwnProcessGroup: elsewhere, cancelling kills the plugin itself (exec's default).
func inOwnProcessGroup(*exec.Cmd) {}
