package report

import (
	"encoding/json"
	"fmt"
	"io"
)

// FramePrefix starts the one line a report is framed on (-o frame): a pod prints its report
// so, and stderr lines or log rotation around that line cannot corrupt it.
const FramePrefix = "FWCHECK-REPORT "

// MaxFrame bounds a framed report.
const MaxFrame = 1 << 20

// writeFrame writes the report as compact JSON on one line after FramePrefix.
func writeFrame(w io.Writer, r *Report) error {
	tooBig := func(n int) error {
		return fmt.Errorf("the report is %d KiB, more than a frame holds (%d KiB): narrow the run (--skip, --location)", n>>10, MaxFrame>>10)
	}
	if r.spool != nil {
		// Read the openings back, as far as a frame could hold them.
		whole := *r
		whole.spool, whole.openings = nil, nil
		size := 0
		err := r.Each(func(o Opening) error {
			if size > MaxFrame {
				return tooBig(size)
			}
			size += int(r.spool.length[len(whole.openings)]) // Each goes in plan order: this is o's record
			whole.openings = append(whole.openings, o)
			return nil
		})
		if err != nil {
			return err
		}
		r = &whole
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if len(b) > MaxFrame {
		return tooBig(len(b))
	}
	_, err = fmt.Fprintf(w, "%s%s\n", FramePrefix, b)
	return err
}
