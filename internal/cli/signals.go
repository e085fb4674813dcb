package cli

import (
	"context"
	"errors"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// Exit codes of a run cut short by a signal, as shells report them (128 + the signal).
const (
	ExitInterrupted = 130 // SIGINT
	ExitTerminated  = 143 // SIGTERM
)

// signalCause is the cause of a context cancelled by a signal.
type signalCause struct{ sig os.Signal }

func (c signalCause) Error() string { return "received " + c.sig.String() }

// WithSignals returns a context cancelled, with the signal as its cause, by the first SIGINT or
// SIGTERM; a second one ends the process at once, as the user asked twice.
func WithSignals(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel(signalCause{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(ch)
		close(done)
		cancel(nil)
	}
}

// interruptedCode is the exit code for a run whose context ended: 143 after SIGTERM, else 130
// (SIGINT, or a cancellation with no signal behind it).
func interruptedCode(ctx context.Context) int {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) && sc.sig == syscall.SIGTERM {
		return ExitTerminated
	}
	return ExitInterrupted
}

// interruptedBy names what ended the run, for its last line on stderr.
func interruptedBy(ctx context.Context) string {
	var sc signalCause
	if errors.As(context.Cause(ctx), &sc) {
		if sc.sig == syscall.SIGTERM {
			return "SIGTERM"
		}
		return "SIGINT"
	}
	return "cancelled"
}

// Main is fwcheck as a process: the arguments, streams and environment of this one, SIGINT
// and SIGTERM cancelling the run; it returns the exit code.
func Main() int {
	if f := os.Getenv("FWCHECK_CPUPROFILE"); f != "" {
		// For finding where the time goes (BENCHMARKS.md); not a user-facing flag.
		if out, err := os.Create(f); err == nil {
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := WithSignals(context.Background())
	defer stop()
	return Run(ctx, os.Args, os.Stdout, os.Stderr, os.Getenv)
}
