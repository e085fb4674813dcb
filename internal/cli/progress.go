package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fwcheck/fwcheck/probe"
	"github.com/fwcheck/fwcheck/report"
)

// progressDelay: runs shorter than this finish before any progress is shown.
const progressDelay = 2 * time.Second

// progressEvery is how often the progress line is redrawn.
const progressEvery = 250 * time.Millisecond

// progress shows "done / total, failures so far" on a terminal's stderr during a long run.
type progress struct {
	w            io.Writer
	total        int
	done, failed atomic.Int64
	stop         chan struct{}
	stopOnce     sync.Once
	wg           sync.WaitGroup
}

// newProgress returns nil unless w is a terminal: never on a pipe or in a file.
func newProgress(w io.Writer, quiet bool) *progress {
	if _, ok := terminal(w); quiet || !ok {
		return nil
	}
	return &progress{w: w, stop: make(chan struct{})}
}

func (p *progress) observe(rs []probe.Result) {
	p.done.Add(1)
	for _, r := range rs {
		if r.State.Severity() == probe.Fail {
			p.failed.Add(1)
			break
		}
	}
}

// start shows progress over total targets once the run has taken progressDelay.
func (p *progress) start(total int) {
	p.total = total
	started := time.Now()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-time.After(progressDelay):
		case <-p.stop:
			return
		}
		tick := time.NewTicker(progressEvery)
		defer tick.Stop()
		for {
			done := p.done.Load()
			left := ""
			if elapsed := time.Since(started); done > 0 && int(done) < p.total {
				// At the rate so far: dropped probes come last, so this is on the short side.
				left = ", about " + roundForPeople(time.Duration(float64(elapsed)/float64(done)*float64(p.total-int(done)))) + " left"
			}
			fmt.Fprintf(p.w, "\r\x1b[Kprobing: %d / %d done, %d failed so far%s", done, p.total, p.failed.Load(), left)
			select {
			case <-tick.C:
			case <-p.stop:
				fmt.Fprint(p.w, "\r\x1b[K")
				return
			}
		}
	}()
}

// finish clears the progress line; it may be called more than once.
func (p *progress) finish() {
	p.stopOnce.Do(func() { close(p.stop) })
	p.wg.Wait()
}

// bigRun is how many probes make a run worth a line of its size before it starts.
const bigRun = 10000

// sizeLine says what total probes cost, concurrency at a time: a probe that gets an answer
// takes milliseconds, a dropped one about a second (its SYNs over the adaptive wait), so a run
// that a firewall drops whole takes about a second a round.
func sizeLine(total, concurrency int) string {
	rounds := (total + concurrency - 1) / concurrency
	return fmt.Sprintf("%s probes, %d at a time: up to about %s if a firewall drops them all (about 1s each), far less if they answer",
		report.Thousands(total), concurrency, roundForPeople(time.Duration(rounds)*time.Second))
}

// roundForPeople is a duration as a person says it: 200ms, 2s, 45s, 8m, 1h20m.
func roundForPeople(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	}
	return strings.TrimSuffix(d.Round(10*time.Minute).String(), "0s")
}
