package cli

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fwcheck/fwcheck/internal/testnet"
)

// TestWait: --wait checks again until every required opening is verified (a port that starts
// listening between two runs: exit 0, one line on stderr for the failed round, the report of
// the last run only), gives up with the last run's report when the wait is over, is one run
// under --dry-run, and is bad input when negative.
func TestWait(t *testing.T) {
	quick := machine{proxySettings: theMachine.proxySettings, waitPause: 200 * time.Millisecond}

	t.Run("opens while waiting", func(t *testing.T) {
		addr := testnet.Closed(t, "127.0.0.1")
		errOut := newRoundWatch()
		var out strings.Builder
		done := make(chan int)
		go func() {
			done <- runApp(context.Background(), []string{"fwcheck", "probe", addr, "--wait", "30s", "-o", "json"}, &out, errOut, noEnv, quick, nil)
		}()
		<-errOut.failed
		testnet.Accepting(t, "tcp", addr) // the firewall change, between two runs
		code := <-done
		var rep struct {
			Summary struct{ Verified, Missing int }
		}
		if err := json.Unmarshal([]byte(out.String()), &rep); err != nil || code != ExitOK || rep.Summary.Verified != 1 {
			t.Fatalf("exit %d, summary %+v (%v), stderr %q; want 0 and one verified", code, rep.Summary, err, errOut)
		}
		if !strings.Contains(errOut.String(), "checking again in 200ms (--wait 30s") || strings.Count(out.String(), `"schema"`) != 1 {
			t.Errorf("stderr %q, %d reports; want a line for each failed round and one report", errOut, strings.Count(out.String(), `"schema"`))
		}
	})

	t.Run("gives up", func(t *testing.T) {
		addr := testnet.Closed(t, "127.0.0.1")
		start := time.Now()
		code, out, errOut := fwcheck(t, nil, "probe", addr, "--wait", "500ms", "-o", "json")
		if code != ExitMissing || strings.Count(out, `"schema"`) != 1 || !strings.Contains(out, `"refused"`) ||
			!strings.Contains(errOut, "checking again") {
			t.Errorf("exit %d, stderr %q; want 1, the last run's report, a line for each round", code, errOut)
		}
		if time.Since(start) > 10*time.Second { // generous: the wait is 500 ms
			t.Errorf("took %s", time.Since(start))
		}
	})

	t.Run("dry run", func(t *testing.T) {
		code, _, errOut := fwcheck(t, nil, "probe", "127.0.0.1:1", "--wait", "1m", "--dry-run")
		if code != ExitOK || strings.Contains(errOut, "checking again") {
			t.Errorf("exit %d, stderr %q; want one dry run", code, errOut)
		}
	})

	t.Run("interrupted while waiting", func(t *testing.T) {
		addr := testnet.Closed(t, "127.0.0.1")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		errOut := newRoundWatch()
		go func() { <-errOut.failed; cancel() }() // between two runs
		var out strings.Builder
		code := runApp(ctx, []string{"fwcheck", "probe", addr, "--wait", "1m", "-o", "json"}, &out, errOut, noEnv, quick, nil)
		if code != ExitInterrupted || strings.Count(out.String(), `"schema"`) != 1 || !strings.Contains(errOut.String(), "while waiting to check again") {
			t.Errorf("exit %d, stderr %q; want 130 with the last run's report", code, errOut)
		}
	})

	code, _, errOut := fwcheck(t, nil, "probe", "127.0.0.1:1", "--wait", "-1s")
	if code != ExitBadInput || !strings.Contains(errOut, "--wait -1s must be zero or more") {
		t.Errorf("exit %d, %q; want 2 naming --wait", code, errOut)
	}
}

func noEnv(string) string { return "" }

// roundWatch is a stderr that says when --wait first reports a failed round.
type roundWatch struct {
	mu     sync.Mutex
	b      strings.Builder
	failed chan struct{}
	once   sync.Once
}

func newRoundWatch() *roundWatch { return &roundWatch{failed: make(chan struct{})} }

func (w *roundWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	if strings.Contains(w.b.String(), "checking again") {
		w.once.Do(func() { close(w.failed) })
	}
	return len(p), nil
}

func (w *roundWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
