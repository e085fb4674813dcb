package report

import (
	"encoding/json"
	"io"
)

// writeJSON writes the model itself: the JSON form is the schema.
func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
