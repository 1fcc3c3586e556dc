package guard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/latchauth/latch/internal/redirect"
)

// maxOriginalURI is the longest original request target accepted, in
// bytes; nginx's default header buffers hold 8 KiB.
const maxOriginalURI = 8192

// original is the request a proxy asks about.
type original struct {
	method string // e.g. GET
	origin string // normalised: "https://app.example.com", default port dropped
	uri    string // the request target as sent: "/path?query"
	path   string // its decoded path
}

// errNoOriginal is the error of a check without the original request.
var errNoOriginal = errors.New("the proxy did not say which request it asks about")

// parseForwardHeaders reads the original request of a Traefik ForwardAuth
// or Caddy forward_auth check: X-Forwarded-Method, -Proto, -Host and -Uri.
// Each may be sent once only, and Method, Proto and Host hold one value
// (no comma: a proxy that appends to a client's header is misconfigured).
func parseForwardHeaders(h http.Header) (original, error) {
	var v [4]string
	for i, k := range []string{"X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Uri"} {
		s, err := single(h, k, i < 3)
		if err != nil {
			return original{}, err
		}
		v[i] = s
	}
	if v[1] == "" || v[2] == "" {
		return original{}, fmt.Errorf("%w: want X-Forwarded-Proto and X-Forwarded-Host", errNoOriginal)
	}
	if v[3] == "" {
		v[3] = "/"
	}
	return newOriginal(v[0], v[1], v[2], v[3])
}

// parseOriginalURL reads the original request of an nginx auth_request
// check: X-Original-URL (the absolute URL, "$scheme://$http_host$request_uri")
// and X-Original-Method, each sent once.
func parseOriginalURL(h http.Header) (original, error) {
	method, err := single(h, "X-Original-Method", true)
	if err != nil {
		return original{}, err
	}
	raw, err := single(h, "X-Original-Url", false)
	if err != nil {
		return original{}, err
	}
	if raw == "" {
		return original{}, fmt.Errorf("%w: want X-Original-URL", errNoOriginal)
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return original{}, errors.New("X-Original-URL: want an absolute http(s) URL")
	}
	host, uri := rest, "/"
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		host, uri = rest[:i], rest[i:]
	}
	if strings.HasPrefix(uri, "?") {
		uri = "/" + uri
	}
	return newOriginal(method, scheme, host, uri)
}

// single returns the one value of the header k ("" when absent); more
// than one line, or with noComma a comma in the value, is an error.
func single(h http.Header, k string, noComma bool) (string, error) {
	v := h[k]
	switch {
	case len(v) == 0:
		return "", nil
	case len(v) > 1:
		return "", fmt.Errorf("%s: sent %d times; want once", k, len(v))
	case noComma && strings.Contains(v[0], ","):
		return "", fmt.Errorf("%s: holds several values; want one (the proxy must overwrite the header, not append to it)", k)
	}
	return strings.TrimSpace(v[0]), nil
}

// newOriginal checks the parts of an original request: a method token
// (GET when empty), http or https, a host[:port] without user info, and a
// request target starting with "/" without white space or control
// characters.
func newOriginal(method, proto, host, uri string) (original, error) {
	if method == "" {
		method = http.MethodGet
	}
	if len(method) > 32 || !isToken(method) {
		return original{}, errors.New("original method: not an HTTP method")
	}
	proto = strings.ToLower(proto)
	if proto != "http" && proto != "https" {
		return original{}, errors.New("original scheme: want http or https")
	}
	if !validHost(host) {
		return original{}, errors.New("original host: want host[:port]")
	}
	if uri == "" || uri[0] != '/' || len(uri) > maxOriginalURI {
		return original{}, errors.New("original URI: want a path starting with /")
	}
	for i := 0; i < len(uri); i++ {
		if c := uri[i]; c <= ' ' || c == 0x7f || c == '#' {
			return original{}, errors.New("original URI: white space, control characters or a fragment")
		}
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil {
		return original{}, errors.New("original URI: does not parse")
	}
	origin := redirect.Origin(&url.URL{Scheme: proto, Host: host})
	if origin == "" {
		return original{}, errors.New("original host: want host[:port]")
	}
	return original{method: strings.ToUpper(method), origin: origin, uri: uri, path: u.Path}, nil
}

// validHost reports whether h is a host name or IP literal with an
// optional port, and nothing else.
func validHost(h string) bool {
	if h == "" || len(h) > 262 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(".-:[]", c) >= 0) {
			return false
		}
	}
	u, err := url.Parse("http://" + h)
	if err != nil || u.Host != h || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Hostname() == "" {
		return false
	}
	if p := u.Port(); p != "" && (len(p) > 5 || p[0] == '0') {
		return false
	}
	return strings.Count(h, ":") <= 1 || strings.HasPrefix(h, "[")
}

// isToken reports whether s is an RFC 9110 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// callbackURL is where to send the user back after signing in: the
// original URL when it is one that every callbackUrl may be (see
// redirect.SameOrigin: no "//", "/\", white space or user info), else the
// site's home page.
func (o original) callbackURL() string {
	if u, ok := redirect.SameOrigin(o.uri, o.origin); ok {
		return u
	}
	return o.origin + "/"
}
