// Package quote quotes untrusted values for one-line error messages: never more than a
// screen's width of them, whatever was typed or read from a file.
package quote

import (
	"strconv"
	"unicode/utf8"
)

// Max is how many characters of a value a message quotes.
const Max = 80

// Value quotes s as Go's %q does, cut to its first Max characters ("…" marks the cut).
func Value(s string) string {
	if utf8.RuneCountInString(s) <= Max {
		return strconv.Quote(s)
	}
	n, i := 0, 0
	for i = range s {
		if n == Max {
			break
		}
		n++
	}
	return strconv.Quote(s[:i]) + "…"
}
