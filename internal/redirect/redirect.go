// Package redirect decides where a callbackUrl may send a user: only to the
// site's own origin.
package redirect

import (
	"net/url"
	"strings"
)

// Origin returns the normalised origin of an absolute http(s) URL
// ("scheme://host[:port]", lower case, default ports dropped) or "" when u
// has none.
func Origin(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Host)
	if scheme == "http" {
		host = strings.TrimSuffix(host, ":80")
	} else {
		host = strings.TrimSuffix(host, ":443")
	}
	return scheme + "://" + host
}

// SameOrigin returns the absolute URL that raw designates when it is safe to
// send a user there from origin ("http://host:port"), and ok=false otherwise.
//
// Accepted: a path starting with a single "/" (made absolute on origin), or
// an absolute http(s) URL of the same origin. Rejected: anything that does
// not parse, protocol-relative "//host" and "/\host", backslashes, control
// characters and white space (browsers strip or reinterpret them), user
// info, and every other scheme (javascript:, data:, ...).
func SameOrigin(raw, origin string) (string, bool) {
	if raw == "" || len(raw) > 4096 {
		return "", false
	}
	for i := 0; i < len(raw); i++ {
		if c := raw[i]; c <= ' ' || c == 0x7f || c == '\\' {
			return "", false
		}
	}
	if raw[0] == '/' {
		if len(raw) > 1 && raw[1] == '/' {
			return "", false
		}
		u, err := url.Parse(origin + raw)
		if err != nil || Origin(u) != origin || u.User != nil {
			return "", false
		}
		return origin + raw, true
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || Origin(u) == "" || Origin(u) != origin {
		return "", false
	}
	if rest, ok := strings.CutPrefix(raw, origin); ok && (rest == "" || strings.ContainsRune("/?#", rune(rest[0]))) {
		return raw, true
	}
	// The same origin written another way (upper case, default port):
	// answer it in the canonical form, so the result starts with origin.
	rest := u.EscapedPath()
	if u.RawQuery != "" || u.ForceQuery {
		rest += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		rest += "#" + u.EscapedFragment()
	}
	return origin + rest, true
}
