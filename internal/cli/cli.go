package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/fwcheck/fwcheck/internal/quote"
	"github.com/fwcheck/fwcheck/internal/run"
	"github.com/fwcheck/fwcheck/internal/sysproxy"
)

// Set by a release build: -ldflags "-X github.com/fwcheck/fwcheck/internal/cli.version=v1.2.3
// -X github.com/fwcheck/fwcheck/internal/cli.commit=abc123"; otherwise read from the build info.
var (
	version = ""
	commit  = ""
)

// Exit codes: the contract scripts depend on.
const (
	ExitOK       = 0
	ExitMissing  = 1
	ExitBadInput = 2
)

// session is what every command reads and writes beyond its flags: the standard streams,
// the environment, the machine, the flags typed on the command line (the rest came from
// FWCHECK_*), and capture, where a check command hands its options instead of running (serve
// parses its check so).
type session struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	machine        machine
	typed          *map[string]bool
	capture        func(*options) error
}

// machine is what a check takes from the computer beyond its arguments and environment: the
// operating system's proxy settings, how long --wait pauses between runs, and the standard
// input `--targets-file -` reads. Tests pass their own to runApp; nothing is a package
// variable written after start-up.
type machine struct {
	proxySettings func() (sysproxy.Settings, error)
	waitPause     time.Duration
	stdin         io.Reader
}

// theMachine is the real one: the system's settings (Windows, macOS), a 5 s pause, os.Stdin.
var theMachine = machine{proxySettings: sysproxy.Read, waitPause: 5 * time.Second, stdin: os.Stdin}

// exited is a command's result when it is not bad input: the exit code of a run (0, 1, 130,
// 143), or 2 after the command has said why itself. It is urfave's cli.ExitCoder with nothing
// to print; runApp turns every command's error into its code, in one place.
func exited(code int) error {
	if code == ExitOK {
		return nil
	}
	return cli.Exit("", code)
}

// usageError is bad input: exit 2 with one line naming the input.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func badInput(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// Run is the whole program behind main, with its I/O and environment passed in.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	return runApp(ctx, args, stdout, stderr, getenv, theMachine, nil)
}

// parsedCheck is a check command's arguments as the run they describe.
type parsedCheck struct {
	opts  *options
	input run.Input
}

// parseCheck reads a check command's arguments (`COMMAND ARGS`, as `fwcheck COMMAND ARGS`
// takes them) into the run they describe, without running it: serve parses its check once at
// start-up and then calls run.Run itself. Its error is the one line the command would print.
func parseCheck(ctx context.Context, args []string, getenv func(string) string, m machine) (*parsedCheck, error) {
	var parsed *parsedCheck
	var errb strings.Builder
	capture := func(o *options) error {
		in, err := o.input()
		parsed = &parsedCheck{o, in}
		return err
	}
	if code := runApp(ctx, append([]string{"fwcheck"}, args...), io.Discard, &errb, getenv, m, capture); code != ExitOK || parsed == nil {
		return nil, errors.New(strings.TrimSpace(strings.TrimPrefix(firstLine(errb.String()), "fwcheck: ")))
	}
	return parsed, nil
}

// runApp runs the app; with capture, a check command hands its options to capture instead of
// running.
func runApp(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, m machine, capture func(*options) error) int {
	var typed map[string]bool
	notFound := false
	app := newApp(session{stdout, stderr, getenv, m, &typed, capture}, func() { notFound = true })
	if len(args) == 4 && args[1] == completeCommand {
		complete(app, args[3], stdout) // the shell's question: it has no exit code to read
		return ExitOK
	}
	args = normalize(app, args)
	typed = typedFlags(args)
	err := app.RunContext(ctx, args)
	var result cli.ExitCoder
	switch {
	case notFound: // urfave's CommandNotFound has no error to return: it has said why
		return ExitBadInput
	case err == nil:
		return ExitOK
	case errors.As(err, &result) && err.Error() == "":
		return result.ExitCode()
	}
	fmt.Fprintf(stderr, "fwcheck: %s\n", errorLine(plainError(err.Error())))
	return ExitBadInput
}

// MaxErrorLine bounds the one line bad input gets: whatever was typed, it fits a terminal
// or two, and no URL's credentials survive in it.
const MaxErrorLine = 400

func errorLine(s string) string {
	s = quote.Userinfo(oneLine(s))
	if len(s) > MaxErrorLine {
		cut := MaxErrorLine
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// Parser internals a user cannot act on, and what to say instead.
var (
	reEnvParse  = regexp.MustCompile(`could not parse "(.*?)" as (\w+) value from (?:env var|environment variable) "(\w+)" for flag [\w-]+: .*`)
	reSysPrefix = regexp.MustCompile(`\b(?:stat|open|lstat|read) (\S+): `)
	reStrconv   = regexp.MustCompile(`strconv\.\w+: parsing "[^"]*": `)
)

// plainError rewrites the parsers' words into the user's: the variable and the values it
// takes instead of strconv's, a file name instead of the syscall that failed on it.
func plainError(s string) string {
	if m := reEnvParse.FindStringSubmatch(s); m != nil {
		return m[3] + "=" + quote.Value(m[1]) + ": " + valueHint(m[2], m[1])
	}
	s = reSysPrefix.ReplaceAllString(s, "$1: ")
	return reStrconv.ReplaceAllString(s, "")
}

// valueHint says what a value of a kind looks like.
func valueHint(kind, got string) string {
	switch kind {
	case "bool":
		return "not true or false (1, 0, t, f, true, false, TRUE, FALSE also work)"
	case "duration", "int64":
		if _, err := strconv.Atoi(got); err == nil && kind == "duration" {
			return "add a unit: " + got + "s (ms, s, m, h)"
		}
		if kind == "duration" {
			return "not a duration such as 500ms, 5s or 1m"
		}
		return "not a whole number"
	case "int":
		return "not a whole number"
	}
	return "not a valid " + kind
}

func versionString() (v, c string) {
	v, c = version, commit
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		modified := false
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && c != "" && commit == "" {
			c += ", modified"
		}
	}
	if v == "" {
		v = "dev"
	}
	if c == "" {
		c = "unknown"
	}
	return v, c
}

// quoteValue quotes at most quote.Max characters of a value typed or read.
func quoteValue(s string) string { return quote.Value(s) }
