// Package form reads the bodies NextAuth clients POST: URL-encoded forms
// (sign-in, callback, sign-out) and JSON (the session update).
package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// ErrTooLarge is returned for a body over the limit.
var ErrTooLarge = errors.New("request body too large")

// ErrMalformed is returned for a body that does not parse.
var ErrMalformed = errors.New("malformed request body")

// ErrUnsupportedType is returned for a body that is neither a form nor JSON.
var ErrUnsupportedType = errors.New("unsupported content type: send application/x-www-form-urlencoded or application/json")

// Body is a parsed POST body.
type Body struct {
	// Values holds the fields as strings; for repeated form fields, the
	// first. JSON scalars are stringified ("true", "42").
	Values map[string]string
	// Data is the raw JSON of the "data" member of a JSON body, if any.
	Data json.RawMessage
}

// Get returns the value of a field.
func (b Body) Get(key string) string { return b.Values[key] }

// Parse reads r's body, at most limit bytes. A request without a body gives
// an empty Body.
func Parse(r *http.Request, limit int64) (Body, error) {
	body := Body{Values: map[string]string{}}
	if r.Body == nil || r.Body == http.NoBody {
		return body, nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return body, ErrMalformed
	}
	if int64(len(raw)) > limit {
		return body, ErrTooLarge
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return body, nil
	}
	ct := r.Header.Get("Content-Type")
	mt := "application/x-www-form-urlencoded"
	if ct != "" {
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return body, ErrUnsupportedType
		}
	}
	switch mt {
	case "application/x-www-form-urlencoded", "text/plain":
		return parseForm(raw, body)
	case "application/json":
		return parseJSON(raw, body)
	}
	return body, ErrUnsupportedType
}

func parseForm(raw []byte, body Body) (Body, error) {
	vs, err := url.ParseQuery(string(raw))
	if err != nil {
		return body, ErrMalformed
	}
	for k, v := range vs {
		if len(v) > 0 {
			body.Values[k] = v[0]
		}
	}
	return body, nil
}

func parseJSON(raw []byte, body Body) (Body, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return body, ErrMalformed
	}
	for k, v := range obj {
		if k == "data" {
			body.Data = v
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return body, ErrMalformed
		}
		switch x := x.(type) {
		case string:
			body.Values[k] = x
		case bool:
			body.Values[k] = strconv.FormatBool(x)
		case float64:
			body.Values[k] = string(bytes.TrimSpace(v))
		}
	}
	return body, nil
}
