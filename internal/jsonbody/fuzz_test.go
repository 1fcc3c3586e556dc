package jsonbody

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParse: any body and content type gives an Object or one of the
// three errors; an Object re-encodes as JSON, and Strings only returns
// values that were JSON strings.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"email":"a","password":"b"}`, `{}`, `[]`, `null`, `{"a":1} x`, `{"a":"\u0000"}`, ``, `{"refreshToken":null}`} {
		f.Add(s, "application/json")
	}
	f.Add(`{"a":"b"}`, "application/merge-patch+json")
	f.Add(`a=b`, "application/x-www-form-urlencoded")
	f.Fuzz(func(t *testing.T, body, ct string) {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", ct)
		o, err := Parse(r, 1024, true)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrUnsupportedType) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if _, err := json.Marshal(o); err != nil {
			t.Fatalf("object does not re-encode: %v", err)
		}
		m, err := o.Strings("email", "password")
		var fe *FieldError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("Strings: %v", err)
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(o[k], &s) != nil || s != v {
				t.Fatalf("Strings[%q] = %q from %s", k, v, o[k])
			}
		}
	})
}
