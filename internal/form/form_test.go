package form

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func request(contentType, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r
}

func TestParse(t *testing.T) {
	const formCT = "application/x-www-form-urlencoded"
	tests := []struct {
		name, contentType, body string
		limit                   int64
		want                    map[string]string
		wantData                string
		wantErr                 error
	}{
		{"form", formCT, "csrfToken=abc&callbackUrl=%2Fdash&json=true", 0,
			map[string]string{"csrfToken": "abc", "callbackUrl": "/dash", "json": "true"}, "", nil},
		{"form plus", formCT, "a=b+c&d=%2B", 0, map[string]string{"a": "b c", "d": "+"}, "", nil},
		{"form repeated", formCT, "a=1&a=2", 0, map[string]string{"a": "1"}, "", nil},
		{"form charset", formCT + "; charset=UTF-8", "a=1", 0, map[string]string{"a": "1"}, "", nil},
		{"form no content type", "", "a=1", 0, map[string]string{"a": "1"}, "", nil},
		{"text/plain", "text/plain;charset=UTF-8", "level=error&code=X", 0, map[string]string{"level": "error", "code": "X"}, "", nil},
		{"form empty", formCT, "", 0, map[string]string{}, "", nil},
		{"whitespace", "application/json", "  \n\t", 0, map[string]string{}, "", nil},
		{"form bad escape", formCT, "a=%zz", 0, nil, "", ErrMalformed},
		{"form semicolon", formCT, "a=1;b=2", 0, nil, "", ErrMalformed},
		{"json", "application/json", `{"csrfToken":"abc","data":{"name":"New"}}`, 0,
			map[string]string{"csrfToken": "abc"}, `{"name":"New"}`, nil},
		{"json scalars", "application/json", `{"json":true,"redirect":false,"n":42,"f":1.50,"nil":null,"arr":[1],"obj":{}}`, 0,
			map[string]string{"json": "true", "redirect": "false", "n": "42", "f": "1.50"}, "", nil},
		{"json data string", "Application/JSON; charset=utf-8", `{"data":"x"}`, 0, map[string]string{"data": "x"}, `"x"`, nil},
		{"json data null", "application/json", `{"data":null}`, 0, map[string]string{}, `null`, nil},
		{"json null", "application/json", `null`, 0, map[string]string{}, "", nil},
		{"json array", "application/json", `[1]`, 0, nil, "", ErrMalformed},
		{"json truncated", "application/json", `{"a":`, 0, nil, "", ErrMalformed},
		{"json trailing", "application/json", `{"a":"b"}{}`, 0, nil, "", ErrMalformed},
		{"json overflow", "application/json", `{"a":1e400}`, 0, nil, "", ErrMalformed},
		{"unsupported", "application/xml", "<a/>", 0, nil, "", ErrUnsupportedType},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 0, nil, "", ErrUnsupportedType},
		{"bad content type", "application/json; =", `{}`, 0, nil, "", ErrUnsupportedType},
		{"at limit", formCT, "a=" + strings.Repeat("x", 8), 10, map[string]string{"a": strings.Repeat("x", 8)}, "", nil},
		{"over limit", formCT, "a=" + strings.Repeat("x", 9), 10, nil, "", ErrTooLarge},
		{"over limit json", "application/json", `{"a":"` + strings.Repeat("x", 100) + `"}`, 64, nil, "", ErrTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limit := tt.limit
			if limit == 0 {
				limit = 64 << 10
			}
			got, err := Parse(request(tt.contentType, tt.body), limit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Parse: got error %v; want %v", err, tt.wantErr)
			}
			if got.Values == nil {
				t.Fatalf("Parse: got nil Values; want a map, even on error")
			}
			if tt.wantErr != nil {
				return
			}
			if !maps.Equal(got.Values, tt.want) {
				t.Errorf("Values: got %v; want %v", got.Values, tt.want)
			}
			if string(got.Data) != tt.wantData {
				t.Errorf("Data: got %q; want %q", got.Data, tt.wantData)
			}
		})
	}
}

func TestParseNoBody(t *testing.T) {
	for _, body := range []io.ReadCloser{nil, http.NoBody} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = body
		got, err := Parse(r, 10)
		if err != nil || got.Values == nil || len(got.Values) != 0 {
			t.Errorf("Parse(no body): got %v, %v; want an empty Body", got, err)
		}
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }
func (failingReader) Close() error             { return nil }

func TestParseReadError(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Body = failingReader{}
	if _, err := Parse(r, 10); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse(failing body): got %v; want ErrMalformed", err)
	}
}

func TestGet(t *testing.T) {
	b := Body{Values: map[string]string{"a": "1"}}
	if b.Get("a") != "1" || b.Get("b") != "" {
		t.Errorf("Get: got %q, %q; want 1 and \"\"", b.Get("a"), b.Get("b"))
	}
	if (Body{}).Get("a") != "" {
		t.Errorf("Get on a zero Body: want \"\"")
	}
}

// FuzzParse: Parse never panics, fails only with the package's sentinel
// errors, honours the limit, and on success returns string values and
// valid JSON data.
func FuzzParse(f *testing.F) {
	f.Add("application/x-www-form-urlencoded", []byte("csrfToken=abc&json=true&callbackUrl=%2F"), uint16(1024))
	f.Add("application/json", []byte(`{"csrfToken":"abc","data":{"name":"x"},"json":true}`), uint16(1024))
	f.Add("application/json; charset=utf-8", []byte(`{"data":[1,2,{"a":null}],"n":1e400}`), uint16(1024))
	f.Add("text/plain", []byte("a=%zz"), uint16(4))
	f.Add("", []byte("a;b"), uint16(0))
	f.Add("multipart/form-data; boundary=", []byte("--\r\n"), uint16(100))
	f.Add("application/json", []byte(`{"a":"\ud800"}`), uint16(100))
	f.Add("application/json", []byte(strings.Repeat("[", 20000)), uint16(65535))
	f.Fuzz(func(t *testing.T, contentType string, body []byte, limit uint16) {
		r := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		got, err := Parse(r, int64(limit))
		if got.Values == nil {
			t.Fatalf("Parse: nil Values")
		}
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupportedType) {
				t.Fatalf("Parse: error %v is not one of the package's sentinel errors", err)
			}
			if errors.Is(err, ErrTooLarge) != (len(body) > int(limit)) {
				t.Fatalf("Parse: error %v for a %d-byte body with limit %d", err, len(body), limit)
			}
			return
		}
		if len(body) > int(limit) {
			t.Fatalf("Parse: accepted a %d-byte body with limit %d", len(body), limit)
		}
		if got.Data != nil && !json.Valid(got.Data) {
			t.Fatalf("Parse: Data %q is not valid JSON", got.Data)
		}
	})
}
