// Package wrap fills words into lines of a terminal's width, for the text report and the help.
package wrap

import "strings"

// Words writes the words of text to b, the first at column col of the current line, breaking
// before a word that would pass width and starting each new line at column indent. Columns
// count what a terminal shows (Width).
func Words(b *strings.Builder, text string, col, indent, width int) {
	for i, word := range strings.Fields(text) {
		n := Width(word)
		if i > 0 && col+1+n > width {
			b.WriteString("\n" + strings.Repeat(" ", indent))
			col = indent
		} else if i > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += n
	}
}

// Width counts the runes a terminal shows, ANSI colour sequences left out.
func Width(s string) int {
	n, esc := 0, false
	for _, r := range s {
		switch {
		case r == '\x1b':
			esc = true
		case esc && r == 'm':
			esc = false
		case !esc:
			n++
		}
	}
	return n
}
