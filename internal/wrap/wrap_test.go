package wrap

import (
	"strings"
	"testing"
)

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		name             string
		text             string
		col, indent, max int
		want             string
	}{
		{"fits", "allow tcp", 0, 2, 20, "allow tcp"},
		{"breaks before the word that passes", "aaaa bbbb cccc", 0, 2, 9, "aaaa bbbb\n  cccc"},
		{"starts mid-line", "aaaa bbbb", 6, 6, 12, "aaaa\n      bbbb"},
		{"a word longer than the line stands alone", "a bbbbbbbbbbbb c", 0, 0, 5, "a\nbbbbbbbbbbbb\nc"},
		{"colour takes no room", "\x1b[31mred\x1b[0m word", 0, 0, 8, "\x1b[31mred\x1b[0m word"},
		{"runes, not bytes", "×××× ××××", 0, 0, 9, "×××× ××××"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b strings.Builder
			Words(&b, tc.text, tc.col, tc.indent, tc.max)
			if b.String() != tc.want {
				t.Errorf("Words(%q) = %q, want %q", tc.text, b.String(), tc.want)
			}
		})
	}
}

func TestWidth(t *testing.T) {
	for s, want := range map[string]int{"": 0, "abc": 3, "\x1b[1;33m!\x1b[0m": 1, "✗ probe": 7} {
		if got := Width(s); got != want {
			t.Errorf("Width(%q) = %d, want %d", s, got, want)
		}
	}
}
