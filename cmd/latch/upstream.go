package main

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"

	"github.com/latchauth/latch"
)

// The headers that tell the upstream app who is signed in. They are
// removed from every client request first, so a client cannot claim to
// be somebody.
const (
	headerUser  = "X-Forwarded-User"  // the user's ID
	headerEmail = "X-Forwarded-Email" // their email address
	headerName  = "X-Forwarded-Name"  // their name (UTF-8)
)

// parseUpstream checks the upstream app's URL.
func parseUpstream(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want the app's absolute http(s) URL, e.g. http://127.0.0.1:8080")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("must not have a query, fragment or user info")
	}
	return u, nil
}

// newUpstream returns the handler that guards the app at target: requests
// with a session (and those under a public prefix) are proxied to it with
// the identity headers set and Latch's cookies removed; a browser without
// a session is sent to sign in, other requests get 401.
//
// The app sees the public Host, X-Forwarded-Host, X-Forwarded-Proto (the
// scheme of Latch's public URL, when known) and X-Forwarded-For (the
// client's address as clientIP resolves it, through trusted proxies).
func newUpstream(target *url.URL, public []string, auth *latch.Auth, publicScheme string, clientIP func(*http.Request) string, log *slog.Logger) http.Handler {
	// Connections to the app are kept for reuse: the default transport
	// keeps 2, so under load most requests would open a new one.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // the app is reached directly, whatever HTTP_PROXY says
	transport.MaxIdleConns = 1024
	transport.MaxIdleConnsPerHost = 1024
	proxy := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // the app sees the public host, as behind any proxy
			pr.SetXForwarded()
			h := pr.Out.Header
			if publicScheme != "" {
				h.Set("X-Forwarded-Proto", publicScheme)
			}
			if ip := clientIP(pr.In); ip != "" {
				h.Set("X-Forwarded-For", ip)
			}
			dropIdentity(h)
			dropIdentity(pr.Out.Trailer)
			hadSessionCookie := stripLatchCookies(h)
			if s := auth.Session(pr.In); s != nil {
				if !hadSessionCookie {
					// The session came from "Authorization: Bearer": a
					// session token the app must not see.
					h.Del("Authorization")
				}
				setIdentity(h, headerUser, s.UserID())
				setIdentity(h, headerEmail, s.User.Email)
				setIdentity(h, headerName, s.User.Name)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Error("upstream: no answer", "upstream", target.Redacted(), "method", r.Method, "path", r.URL.Path, "err", err)
			http.Error(w, "502 Bad Gateway: the app behind Latch did not answer", http.StatusBadGateway)
		},
	}
	guarded := auth.Require(proxy)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPublic(r.URL.Path, public) {
			proxy.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// isPublic reports whether the (decoded) path p is under a public prefix,
// by whole path segments: a prefix ending in "/" covers the paths below
// it ("/assets/" covers "/assets/app.css", not "/assets"); one without
// covers that path and the paths below it after a "/" ("/favicon.ico"
// covers "/favicon.ico" and "/favicon.ico/x", not "/favicon.ico.php").
//
// A path that is not clean once decoded ("/assets/..%2fadmin"), or holds
// a backslash or a semicolon ("/assets/..;/admin", which Java servers
// read as ".."), is never public: the app may resolve it elsewhere.
func isPublic(p string, public []string) bool {
	if len(public) == 0 || strings.ContainsAny(p, `\;`) {
		return false
	}
	clean := path.Clean(p)
	if strings.HasSuffix(p, "/") && clean != "/" {
		clean += "/"
	}
	if clean != p {
		return false
	}
	for _, prefix := range public {
		if rest, ok := strings.CutPrefix(p, prefix); ok && (rest == "" || strings.HasSuffix(prefix, "/") || rest[0] == '/') {
			return true
		}
	}
	return false
}

// setIdentity sets an identity header, without control characters (which
// a header value cannot carry); an empty value sets nothing.
func setIdentity(h http.Header, key, v string) {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
	if v != "" {
		h.Set(key, v)
	}
}

// dropIdentity removes the identity headers from h, in every spelling an
// app might read as theirs: CGI, WSGI, Rack and PHP servers see
// X_Forwarded_User as X-Forwarded-User.
func dropIdentity(h http.Header) {
	for k := range h {
		switch strings.ReplaceAll(strings.ToLower(k), "_", "-") {
		case "x-forwarded-user", "x-forwarded-email", "x-forwarded-name":
			delete(h, k)
		}
	}
}

// stripLatchCookies removes Latch's cookies (session, CSRF, callback URL,
// OAuth checks, in both cookie families) from the Cookie headers, and
// reports whether a session cookie was among them: the app learns who is
// signed in from the identity headers and never sees the session token.
func stripLatchCookies(h http.Header) (hadSession bool) {
	var kept []string
	for _, line := range h.Values("Cookie") {
		for pair := range strings.SplitSeq(line, ";") {
			pair = strings.TrimSpace(pair)
			name, _, _ := strings.Cut(pair, "=")
			if pair == "" {
				continue
			}
			if isLatch, isSession := latchCookie(name); isLatch {
				hadSession = hadSession || isSession
				continue
			}
			kept = append(kept, pair)
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
	return hadSession
}

// latchCookie reports whether name is one of Latch's cookies, and whether
// it is (a chunk of) the session cookie.
func latchCookie(name string) (isLatch, isSession bool) {
	name = strings.TrimPrefix(name, "__Secure-")
	name = strings.TrimPrefix(name, "__Host-")
	for _, family := range []string{"next-auth.", "authjs."} {
		if rest, ok := strings.CutPrefix(name, family); ok {
			return true, strings.HasPrefix(rest, "session-token")
		}
	}
	return false, false
}
