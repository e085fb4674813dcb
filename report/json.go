package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// writeJSON writes the model itself (the JSON form is the schema), one opening at a time, so
// that a report of 100,000 probes is never held in memory as text all at once.
func writeJSON(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode((*reportHead)(r)); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	write := func(b []byte) error {
		_, err := bw.Write(b)
		return err
	}
	if err := write(bytes.TrimSuffix(buf.Bytes(), []byte("\n}\n"))); err != nil {
		return err
	}
	if err := write([]byte(",\n  \"openings\": [")); err != nil {
		return err
	}
	enc.SetIndent("    ", "  ")
	first := true
	next := func() {
		buf.Reset()
		if !first {
			buf.WriteByte(',')
		}
		first = false
		buf.WriteString("\n    ")
	}
	opening := func(o Opening) error {
		next()
		if err := enc.Encode(o); err != nil {
			return err
		}
		return write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	var err error
	if r.spool == nil {
		err = r.Each(opening)
	} else {
		// The spool holds each opening in the compact form of this very encoding: indenting it
		// is encoding it, without decoding it first.
		err = r.spool.eachRaw("", func(raw []byte, flags byte) error {
			if flags&pendingRule != 0 {
				o, err := r.spool.decode(raw, flags)
				if err != nil {
					return err
				}
				return opening(o)
			}
			next()
			if err := json.Indent(&buf, raw, "    ", "  "); err != nil {
				return err
			}
			return write(buf.Bytes())
		})
	}
	if err != nil {
		return err
	}
	tail := "]\n}\n"
	if !first {
		tail = "\n  " + tail
	}
	if err := write([]byte(tail)); err != nil {
		return err
	}
	return bw.Flush()
}
