package report

import "io"

// commandGuard keeps every line written through it from being read as a GitHub Actions
// workflow command (::error::, ::add-mask::, ::stop-commands::): the runner reads a line
// whose first characters after leading white space are "::" as one, and text from another
// program (a merged report's names, a server's answer) may start a line. Such a line gets a
// backslash before its "::". Only the github format means its "::" lines.
type commandGuard struct {
	w       io.Writer
	state   guardState
	pending []byte // leading white space (and a first ':') not yet written
	out     []byte
}

type guardState uint8

const (
	atLineStart guardState = iota
	afterColon             // leading white space, then one ':'
	inLine
)

func newCommandGuard(w io.Writer) *commandGuard { return &commandGuard{w: w} }

func (g *commandGuard) Write(p []byte) (int, error) {
	g.out = g.out[:0]
	for _, c := range p {
		switch g.state {
		case atLineStart:
			switch c {
			case ' ', '\t':
				g.pending = append(g.pending, c)
			case ':':
				g.state = afterColon
			default:
				g.out = append(append(g.out, g.pending...), c)
				g.pending = g.pending[:0]
				if c != '\n' {
					g.state = inLine
				}
			}
		case afterColon:
			g.out = append(g.out, g.pending...)
			g.pending = g.pending[:0]
			if c == ':' {
				g.out = append(g.out, '\\', ':', ':')
				g.state = inLine
				continue
			}
			g.out = append(g.out, ':', c)
			g.state = inLine
			if c == '\n' {
				g.state = atLineStart
			}
		case inLine:
			g.out = append(g.out, c)
			if c == '\n' {
				g.state = atLineStart
			}
		}
	}
	if _, err := g.w.Write(g.out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// guarded wraps a writer of lines in a commandGuard, flushing what it holds back at the end.
func guarded(write func(io.Writer, *Report) error) func(io.Writer, *Report) error {
	return func(w io.Writer, r *Report) error {
		g := newCommandGuard(w)
		if err := write(g, r); err != nil {
			return err
		}
		if len(g.pending) > 0 || g.state == afterColon {
			tail := g.pending
			if g.state == afterColon {
				tail = append(tail, ':')
			}
			_, err := w.Write(tail)
			return err
		}
		return nil
	}
}
