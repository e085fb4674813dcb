package cli

import "strings"

// Did-you-mean for commands and flags, as cobra and git offer it.

// suggest is the candidate closest to s, if it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := distance(s, c); d < bestD || d == bestD && best == "" && d <= max(1, len(s)/3) {
			best, bestD = c, d
		}
	}
	if bestD > max(1, min(2, len(s)/3)) {
		return onlyPrefixed(s, candidates)
	}
	return best
}

// onlyPrefixed is the one candidate that starts with s (a name cut short: "complet",
// "--regi"), as cobra suggests; "" when none or several do.
func onlyPrefixed(s string, candidates []string) string {
	found := ""
	for _, c := range candidates {
		if len(s) >= 2 && strings.HasPrefix(c, s) {
			if found != "" {
				return ""
			}
			found = c
		}
	}
	return found
}

// distance is the optimal string alignment distance (Levenshtein with transpositions).
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
