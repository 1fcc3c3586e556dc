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
		if err != nil || Origin(u) != origin || u.User != nil || protocolRelativePath(u) {
			return "", false
		}
		return origin + raw, true
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" || Origin(u) == "" || Origin(u) != origin || protocolRelativePath(u) {
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

// protocolRelativePath reports whether u's path, once its dot segments are
// resolved as a browser resolves them, starts with "//": a client that
// reduces the URL to its path (as nuxt-auth does when it redirects during
// server-side rendering) would then leave the site. The path is checked
// as sent and once and twice percent-decoded: "%2F" is no separator for a
// browser, but many app servers and frameworks decode the path and then
// redirect to it, and "/%2F%2Fevil.example" becomes "//evil.example".
func protocolRelativePath(u *url.URL) bool {
	p := u.EscapedPath()
	for i := 0; ; i++ {
		if leavesOrigin(p) {
			return true
		}
		d := percentDecode(p)
		if i == 2 || d == p {
			return false
		}
		p = d
	}
}

// leavesOrigin reports whether a path starts with "//" as a browser reads
// it: backslashes are slashes, tabs and line breaks are dropped, "%2E" is
// a dot in a dot segment, and dot segments are resolved.
func leavesOrigin(p string) bool {
	p = pathNormalizer.Replace(p)
	return strings.HasPrefix(p, "//") || strings.HasPrefix(removeDotSegments(p), "//")
}

var pathNormalizer = strings.NewReplacer(`\`, "/", "\t", "", "\n", "", "\r", "", "%2e", ".", "%2E", ".")

// percentDecode decodes every well-formed %XX of s and keeps the rest as
// it is, as lenient servers do.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// removeDotSegments is RFC 3986 section 5.2.4, as browsers apply it.
func removeDotSegments(in string) string {
	var out []string // output segments, each with its leading "/"
	for in != "" {
		switch {
		case strings.HasPrefix(in, "../"):
			in = in[3:]
		case strings.HasPrefix(in, "./"):
			in = in[2:]
		case strings.HasPrefix(in, "/./"):
			in = in[2:]
		case in == "/.":
			in = "/"
		case strings.HasPrefix(in, "/../"):
			in = in[3:]
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "/..":
			in = "/"
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		case in == "." || in == "..":
			in = ""
		default:
			i := strings.IndexByte(in[1:], '/') + 1
			if i == 0 {
				i = len(in)
			}
			out = append(out, in[:i])
			in = in[i:]
		}
	}
	return strings.Join(out, "")
}
