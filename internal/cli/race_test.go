//go:build race

package cli

// raceEnabled: the race detector is on (it makes a run several times slower and its memory
// several times larger).
const raceEnabled = true
