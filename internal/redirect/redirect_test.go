package redirect

import (
	"net/url"
	"strings"
	"testing"
)

func TestOrigin(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:3000/api/auth", "http://localhost:3000"},
		{"HTTPS://Example.COM/x", "https://example.com"},
		{"https://example.com:443/", "https://example.com"},
		{"http://example.com:80", "http://example.com"},
		{"http://example.com:443", "http://example.com:443"},
		{"https://example.com:80", "https://example.com:80"},
		{"ftp://example.com", ""},
		{"javascript:alert(1)", ""},
		{"/relative", ""},
		{"http:///nohost", ""},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.in, err)
		}
		if got := Origin(u); got != tt.want {
			t.Errorf("Origin(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	const origin = "http://localhost:3000"
	accepted := []struct{ in, want string }{
		{"/", origin + "/"},
		{"/dash", origin + "/dash"},
		{"/dash?x=1&y=%2F%2F#frag", origin + "/dash?x=1&y=%2F%2F#frag"},
		{"/files/a%2Fb", origin + "/files/a%2Fb"},
		{"/a%2F%2Fb", origin + "/a%2F%2Fb"},
		{"/%25", origin + "/%25"},
		{"/a//b", origin + "/a//b"},
		{"/?next=//evil.example", origin + "/?next=//evil.example"},
		{origin, origin},
		{origin + "/", origin + "/"},
		{origin + "/x?y=1", origin + "/x?y=1"},
	}
	for _, tt := range accepted {
		got, ok := SameOrigin(tt.in, origin)
		if !ok || got != tt.want {
			t.Errorf("SameOrigin(%q): got %q, %v; want %q, true", tt.in, got, ok, tt.want)
		}
	}
	rejected := []string{
		"",
		"undefined",
		"dash",
		"//evil.example",
		"//evil.example/x",
		"///evil.example",
		"/\\evil.example",
		"\\\\evil.example",
		"/\\/evil.example",
		// Paths that an app server which decodes them sends to //host.
		"/%2F%2Fevil.example",
		"/%2f%2fevil.example",
		"/%2Fevil.example",
		"/%2f%5cevil.example",
		"/%5C%5Cevil.example",
		"/%5cevil.example",
		"/%2F%5Cevil.example/x?y=1",
		"/%252F%252Fevil.example",
		"/x/..%2F%2Fevil.example",
		"/x/%2E%2E/%2F/evil.example",
		"/%2F%2Fevil.example%zz",
		"/%09/evil.example",
		"/%0D%0A/evil.example",
		"http://localhost:3000/%2F%2Fevil.example",
		"/\t/evil.example",
		"/\n/evil.example",
		"/x\r\nLocation: x",
		" /x",
		"/x y",
		"/x\x00",
		"/x\x7f",
		"https://evil.example",
		"https://localhost:3000/",
		"http://localhost:3001/",
		"http://localhost/",
		"http://localhost:3000.evil.example/",
		"http://localhost:3000@evil.example",
		"http://user:pass@localhost:3000/",
		"http://evil.example#@localhost:3000",
		"http://evil.example\\@localhost:3000",
		"http:localhost:3000/x",
		"http:/localhost:3000/x",
		"http:///localhost:3000/x",
		"javascript:alert(1)",
		"data:text/html,x",
		"ftp://localhost:3000/",
		"/" + strings.Repeat("a", 5000),
	}
	for _, in := range rejected {
		if got, ok := SameOrigin(in, origin); ok {
			t.Errorf("SameOrigin(%q): got %q, true; want rejected", in, got)
		}
	}
}

// TestSameOriginCanonical: an absolute URL of the same origin written
// differently (upper case, default port) is either refused or rewritten
// onto the origin, so that an accepted answer always starts with it.
func TestSameOriginCanonical(t *testing.T) {
	tests := []struct{ raw, origin string }{
		{"HTTP://LOCALHOST:3000/x", "http://localhost:3000"},
		{"http://Localhost:3000/x", "http://localhost:3000"},
		{"https://example.com:443/x", "https://example.com"},
		{"HTTPS://EXAMPLE.COM", "https://example.com"},
	}
	for _, tt := range tests {
		got, ok := SameOrigin(tt.raw, tt.origin)
		if !ok {
			continue
		}
		if rest, found := strings.CutPrefix(got, tt.origin); !found || rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
			t.Errorf("SameOrigin(%q, %q): got %q; want a URL starting with %s/ (or refused)", tt.raw, tt.origin, got, tt.origin)
		}
	}
}

// fuzzOrigins are the origins FuzzSameOrigin checks against.
var fuzzOrigins = []string{
	"http://localhost:3000",
	"https://example.com",
	"http://127.0.0.1:8080",
	"https://app.example.com",
	"http://[::1]:3000",
}

// FuzzSameOrigin: whatever raw is, an accepted result starts with the
// origin, the authority ends right there ("/", "?", "#" or the end), it
// carries no character browsers strip or rewrite, and it parses with the
// origin's scheme and host and no user info.
func FuzzSameOrigin(f *testing.F) {
	for _, s := range []string{
		"/dash", "//evil.example", "/\\evil.example", "https://evil.example", "http://localhost:3000/x",
		"http://localhost:3000@evil.example", "javascript:alert(1)", "http://localhost:3000?x", "/%2F%2Fx",
		"https://example.com/", "https://example.com.evil/", "http://[::1]:3000/", "\t/x", "/x\u2028",
	} {
		for i := range fuzzOrigins {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw string, which uint8) {
		origin := fuzzOrigins[int(which)%len(fuzzOrigins)]
		got, ok := SameOrigin(raw, origin)
		if !ok {
			if got != "" {
				t.Fatalf("SameOrigin(%q) rejected but returned %q", raw, got)
			}
			return
		}
		if !strings.HasPrefix(got, origin) {
			t.Fatalf("SameOrigin(%q, %q) = %q; want it to start with the origin", raw, origin, got)
		}
		if rest := got[len(origin):]; rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
			t.Fatalf("SameOrigin(%q, %q) = %q; want the authority to end after the origin", raw, origin, got)
		}
		if strings.HasPrefix(got[len(origin):], "//") {
			t.Fatalf("SameOrigin(%q, %q) = %q; want no protocol-relative path", raw, origin, got)
		}
		for _, c := range []byte(got) {
			if c <= ' ' || c == 0x7f || c == '\\' {
				t.Fatalf("SameOrigin(%q, %q) = %q; want no control characters, spaces or backslashes", raw, origin, got)
			}
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("SameOrigin(%q, %q) = %q, which does not parse: %v", raw, origin, got, err)
		}
		o, _ := url.Parse(origin)
		if u.Scheme != o.Scheme || u.Host != o.Host || u.User != nil || u.Opaque != "" {
			t.Fatalf("SameOrigin(%q, %q) = %q: scheme %q host %q; want %q %q", raw, origin, got, u.Scheme, u.Host, o.Scheme, o.Host)
		}
	})
}
