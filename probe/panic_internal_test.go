//go:build linux

package probe

import (
	"net"
	"testing"
	"time"
)

// TestEnginePanicIsAResult: a panic inside the connect engine becomes a local-error for the
// probes that engine loop held, its slots go back, and every other probe still gets its
// result: the run neither crashes, nor hangs, nor reports a target without a result.
func TestEnginePanicIsAResult(t *testing.T) {
	var ports []uint16
	for range 6 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, uint16(ln.Addr().(*net.TCPAddr).Port))
		ln.Close()
	}
	boom := ports[2]
	prober := New(Config{Timeout: time.Second, Concurrency: 1})
	prober.launchHook = func(tg Target) {
		if tg.Port == boom {
			panic("injected")
		}
	}
	var targets []Target
	for _, p := range ports {
		targets = append(targets, Target{Host: "127.0.0.1", Port: p, Check: CheckTCP})
	}
	// One slot: a slot the panicking loop failed to give back would hang the rest.
	done := make(chan [][]Result)
	go func() { done <- prober.Run(t.Context(), targets) }()
	var rs [][]Result
	select {
	case rs = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the run hung after a panic in the engine")
	}
	panicked := 0
	for i, r := range rs {
		if len(r) != 1 {
			t.Fatalf("target %d: %d results", i, len(r))
		}
		switch r[0].State {
		case LocalError:
			if r[0].Reason != "local-error:panic" {
				t.Errorf("target %d: %s (%s)", i, r[0].Reason, r[0].Detail)
			}
			panicked++
		case Refused:
		default:
			t.Errorf("target %d: %s (%s); want refused or local-error:panic", i, r[0].State, r[0].Detail)
		}
		if r[0].OK() {
			t.Errorf("target %d passed", i)
		}
	}
	if rs[2][0].State != LocalError || panicked == 0 {
		t.Errorf("the panicking target = %s; want local-error", rs[2][0].State)
	}
}
