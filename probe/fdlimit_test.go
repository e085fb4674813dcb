//go:build linux

package probe_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/probe"
)

const childEnv = "FWCHECK_TEST_CHILD"

// childMain runs the out-of-descriptors scenario when the test binary is re-executed as a
// child; it reports whether it did.
func childMain() bool {
	if os.Getenv(childEnv) != "fd-starved" {
		return false
	}
	port, _ := strconv.Atoi(os.Getenv("FWCHECK_TEST_PORT"))
	// A low limit, as a container or launchd may impose, then every descriptor left in use:
	// the probes' sockets cannot be made.
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &syscall.Rlimit{Cur: 64, Max: 64}); err != nil {
		fmt.Println(err)
		os.Exit(3)
	}
	var held []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		held = append(held, f)
	}
	targets := []probe.Target{
		{Host: "127.0.0.1", Port: uint16(port), Check: probe.CheckTCP},
		{Host: "example.com", Addr: loopback, Port: uint16(port), Check: probe.CheckHTTPS},
		{Host: "name.example", Port: uint16(port), Check: probe.CheckTCP},
	}
	res := probe.New(probe.Config{Timeout: time.Second, Concurrency: 3, DNSServer: "127.0.0.1:1"}).Run(context.Background(), targets)
	var out []string
	for _, rs := range res {
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s|%s|%s", r.State, r.Reason, r.Detail))
		}
	}
	for _, f := range held {
		f.Close()
	}
	json.NewEncoder(os.Stdout).Encode(out)
	os.Exit(0)
	return true
}

// TestOutOfFileDescriptors re-executes the test binary with a low fd limit and every
// descriptor in use: each probe must be local-error, never refused, dns-error or unreachable.
func TestOutOfFileDescriptors(t *testing.T) {
	ln := newLocalListener(t, "tcp")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=fd-starved", "FWCHECK_TEST_PORT="+strconv.Itoa(int(port(ln))))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var lines []string
	if err := json.Unmarshal(out, &lines); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	if len(lines) != 3 {
		t.Fatalf("child gave %d results, want 3: %q", len(lines), lines)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, string(probe.LocalError)+"|") {
			t.Errorf("result %q; want local-error", l)
		}
	}
}
