package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fwcheck/fwcheck/report"
)

// A sink is one -o destination. A regular file is written to a temporary file beside it and
// renamed into place at the end, so that a killed run, a full disk or a broken pipe never
// leaves half a report where a whole one was; a device, FIFO or stdout is written directly.
type sink struct {
	format, name string
	writer       report.Writer
	stdout       bool
	direct       bool     // a device or FIFO: opened and written in place
	tmp          *os.File // the temporary file of a regular-file destination
}

// stdoutNames are the paths that are stdout for every reader of the command line.
var stdoutNames = map[string]bool{"-": true, "/dev/stdout": true, "/dev/fd/1": true, "/proc/self/fd/1": true}

// openOutputs checks every -o destination before anything is dialed (a bad path fails fast;
// two outputs to one destination are bad input) and prepares the temporary files.
func openOutputs(o *outputOptions, stdout io.Writer) ([]*sink, error) {
	var sinks []*sink
	type dest struct {
		spec string
		info os.FileInfo
	}
	seen := map[string]dest{}
	var stdoutInfo os.FileInfo
	if f, ok := stdout.(*os.File); ok {
		stdoutInfo, _ = f.Stat()
	}
	fail := func(err error) ([]*sink, error) {
		discard(sinks)
		return nil, err
	}
	for _, spec := range o.outputs {
		s := &sink{format: spec.format, name: "stdout", stdout: spec.file == "" || stdoutNames[spec.file]}
		key, label := "stdout", spec.format
		if spec.file != "" {
			label += "=" + spec.file
		}
		var info os.FileInfo
		if !s.stdout {
			abs, err := filepath.Abs(spec.file)
			if err != nil {
				return fail(badInput("-o %s=%s: %v", spec.format, quoteValue(spec.file), err))
			}
			s.name, key, label = spec.file, abs, spec.format+"="+spec.file
			if fi, err := os.Stat(abs); err == nil {
				info = fi
				if fi.IsDir() {
					return fail(badInput("-o %s: %s is a directory", label, quoteValue(spec.file)))
				}
				s.direct = !fi.Mode().IsRegular()
				if stdoutInfo != nil && os.SameFile(fi, stdoutInfo) {
					key = "stdout"
				}
			}
		}
		for k, d := range seen {
			if k == key || info != nil && d.info != nil && os.SameFile(info, d.info) {
				return fail(badInput("-o %s and -o %s write to the same destination: give each output its own file", d.spec, label))
			}
		}
		seen[key] = dest{label, info}
		if !s.stdout && !s.direct {
			dir, base := filepath.Split(key)
			tmp, err := os.CreateTemp(dir, "."+base+".fwcheck-*")
			if err != nil {
				return fail(badInput("-o %s: cannot write in %s: %v", label, quoteValue(filepath.Dir(spec.file)), pathError(err)))
			}
			s.tmp = tmp
		}
		color := s.stdout && allowsColor(stdout, o.noColor, o.getenv)
		w, err := report.New(spec.format, report.Options{Color: color, Verbose: o.verbose, Quiet: o.quiet, Width: widthOf(stdout, s.stdout), RulesChain: o.rulesChain, Strict: o.strict,
			PolicyNamespace: o.policy.PolicyNamespace, CalicoSelector: o.policy.CalicoSelector, CalicoOrder: o.policy.CalicoOrder})
		if err != nil {
			return fail(usageError{err})
		}
		s.writer = w
		sinks = append(sinks, s)
	}
	return sinks, nil
}

// write writes the report to the sink and, for a regular file, renames it into place.
func (s *sink) write(stdout io.Writer, r *report.Report) error {
	switch {
	case s.stdout:
		return s.writer.Write(stdout, r)
	case s.direct:
		f, err := os.OpenFile(s.name, os.O_WRONLY, 0)
		if err != nil {
			return pathError(err)
		}
		if err := s.writer.Write(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	tmp := s.tmp
	s.tmp = nil
	return replace(tmp, s.name, func(w io.Writer) error { return s.writer.Write(w, r) })
}

// replace writes through tmp, a temporary file beside name, and renames it into place: name is
// never left half written. tmp is closed, and removed on failure.
func replace(tmp *os.File, name string, write func(io.Writer) error) error {
	err := write(tmp)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return pathError(err)
	}
	return nil
}

// writeFileAtomic replaces name with data, as a report file is replaced.
func writeFileAtomic(name string, data []byte) error {
	dir, base := filepath.Split(name)
	tmp, err := os.CreateTemp(dir, "."+base+".fwcheck-*")
	if err != nil {
		return pathError(err)
	}
	return replace(tmp, name, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// discard removes the temporary files of sinks that were never written.
func discard(sinks []*sink) {
	for _, s := range sinks {
		if s.tmp != nil {
			s.tmp.Close()
			os.Remove(s.tmp.Name())
			s.tmp = nil
		}
	}
}

// pathError drops Go's "open NAME:" prefix, whose name the caller already gives.
func pathError(err error) error {
	var pe *os.PathError
	if e, ok := err.(*os.PathError); ok {
		pe = e
		return fmt.Errorf("%s", strings.ToLower(pe.Err.Error()[:1])+pe.Err.Error()[1:])
	}
	return err
}

// widthOf is the terminal's width for a report on a terminal's stdout; 0 (80) otherwise.
func widthOf(stdout io.Writer, isStdout bool) int {
	if !isStdout {
		return 0
	}
	w, _ := terminal(stdout)
	return w
}

// fileOutputs names the sinks that are files.
func fileOutputs(sinks []*sink) []string {
	var names []string
	for _, s := range sinks {
		if !s.stdout {
			names = append(names, s.name)
		}
	}
	return names
}
