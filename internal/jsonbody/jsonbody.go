// Package jsonbody reads the JSON object bodies of the local provider's
// endpoints: bounded in size, JSON content type only (so that a
// cross-site HTML form, which cannot send one without CORS, never reaches
// them), string fields picked out by name.
package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// Errors of Parse; the handler maps them to 413, 415 and 400.
var (
	ErrTooLarge        = errors.New("the request body is too large")
	ErrUnsupportedType = errors.New("the request body must be JSON (Content-Type: application/json)")
	ErrMalformed       = errors.New("the request body is not a JSON object")
)

// Object is a parsed JSON object body.
type Object map[string]json.RawMessage

// Parse reads r's body as a JSON object of at most limit bytes. A request
// without a body and without a Content-Type gives an empty Object when
// emptyOK; any body must come with a JSON media type (application/json
// or application/*+json).
func Parse(r *http.Request, limit int64, emptyOK bool) (Object, error) {
	var raw []byte
	if r.Body != nil && r.Body != http.NoBody {
		var err error
		raw, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
		if err != nil {
			return nil, ErrMalformed
		}
		if int64(len(raw)) > limit {
			return nil, ErrTooLarge
		}
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && len(bytes.TrimSpace(raw)) == 0 && emptyOK {
		return Object{}, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil, ErrUnsupportedType
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		if emptyOK {
			return Object{}, nil
		}
		return nil, ErrMalformed
	}
	var o Object
	d := json.NewDecoder(bytes.NewReader(raw))
	if err := d.Decode(&o); err != nil || o == nil {
		return nil, ErrMalformed
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, ErrMalformed // trailing data
	}
	return o, nil
}

// FieldError is a field of the wrong type.
type FieldError struct{ Field string }

func (e *FieldError) Error() string { return fmt.Sprintf("%s must be a string", e.Field) }

// String returns the string field key: "" when absent or null, a
// *FieldError when it is another type.
func (o Object) String(key string) (string, error) {
	raw, ok := o[key]
	if !ok || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", &FieldError{Field: key}
	}
	return s, nil
}

// Strings returns every string field, and a *FieldError for the first of
// the named fields that is present with another type. Fields of other
// types that are not named are left out.
func (o Object) Strings(named ...string) (map[string]string, error) {
	out := make(map[string]string, len(o))
	for _, k := range named {
		if _, err := o.String(k); err != nil {
			return nil, err
		}
	}
	for k, raw := range o {
		var s string
		if len(raw) > 0 && raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
			out[k] = s
		}
	}
	return out, nil
}
