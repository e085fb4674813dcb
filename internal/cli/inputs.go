package cli

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
	"github.com/fwcheck/fwcheck/internal/boundedfile"
)

// Caps on what fwcheck reads: an input past its cap is bad input, never a memory hog.
const (
	maxTargetsFileBytes = 64 << 20
	maxTargetsLineBytes = 4 << 10
	maxCatalogBytes     = 16 << 20
	maxCAFileBytes      = 16 << 20
)

// readCapped reads a whole regular file of at most limit bytes; a larger one, a FIFO or a
// device is an error naming the cap or the kind, found without reading past it.
func readCapped(file string, limit int64) ([]byte, error) { return boundedfile.Read(file, limit) }

func sizeText(n int64) string { return boundedfile.SizeText(n) }

// readTargetsFile reads one target a line, streaming: blank lines and # comments are skipped;
// the file is capped at maxTargetsFileBytes and each line at maxTargetsLineBytes.
// The targets are kept as the text they were given in (the plan parses them again as they are
// dialed): a parsed target is 224 bytes, its text about 20.
func readTargetsFile(file string, stdin io.Reader) ([]string, error) {
	in := stdin
	if file == "-" { // standard input, as nmap's -iL -
		file = "(stdin)"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return nil, badInput("--targets-file %s: %v", quoteValue(file), pathError(err))
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.IsDir() {
			return nil, badInput("--targets-file %s is a directory", quoteValue(file))
		} else if err == nil && fi.Size() > maxTargetsFileBytes {
			return nil, badInput("--targets-file %s is larger than %s, the most fwcheck reads", quoteValue(file), sizeText(maxTargetsFileBytes))
		}
		in = f
	}
	lr := &io.LimitedReader{R: in, N: maxTargetsFileBytes + 1}
	sc := bufio.NewScanner(lr)
	sc.Buffer(make([]byte, 0, 4096), maxTargetsLineBytes)
	var out []string
	line := 0
	for sc.Scan() {
		line++
		text, _, _ := strings.Cut(sc.Text(), "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if _, err := endpoints.ParseProbeTarget(text); err != nil {
			return nil, badInput("--targets-file %s:%d: %v", file, line, err)
		}
		out = append(out, strings.Clone(text)) // not a slice of the scanner's line
	}
	switch err := sc.Err(); {
	case lr.N <= 0:
		return nil, badInput("--targets-file %s is larger than %s, the most fwcheck reads", quoteValue(file), sizeText(maxTargetsFileBytes))
	case errors.Is(err, bufio.ErrTooLong):
		return nil, badInput("--targets-file %s:%d: a line longer than %s (is it a targets file?)", file, line+1, sizeText(maxTargetsLineBytes))
	case err != nil:
		return nil, badInput("--targets-file %s: %v", file, pathError(err))
	}
	return out, nil
}
