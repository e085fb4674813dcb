//go:build unix

package run

import (
	"os/exec"
	"syscall"
)

// inOwnProcessGroup starts cmd in a process group of its own, and makes cancelling it kill
// the whole group: a plugin's own children go with it.
func inOwnProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
