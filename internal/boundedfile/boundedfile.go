// Package boundedfile reads a file another program named (a kubeconfig's CA, token, client
// certificate or key, a report to merge, a PAC file) the way fwcheck reads its own inputs:
// only a regular file, never more than a cap, never blocking on a FIFO or a device.
package boundedfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// ErrTooLarge marks a file past its cap.
var ErrTooLarge = errors.New("too large")

// ErrNotRegular marks a directory, a FIFO, a socket or a device.
var ErrNotRegular = errors.New("not a regular file")

// Check says whether path names a regular file of at most limit bytes, without opening it:
// for files that another library will read (client-go opens a kubeconfig's certificate
// files itself, and a FIFO there would block it forever).
func Check(path string, limit int64) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %v", quote.Value(path), PathError(err))
	}
	return checkInfo(path, fi, limit)
}

func checkInfo(path string, fi fs.FileInfo, limit int64) error {
	switch {
	case fi.IsDir():
		return &kindError{quote.Value(path) + " is a directory", ErrNotRegular}
	case !fi.Mode().IsRegular():
		return &kindError{quote.Value(path) + " is not a regular file (a pipe, socket or device): save it to a file first", ErrNotRegular}
	case fi.Size() > limit:
		return tooLarge(path, limit)
	}
	return nil
}

func tooLarge(path string, limit int64) error {
	return &kindError{fmt.Sprintf("%s is larger than %s, the most fwcheck reads", quote.Value(path), SizeText(limit)), ErrTooLarge}
}

// kindError is a message of its own that errors.Is still matches to its kind.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }

// Read reads the whole of a regular file of at most limit bytes. A FIFO, device or directory
// is refused before it is read, and a file that grows past the cap while it is read is
// refused too: memory never follows the file.
func Read(path string, limit int64) ([]byte, error) {
	if err := Check(path, limit); err != nil {
		return nil, err
	}
	// Non-blocking, so that a file swapped for a FIFO after Check cannot hold the open.
	f, err := openNonBlocking(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", quote.Value(path), PathError(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", quote.Value(path), PathError(err))
	}
	if err := checkInfo(path, fi, limit); err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", quote.Value(path), PathError(err))
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(path, limit)
	}
	return data, nil
}

// PathError is a file error without the path it repeats, lower-cased as Go's own are
// ("no such file or directory").
func PathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Err.Error() != "" {
		msg := pe.Err.Error()
		return errors.New(strings.ToLower(msg[:1]) + msg[1:])
	}
	return err
}

// SizeText is a cap in words: "16 MiB", "64 KiB", "100 bytes".
func SizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
