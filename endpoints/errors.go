package endpoints

import (
	"fmt"
	"strings"

	"github.com/fwcheck/fwcheck/internal/quote"
)

// FieldError is bad input in one of the facts. Field names the fact in the CLI's words
// ("region", "master-url"; several joined by commas when any of them would do), so that the
// CLI can say which flag or environment variable gave it; endpoints never names a flag.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string {
	return strings.ReplaceAll(e.Field, ",", ", ") + ": " + e.Err.Error()
}
func (e *FieldError) Unwrap() error { return e.Err }

// errorf is quote.Errorf: values quoted at most quote.Max characters, URL credentials masked.
var errorf = quote.Errorf

func fieldError(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: errorf(format, args...)}
}

// LocationAsRegionError is a location given where a region belongs ("dal10" for "us-south").
type LocationAsRegionError struct {
	Location, Region string
}

func (e *LocationAsRegionError) Error() string {
	return fmt.Sprintf("%s is a location of %s, not a region", e.Location, e.Region)
}
