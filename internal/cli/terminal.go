package cli

import (
	"io"
	"os"

	"github.com/mattn/go-isatty"
	"golang.org/x/term"
)

// terminal is the one place fwcheck asks whether a writer is a terminal, and how wide: colour,
// progress and the text report's wrapping all ask here. A Cygwin or MSYS pty counts (isatty
// knows it); its width comes from x/term where the system tells it, else 0 (80 columns).
func terminal(w io.Writer) (width int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !isatty.IsTerminal(f.Fd()) && !isatty.IsCygwinTerminal(f.Fd()) {
		return 0, false
	}
	if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols >= 40 {
		width = cols
	}
	return width, true
}
