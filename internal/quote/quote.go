// Package quote quotes untrusted values for one-line error messages: never more than a
// screen's width of them, and never the credentials a URL in them carries, whatever was
// typed or read from a file.
package quote

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Max is how many characters of a value a message quotes.
const Max = 80

// Value quotes s as Go's %q does, with the userinfo of every URL in it masked, cut to its
// first Max characters ("…" marks the cut).
func Value(s string) string {
	s = Userinfo(s)
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

// Userinfo masks the user and password of every scheme://user:password@host in s (or of a
// bare user:password@host) as ***, parseable or not: the authority ends at the first '/',
// '?', '#' or space after "://".
func Userinfo(s string) string {
	if !strings.Contains(s, "://") {
		// user:password@host:port with no scheme is a URL's authority too.
		if at := strings.LastIndex(s, "@"); at > 0 && !strings.ContainsAny(s[:at], " \t\n/") {
			return "***" + s[at:]
		}
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+3])
		rest := s[i+3:]
		end := strings.IndexAny(rest, "/?# \t\n")
		if end < 0 {
			end = len(rest)
		}
		if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
			b.WriteString("***")
			rest = rest[at:]
			end -= at
		}
		b.WriteString(rest[:end])
		s = rest[end:]
	}
}

// Errorf is fmt.Errorf with every string argument cut to Max characters and its URLs'
// userinfo masked, for errors that quote what the user gave (%q still quotes).
func Errorf(format string, args ...any) error {
	return fmt.Errorf(format, Args(args)...)
}

// Args returns args with every string cut to Max characters and its URLs' userinfo masked.
func Args(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			s = Userinfo(s)
			if utf8.RuneCountInString(s) > Max {
				n := 0
				for j := range s {
					if n == Max {
						s = s[:j] + "…"
						break
					}
					n++
				}
			}
			a = s
		}
		out[i] = a
	}
	return out
}

// Trusted is text fwcheck made itself (a list of valid names): Errorf never cuts it.
type Trusted string
