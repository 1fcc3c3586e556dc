package guard

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch/internal/redirect"
)

// FuzzOriginal: whatever a proxy (or a client through it) puts in the
// original-request headers, parsing never panics, an accepted request is
// on a well-formed origin with a target starting with a single "/", and
// the callbackUrl built from it never leaves that origin.
func FuzzOriginal(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com/page?x=1", "http://app.example.com:8080", "https://app.example.com?q",
		"https://app.example.com//evil.example", `https://app.example.com/\evil.example`, "https://u@evil.example/",
		"https://app.example.com/%2F%2Fevil.example", "HTTPS://APP.EXAMPLE.COM:443/", "https://[::1]:8443/x",
		"https://app.example.com/a/..//evil.example", "javascript://app.example.com/%0aalert(1)",
	} {
		f.Add(s, "GET", "https", "app.example.com", "/")
		u, _ := url.Parse(s)
		if u != nil {
			f.Add("", "POST", u.Scheme, u.Host, u.RequestURI())
		}
	}
	f.Add("", "GET", "http", "app.example.com, evil.example", "//evil.example")
	f.Fuzz(func(t *testing.T, originalURL, method, proto, host, uri string) {
		check := func(o original, err error) {
			if err != nil {
				return
			}
			u, perr := url.Parse(o.origin)
			if perr != nil || redirect.Origin(u) != o.origin || u.User != nil {
				t.Fatalf("accepted origin %q does not round-trip", o.origin)
			}
			if !strings.HasPrefix(o.uri, "/") || strings.ContainsAny(o.uri, " \t\r\n#") {
				t.Fatalf("accepted target %q", o.uri)
			}
			cb := o.callbackURL()
			if cb != o.origin+"/" && !strings.HasPrefix(cb, o.origin+"/") && !strings.HasPrefix(cb, o.origin+"?") {
				t.Fatalf("callbackUrl %q leaves %q", cb, o.origin)
			}
			if _, ok := redirect.SameOrigin(cb, o.origin); !ok {
				t.Fatalf("callbackUrl %q is not one Latch would redirect to", cb)
			}
		}
		check(parseOriginalURL(http.Header{"X-Original-Url": {originalURL}, "X-Original-Method": {method}}))
		check(parseForwardHeaders(http.Header{"X-Forwarded-Method": {method}, "X-Forwarded-Proto": {proto}, "X-Forwarded-Host": {host}, "X-Forwarded-Uri": {uri}}))
	})
}
