//go:build darwin

package sysproxy

import (
	"context"
	"os/exec"
	"time"
)

// Read asks scutil for the system's proxy settings.
func Read() (Settings, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "scutil", "--proxy").Output()
	if err != nil {
		return Settings{}, err
	}
	return ParseScutil(string(out)), nil
}
