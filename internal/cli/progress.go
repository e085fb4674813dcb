package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-isatty"

	"github.com/fwcheck/fwcheck/probe"
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
	f, ok := w.(*os.File)
	if quiet || !ok || !isatty.IsTerminal(f.Fd()) {
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
			fmt.Fprintf(p.w, "\r\x1b[Kprobing: %d / %d done, %d failed so far", p.done.Load(), p.total, p.failed.Load())
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
