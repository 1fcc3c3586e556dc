package guard

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/latchauth/latch"
)

// The headers that tell the upstream app who is signed in. Every header
// an app or proxy might read as an identity (see clientHeader) is removed
// from client requests first, so a client cannot claim to be somebody.
const (
	headerUser  = "X-Forwarded-User"  // the user's ID
	headerEmail = "X-Forwarded-Email" // their email address
	headerName  = "X-Forwarded-Name"  // their name (UTF-8)
)

// defaultUpstreamTimeout is how long the guard waits for the app's
// response headers when upstream.timeout is not set.
const defaultUpstreamTimeout = 60 * time.Second

// errorLogInterval is how often at most the guard logs an ERROR line
// about an app that does not answer.
const errorLogInterval = 10 * time.Second

// statusClientClosed is the status recorded (nginx's 499) for a request
// whose client left before the app answered.
const statusClientClosed = 499

// ParseTarget checks the URL of an app to guard: an absolute http(s) URL
// without query, fragment or user info.
func ParseTarget(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("want the app's absolute http(s) URL, e.g. http://127.0.0.1:8080")
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, errors.New("must not have a query, fragment or user info")
	}
	return u, nil
}

// ProxyConfig configures [NewProxy].
type ProxyConfig struct {
	// Auth checks the sessions (required).
	Auth *latch.Auth
	// Target is the app's URL, e.g. http://127.0.0.1:8080 (see
	// [ParseTarget]; required).
	Target *url.URL
	// Public are the path prefixes served without a session (see
	// [IsPublic]).
	Public []string
	// ClientIP resolves the client's address through trusted proxies
	// (e.g. clientip.Resolver.IP); nil: the connection's peer.
	ClientIP func(*http.Request) string
	// Timeout bounds the wait for the app's response headers (0: 60s); a
	// response that has started may stream for any time.
	Timeout time.Duration
	// Logger gets the app's failures; nil: slog.Default().
	Logger *slog.Logger
	// Allow, when set, decides which signed-in users may reach a path
	// (see [PathRules]); the others get 403. Public paths stay public.
	Allow func(s *latch.Session, path string) bool
}

// NewProxy returns the reverse proxy that guards the app at c.Target:
// requests with a session (and those under a public prefix) are proxied
// to it with the identity headers set and Latch's cookies and session
// tokens removed; a browser without a session is sent to sign in, other
// requests get 401.
//
// The app sees the public Host, X-Forwarded-Host and X-Forwarded-Proto
// (of the origin Latch answers the request on), X-Forwarded-For and
// X-Real-IP (the client's address as clientIP resolves it, through
// trusted proxies) and Forwarded with the same values. Whatever else a
// client sent that an app or proxy could take for an identity, a client
// address or a routing override is removed (see clientHeader).
//
// An app that does not send its response headers within the timeout gets
// 504, one that cannot be reached 502; either is logged as an ERROR at
// most once per errorLogInterval. A client that leaves before the answer
// is recorded as 499 and logged at debug level.
func NewProxy(c ProxyConfig) (http.Handler, error) {
	if c.Auth == nil {
		return nil, errors.New("guard: ProxyConfig.Auth is required")
	}
	if c.Target == nil {
		return nil, errors.New("guard: ProxyConfig.Target is required")
	}
	if _, err := ParseTarget(c.Target.String()); err != nil {
		return nil, fmt.Errorf("guard: ProxyConfig.Target: %w", err)
	}
	for _, p := range c.Public {
		if !strings.HasPrefix(p, "/") {
			return nil, fmt.Errorf("guard: public prefix %q: want a path starting with /", p)
		}
	}
	o := struct {
		target   *url.URL
		public   []string
		auth     *latch.Auth
		clientIP func(*http.Request) string
		timeout  time.Duration
		log      *slog.Logger
	}{c.Target, c.Public, c.Auth, c.ClientIP, c.Timeout, c.Logger}
	if o.timeout <= 0 {
		o.timeout = defaultUpstreamTimeout
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.clientIP == nil {
		o.clientIP = peerIP
	}
	// Connections to the app are kept for reuse: the default transport
	// keeps 2, so under load most requests would open a new one.
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil // the app is reached directly, whatever HTTP_PROXY says
	transport.MaxIdleConns = 1024
	transport.MaxIdleConnsPerHost = 1024
	// Only the connection and the wait for the headers are bounded: a
	// download, Server-Sent Events or a WebSocket may then last as long
	// as they like.
	transport.DialContext = (&net.Dialer{Timeout: o.timeout, KeepAlive: 30 * time.Second}).DialContext
	transport.ResponseHeaderTimeout = o.timeout
	failures := &errorLimiter{log: o.log, every: errorLogInterval}
	proxy := &httputil.ReverseProxy{
		Transport: transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(o.target)
			pr.Out.Host = pr.In.Host // the app sees the public host, as behind any proxy
			h := pr.Out.Header
			dropClientHeaders(h)
			dropClientHeaders(pr.Out.Trailer)
			for k := range pr.Out.Trailer {
				// Trailer values arrive after the body: too late to check.
				if n := normalHeader(k); n == "cookie" || n == "authorization" {
					delete(pr.Out.Trailer, k)
				}
			}
			pr.SetXForwarded()
			// The origin Latch answers on: url's, or an allowed host
			// (which a trusted proxy may have named).
			proto, host, _ := strings.Cut(o.auth.Origin(pr.In), "://")
			h.Set("X-Forwarded-Proto", proto)
			h.Set("X-Forwarded-Host", host)
			ip := o.clientIP(pr.In)
			if ip != "" {
				h.Set("X-Forwarded-For", ip)
				h.Set("X-Real-Ip", ip)
			}
			if f := forwarded(ip, pr.In.Host, proto); f != "" {
				h.Set("Forwarded", f)
			}
			s := o.auth.Session(pr.In)
			stripLatchCookies(h)
			dropSessionTokens(pr.In, s, h, o.auth)
			if s != nil {
				setIdentity(h, headerUser, s.UserID())
				setIdentity(h, headerEmail, s.User.Email)
				setIdentity(h, headerName, s.User.Name)
			}
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			attrs := []any{"upstream", o.target.Redacted(), "method", r.Method, "path", r.URL.Path, "err", err}
			var ne net.Error
			switch {
			case r.Context().Err() != nil:
				// The client left (or the server is shutting down): not
				// the app's fault, and nobody reads the answer.
				o.log.Debug("upstream: client closed the request", attrs...)
				w.WriteHeader(statusClientClosed)
			case errors.As(err, &ne) && ne.Timeout():
				failures.failed(fmt.Sprintf("upstream: no answer within %s", o.timeout), attrs...)
				upstreamErrorPage(w, http.StatusGatewayTimeout, fmt.Sprintf("the app behind Latch did not answer within %s", o.timeout))
			default:
				failures.failed("upstream: no answer", attrs...)
				upstreamErrorPage(w, http.StatusBadGateway, "the app behind Latch did not answer")
			}
		},
	}
	var inner http.Handler = proxy
	if allow := c.Allow; allow != nil {
		inner = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !allow(o.auth.Session(r), r.URL.Path) {
				upstreamErrorPage(w, http.StatusForbidden, "you may not use this part of the app")
				return
			}
			proxy.ServeHTTP(w, r)
		})
	}
	guarded := o.auth.Require(inner)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if IsPublic(r.URL.Path, o.public) {
			proxy.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	}), nil
}

// peerIP is the address of r's peer.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// upstreamErrorPage answers a small page for a failed request to the app.
func upstreamErrorPage(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s: %s\n", code, http.StatusText(code), msg)
}

// errorLimiter logs an ERROR line at most once per interval; the failures
// in between are logged at debug level and counted in the next ERROR line
// ("suppressed"). An app that is down makes one line per interval, not
// one per request.
type errorLimiter struct {
	log   *slog.Logger
	every time.Duration
	// warn logs WARN lines instead of ERROR ones.
	warn bool

	mu         sync.Mutex
	last       time.Time // of the last ERROR line
	suppressed int       // failures since, not logged as ERROR
}

func (l *errorLimiter) failed(msg string, attrs ...any) {
	now := time.Now()
	l.mu.Lock()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		l.log.Debug(msg, attrs...)
		return
	}
	n := l.suppressed
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	if n > 0 {
		attrs = append(attrs, "suppressed", n)
	}
	if l.warn {
		l.log.Warn(msg, attrs...)
		return
	}
	l.log.Error(msg, attrs...)
}

// IsPublic reports whether the (decoded) path p is under a public prefix,
// by whole path segments: a prefix ending in "/" covers the paths below
// it ("/assets/" covers "/assets/app.css", not "/assets"); one without
// covers that path and the paths below it after a "/" ("/favicon.ico"
// covers "/favicon.ico" and "/favicon.ico/x", not "/favicon.ico.php").
//
// A path that is not clean once decoded ("/assets/..%2fadmin"), or holds
// a backslash or a semicolon ("/assets/..;/admin", which Java servers
// read as ".."), is never public: the app may resolve it elsewhere.
func IsPublic(p string, public []string) bool {
	// A "%" left after decoding is a second encoding, which an app or a
	// second proxy may decode into ".." or "/": never public.
	if len(public) == 0 || strings.ContainsAny(p, `\;%`) {
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

// forwarded is the RFC 7239 Forwarded header of a request from the client
// at ip to host, over proto.
func forwarded(ip, host, proto string) string {
	quote := func(s string) string {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
	}
	var parts []string
	if ip != "" {
		if strings.Contains(ip, ":") {
			ip = "[" + ip + "]"
		}
		parts = append(parts, "for="+quote(ip))
	}
	if host != "" {
		parts = append(parts, "host="+quote(host))
	}
	if proto != "" {
		parts = append(parts, "proto="+proto)
	}
	return strings.Join(parts, ";")
}

// normalHeader is the name an app may read h as: lower-case, with "_" and
// "." as "-" (CGI, WSGI, Rack and PHP servers see X_Forwarded_User and
// X.Forwarded.User as X-Forwarded-User).
func normalHeader(h string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '_' || r == '.':
			return '-'
		case 'A' <= r && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, h)
}

// clientHeaders are the (normalised) headers a client must not set: the
// identities that apps and proxies (oauth2-proxy, Authelia, Grafana,
// Cloudflare Access, IAP, ALB, Easy Auth...) trust, client addresses, and
// routing overrides. The guard sets some of them itself.
var clientHeaders = map[string]bool{
	"forwarded": true, "x-forwarded": true, "forwarded-for": true,
	"x-real-ip": true, "x-client-ip": true, "true-client-ip": true, "client-ip": true,
	"cf-connecting-ip": true, "cf-connecting-ipv6": true, "x-cluster-client-ip": true,
	"fastly-client-ip": true, "x-originating-ip": true, "x-envoy-external-address": true,
	"x-original-url": true, "x-rewrite-url": true, "x-original-uri": true,
	"x-auth-user": true, "x-auth-email": true, "x-user": true, "x-user-id": true,
	"x-user-email": true, "x-email": true, "x-username": true,
	"proxy-authorization": true,
}

// clientHeaderPrefixes are families of such headers.
var clientHeaderPrefixes = []string{
	"x-forwarded-",         // -For, -Host, -Proto, -Port, -Prefix, -User, -Email, -Groups, -Access-Token...
	"x-auth-request-",      // oauth2-proxy
	"remote-", "x-remote-", // Authelia, Apache
	"x-webauth-", "x-authenticated-",
	"x-pomerium-", "cf-access-", "x-goog-authenticated-", "x-goog-iap-",
	"x-amzn-oidc-", "x-ms-client-principal", "x-ms-token-",
	"x-latch-", // Latch's own assertion (HeaderAssertion)
}

// clientHeader reports whether a client must not send the header k.
func clientHeader(k string) bool {
	k = normalHeader(k)
	if clientHeaders[k] {
		return true
	}
	for _, p := range clientHeaderPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// dropClientHeaders removes from h every header clientHeader names, in
// any spelling.
func dropClientHeaders(h http.Header) {
	for k := range h {
		if clientHeader(k) {
			delete(h, k)
		}
	}
}

// maxAuthorization is the most Authorization headers checked for session
// tokens; a request with more loses them all.
const maxAuthorization = 4

// dropSessionTokens removes from h (the headers to the app of the request
// r, whose session is s) every Authorization header that carries a
// session token Latch accepts as a bearer token, whether the session of r
// comes from it or from a cookie, and whatever the case of "Bearer".
func dropSessionTokens(r *http.Request, s *latch.Session, h http.Header, auth *latch.Auth) {
	values := h.Values("Authorization")
	if len(values) == 0 {
		return
	}
	if len(values) > maxAuthorization {
		h.Del("Authorization")
		return
	}
	var kept []string
	for i, v := range values {
		if i == 0 && s != nil && len(r.Header["Cookie"]) == 0 && strings.HasPrefix(v, "Bearer ") {
			continue // without cookies, s came from this token
		}
		// The scheme ends at the first space or tab.
		scheme, cred := strings.TrimSpace(v), ""
		if i := strings.IndexAny(scheme, " \t"); i >= 0 {
			scheme, cred = scheme[:i], strings.TrimSpace(scheme[i:])
		}
		if strings.EqualFold(scheme, "Bearer") && cred != "" && isSessionToken(r, auth, cred) {
			continue
		}
		kept = append(kept, v)
	}
	h.Del("Authorization")
	if len(kept) > 0 {
		h["Authorization"] = kept
	}
}

// isSessionToken reports whether token, sent with r as a bearer token
// and without cookies, gives a session.
func isSessionToken(r *http.Request, auth *latch.Auth, token string) bool {
	// A context of its own: r's may hold the session read from a cookie.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	defer context.AfterFunc(r.Context(), cancel)()
	probe := r.Clone(ctx)
	probe.Header.Del("Cookie")
	probe.Header.Set("Authorization", "Bearer "+token)
	return auth.Session(probe) != nil
}

// stripLatchCookies removes Latch's cookies (session, CSRF, callback URL,
// OAuth checks, in both cookie families) from the Cookie headers: the app
// learns who is signed in from the identity headers and never sees the
// session token.
func stripLatchCookies(h http.Header) {
	var kept []string
	for _, line := range h.Values("Cookie") {
		for pair := range strings.SplitSeq(line, ";") {
			if pair = strings.TrimSpace(pair); pair != "" && !latchPair(pair) {
				kept = append(kept, pair)
			}
		}
	}
	h.Del("Cookie")
	if len(kept) > 0 {
		h.Set("Cookie", strings.Join(kept, "; "))
	}
}

// latchPair reports whether the "name=value" pair of a Cookie header is
// one of Latch's cookies, or holds one after a comma (old cookie parsers
// split on commas too).
func latchPair(pair string) bool {
	for part := range strings.SplitSeq(pair, ",") {
		name, _, _ := strings.Cut(part, "=")
		if latchCookie(name) {
			return true
		}
	}
	return false
}

// latchCookie reports whether name is one of Latch's cookies, in any
// spelling an app's cookie parser might accept: with or without a
// __Secure- or __Host- prefix, in any case, with spaces around it, and
// with "_" for "." (as PHP names them).
func latchCookie(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	for {
		rest, ok := strings.CutPrefix(name, "__secure-")
		if !ok {
			rest, ok = strings.CutPrefix(name, "__host-")
		}
		if !ok {
			break
		}
		name = rest
	}
	name = strings.ReplaceAll(name, "_", ".")
	return strings.HasPrefix(name, "next-auth.") || strings.HasPrefix(name, "authjs.")
}
