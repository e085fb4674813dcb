package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/fwcheck/fwcheck/probe"
)

// spool keeps judged openings in a temporary file, each as its compact JSON form, in the order
// they were judged; an index in memory (13 bytes an opening) finds opening i, its status and
// what the JSON leaves out without reading the file, so a writer reads only the openings it
// prints, and the JSON writer copies them without decoding.
type spool struct {
	f      *os.File
	w      *bufio.Writer
	enc    *json.Encoder
	buf    bytes.Buffer
	size   int64
	at     []int64
	length []int32
	flags  []byte // statusCode | planned | needsSource
	// ruleSource replaces unknownSource in rules as they are read: the run's source addresses
	// are known only at its end.
	ruleSource string
	// name is the file to remove on close, where the system could not unlink it while open.
	name string
}

var statusCode = map[string]byte{Verified: 1, Missing: 2, Warning: 3, Skipped: 4}

const (
	statusBits  = 0x7
	planned     = 0x8
	needsSource = 0x10 // the rule names unknownSource, to be replaced as it is read
)

func newSpool(n int) (*spool, error) {
	f, err := os.CreateTemp("", "fwcheck-report-*.jsonl")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("no temporary file for the report in %s (%v): set TMPDIR to a writable directory with room", os.TempDir(), err)
	}
	s := &spool{f: f, w: bufio.NewWriterSize(f, 64<<10), at: make([]int64, n), length: make([]int32, n), flags: make([]byte, n)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false) // as the JSON writer encodes, so that its records copy as they are
	// Unlinked at once where the system allows it: nothing is left behind, even by a crash.
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	return s, nil
}

func (s *spool) put(i int, o *Opening) error {
	s.buf.Reset()
	if err := s.enc.Encode(o); err != nil {
		return err
	}
	b := bytes.TrimSuffix(s.buf.Bytes(), []byte("\n"))
	if _, err := s.w.Write(b); err != nil {
		return err
	}
	flags := statusCode[o.Status]
	if o.planned {
		flags |= planned
	}
	if strings.Contains(o.Rule, unknownSource) {
		flags |= needsSource
	}
	s.at[i], s.length[i], s.flags[i] = s.size, int32(len(b)), flags
	s.size += int64(len(b))
	return nil
}

func (s *spool) finish(r *Report, ruleSource string) error {
	s.ruleSource = ruleSource
	r.spool = s
	return s.w.Flush()
}

func (s *spool) len() int { return len(s.at) }

// each calls fn with every opening of the given status ("" for all), in plan order.
func (s *spool) each(status string, fn func(Opening) error) error {
	return s.eachRaw(status, func(raw []byte, flags byte) error {
		o, err := s.decode(raw, flags)
		if err != nil {
			return err
		}
		return fn(o)
	})
}

// eachRaw calls fn with the compact JSON of every opening of the given status and its flags;
// raw is valid only during the call.
func (s *spool) eachRaw(status string, fn func(raw []byte, flags byte) error) error {
	want := statusCode[status]
	var buf []byte
	for i := range s.at {
		if want != 0 && s.flags[i]&statusBits != want {
			continue
		}
		if n := int(s.length[i]); cap(buf) < n {
			buf = make([]byte, n)
		}
		buf = buf[:s.length[i]]
		if _, err := s.f.ReadAt(buf, s.at[i]); err != nil {
			return fmt.Errorf("reading the report back from its temporary file: %w", err)
		}
		if err := fn(buf, s.flags[i]); err != nil {
			return err
		}
	}
	return nil
}

func (s *spool) decode(raw []byte, flags byte) (Opening, error) {
	var o Opening
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, fmt.Errorf("reading the report back from its temporary file: %w", err)
	}
	o.planned = flags&planned != 0
	if flags&needsSource != 0 {
		o.Rule = strings.ReplaceAll(o.Rule, unknownSource, s.ruleSource)
	}
	restoreSeverities(&o)
	return o, nil
}

func (s *spool) close() error {
	err := s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	return err
}

// restoreSeverities gives a decoded opening's probes what their JSON form leaves out: how each
// counts, from its state and drift warning, as judgeProbe had it.
func restoreSeverities(o *Opening) {
	for k := range o.Probes {
		p := &o.Probes[k]
		p.severity = probe.State(p.State).Severity()
		if p.Warning != "" && p.severity == probe.Pass {
			p.severity = probe.Warn
		}
		if p.severity != probe.Pass {
			p.finding = findingKind(probe.State(p.State), p.Reason)
		}
	}
}

// Len is the number of openings in the report.
func (r *Report) Len() int {
	if r.spool != nil {
		return r.spool.len()
	}
	return len(r.Openings)
}

// Each calls fn with every opening in plan order, until fn returns an error, which Each
// returns. A spooled report reads each opening back from its file as it goes.
func (r *Report) Each(fn func(Opening) error) error { return r.eachStatus("", fn) }

// eachStatus is Each for the openings of one status ("" for all).
func (r *Report) eachStatus(status string, fn func(Opening) error) error {
	if r.spool != nil {
		return r.spool.each(status, fn)
	}
	for _, o := range r.Openings {
		if status != "" && o.Status != status {
			continue
		}
		if err := fn(o); err != nil {
			return err
		}
	}
	return nil
}

// Close releases what a spooled report holds (its temporary file); a report in memory holds
// nothing to release.
func (r *Report) Close() error {
	if r.spool == nil {
		return nil
	}
	err := r.spool.close()
	r.spool = nil
	return err
}
