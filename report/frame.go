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
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if len(b) > MaxFrame {
		return fmt.Errorf("the report is %d KiB, more than a frame holds (%d KiB): narrow the run (--skip, --location)", len(b)>>10, MaxFrame>>10)
	}
	_, err = fmt.Fprintf(w, "%s%s\n", FramePrefix, b)
	return err
}
