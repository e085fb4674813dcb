package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fwcheck/fwcheck/endpoints"
)

// Caps on what fwcheck reads: an input past its cap is bad input, never a memory hog.
const (
	maxTargetsFileBytes = 64 << 20
	maxTargetsLineBytes = 4 << 10
	maxCatalogBytes     = 16 << 20
	maxCAFileBytes      = 16 << 20
)

// errTooLarge marks an input past its cap.
var errTooLarge = errors.New("too large")

// readCapped reads a whole file of at most limit bytes; a larger one is an error naming the
// cap, found without reading past it.
func readCapped(file string, limit int64) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", quoteValue(file), pathError(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("%s is a directory", quoteValue(file))
	} else if err == nil && fi.Size() > limit {
		return nil, fmt.Errorf("%s is larger than %s, the most fwcheck reads: %w", quoteValue(file), sizeText(limit), errTooLarge)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", quoteValue(file), pathError(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %s, the most fwcheck reads: %w", quoteValue(file), sizeText(limit), errTooLarge)
	}
	return data, nil
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// stdin is what `--targets-file -` reads.
var stdin io.Reader = os.Stdin

// readTargetsFile reads one target a line, streaming: blank lines and # comments are skipped;
// the file is capped at maxTargetsFileBytes and each line at maxTargetsLineBytes.
// The targets are kept as the text they were given in (the plan parses them again as they are
// dialed): a parsed target is 224 bytes, its text about 20.
func readTargetsFile(file string) ([]string, error) {
	var in io.Reader = stdin
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
