package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// spool keeps judged openings in a temporary file, each as its compact JSON form, in the order
// they were judged; an index in memory (13 bytes an opening) finds opening i and its status
// without reading the file, so a writer reads only the openings of the statuses it prints, and
// the JSON writer copies them without decoding.
//
// Records are written in batches. A batch the file refuses (a full disk) stays in memory, and so
// does every record after it: the run goes on and its report is whole, only no longer bounded.
type spool struct {
	f   *os.File
	enc *json.Encoder
	rec bytes.Buffer // the record being encoded
	// onDisk is how many bytes of records the file holds; tail holds the rest, from onDisk on.
	onDisk int64
	tail   []byte
	// failed is the file's refusal, once there was one; failedAt is how many openings the
	// file holds by then.
	failed   error
	failedAt int
	stored   int // records stored, inTail of them in tail
	inTail   int
	at       []int64
	length   []int32
	flags    []byte // statusCode | pendingRule
	// ruleSource is the run's source addresses, known only at its end: the rule of an opening
	// put pending is made from them as it is read (ruleOf).
	ruleSource string
	// name is the file to remove on close, where the system could not unlink it while open.
	name string
}

// spoolBatch is how many bytes of records go to the file at once.
const spoolBatch = 64 << 10

var statusCode = map[string]byte{Verified: 1, Missing: 2, Warning: 3, Skipped: 4}

const (
	statusBits  = 0x7
	pendingRule = 0x8 // the rule waits for the run's source addresses
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
	s := spoolOn(f, n)
	// Unlinked at once where the system allows it: nothing is left behind, even by a crash.
	if os.Remove(f.Name()) != nil {
		s.name = f.Name()
	}
	return s, nil
}

// spoolOn keeps n openings in f.
func spoolOn(f *os.File, n int) *spool {
	s := &spool{f: f, tail: make([]byte, 0, 2*spoolBatch), at: make([]int64, n), length: make([]int32, n), flags: make([]byte, n)}
	s.enc = json.NewEncoder(&s.rec)
	s.enc.SetEscapeHTML(false) // as the JSON writer encodes, so that its records copy as they are
	return s
}

func (s *spool) put(i int, o *Opening, pending bool) error {
	s.rec.Reset()
	if err := s.enc.Encode(o); err != nil {
		return err
	}
	b := bytes.TrimSuffix(s.rec.Bytes(), []byte("\n"))
	flags := statusCode[o.Status]
	if pending {
		flags |= pendingRule
	}
	s.at[i], s.length[i], s.flags[i] = s.onDisk+int64(len(s.tail)), int32(len(b)), flags
	s.tail = append(s.tail, b...)
	s.stored++
	s.inTail++
	if len(s.tail) >= spoolBatch {
		s.flush()
	}
	return nil
}

// flush writes the records held in memory to the file, unless the file has refused before.
func (s *spool) flush() {
	if s.failed != nil || len(s.tail) == 0 {
		return
	}
	// A short write leaves part of a record in the file: the whole batch stays in memory, and
	// the file's part of it is never read.
	if _, err := s.f.WriteAt(s.tail, s.onDisk); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		s.failed, s.failedAt = err, s.stored-s.inTail
		return
	}
	s.onDisk += int64(len(s.tail))
	s.tail, s.inTail = s.tail[:0], 0
}

func (s *spool) finish(r *Report, ruleSource string) error {
	s.ruleSource = ruleSource
	s.flush()
	r.spool = s
	return nil
}

// warning says, when the file refused records, that the report outgrew it and where the rest is.
func (s *spool) warning() string {
	if s.failed == nil {
		return ""
	}
	return fmt.Sprintf("the report's temporary file in %s took only %d of its %d openings (%v): the rest are held in memory; set TMPDIR to a directory with room",
		filepath.Dir(s.f.Name()), s.failedAt, len(s.at), s.failed)
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
		raw := buf[:s.length[i]]
		if at := s.at[i]; at >= s.onDisk {
			raw = s.tail[at-s.onDisk : at-s.onDisk+int64(len(raw))]
		} else if _, err := s.f.ReadAt(raw, at); err != nil {
			return fmt.Errorf("reading the report back from its temporary file: %w", err)
		}
		if err := fn(raw, s.flags[i]); err != nil {
			return err
		}
	}
	return nil
}

// add stores one more opening after the last, growing the index: a spool used as a stage
// (merge's), whose length is not known in advance.
func (s *spool) add(o *Opening) (int, error) {
	i := len(s.at)
	s.at, s.length, s.flags = append(s.at, 0), append(s.length, 0), append(s.flags, 0)
	return i, s.put(i, o, false)
}

// get reads opening i back.
func (s *spool) get(i int) (Opening, error) {
	raw := make([]byte, s.length[i])
	if at := s.at[i]; at >= s.onDisk {
		copy(raw, s.tail[at-s.onDisk:])
	} else if _, err := s.f.ReadAt(raw, at); err != nil {
		return Opening{}, fmt.Errorf("reading the report back from its temporary file: %w", err)
	}
	return s.decode(raw, s.flags[i])
}

func (s *spool) decode(raw []byte, flags byte) (Opening, error) {
	var o Opening
	if err := json.Unmarshal(raw, &o); err != nil {
		return o, fmt.Errorf("reading the report back from its temporary file: %w", err)
	}
	if flags&pendingRule != 0 {
		o.Rule, _ = ruleOf(&o, s.ruleSource)
	}
	return o, nil
}

func (s *spool) close() error {
	err := s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	return err
}

// Len is the number of openings in the report.
func (r *Report) Len() int {
	if r.spool != nil {
		return r.spool.len()
	}
	return len(r.openings)
}

// Each calls fn with every opening in plan order, until fn returns an error, which Each
// returns. A spooled report reads each opening back from its file as it goes.
func (r *Report) Each(fn func(Opening) error) error { return r.eachStatus("", fn) }

// eachStatus is Each for the openings of one status ("" for all).
func (r *Report) eachStatus(status string, fn func(Opening) error) error {
	if r.spool != nil {
		return r.spool.each(status, fn)
	}
	for _, o := range r.openings {
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
