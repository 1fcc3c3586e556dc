package guard

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/redirect"
)

// The identity headers of an allowed check. Every answer that lets a
// request through carries all of them, empty when unknown (or when nobody
// is signed in on a public path), so that a proxy that copies them always
// overwrites what a client sent.
const (
	HeaderRemoteUser   = "Remote-User"   // the user's ID
	HeaderRemoteEmail  = "Remote-Email"  // their email address
	HeaderRemoteName   = "Remote-Name"   // their name (UTF-8)
	HeaderRemoteGroups = "Remote-Groups" // comma-separated groups (see Session.Extra["groups"])

	// oauth2-proxy's names for the same values.
	HeaderAuthRequestUser              = "X-Auth-Request-User"
	HeaderAuthRequestEmail             = "X-Auth-Request-Email"
	HeaderAuthRequestPreferredUsername = "X-Auth-Request-Preferred-Username" // the name
	HeaderAuthRequestGroups            = "X-Auth-Request-Groups"
)

// IdentityHeaders lists the identity headers of an allowed check, in the
// order [Checker] writes them.
var IdentityHeaders = []string{
	HeaderRemoteUser, HeaderRemoteEmail, HeaderRemoteName, HeaderRemoteGroups,
	HeaderAuthRequestUser, HeaderAuthRequestEmail, HeaderAuthRequestPreferredUsername, HeaderAuthRequestGroups,
}

// Site is a site whose requests a proxy checks with a [Checker].
type Site struct {
	// URL is the site's origin as browsers reach it, e.g.
	// "https://app.example.com" (with the port when it is not the
	// scheme's default).
	URL string
	// Public are the path prefixes reached without a session, by the
	// rules of [IsPublic].
	Public []string
	// Allow reports whether the user of s may reach the (decoded) path
	// on the site; nil lets every signed-in user in. A user it refuses
	// gets 403.
	Allow func(s *latch.Session, path string) bool
}

// CheckerConfig configures [NewChecker].
type CheckerConfig struct {
	// Auth checks the sessions (required). Its redirect callback must let
	// users go back to the sites after signing in: see [Redirect].
	Auth *latch.Auth
	// Sites are the sites the checks are for; a check for any other host
	// is refused with 403.
	Sites []Site
	// TrustedProxy reports whether r comes straight from a proxy whose
	// X-Forwarded-* and X-Original-* headers are believed (e.g.
	// clientip.Resolver.FromTrustedProxy). Every check from anywhere
	// else is refused with 403; nil trusts nobody.
	TrustedProxy func(r *http.Request) bool
	// SignInURL is the sign-in page to send users to, e.g.
	// "https://auth.example.com/api/auth/signin"; "" is the sign-in page
	// of Auth's origin. It gets ?callbackUrl=<the original URL>.
	SignInURL string
	// Logger gets the refused checks that point at a configuration
	// error; nil: slog.Default().
	Logger *slog.Logger
	// AssertionKeys, when set, add [HeaderAssertion] to every answer
	// that lets a request through: a JWT (EdDSA) with iss Latch's origin,
	// aud the site's origin, sub the user's ID, email, name, groups, iat
	// and exp, that apps verify with the keys of AssertionKeys.JWKS; it
	// is empty when nobody is signed in on a public path.
	AssertionKeys *AssertionKeys
	// AssertionTTL is how long an assertion is valid; 0: one minute.
	AssertionTTL time.Duration
}

// Checker answers the access checks of a proxy in front of the sites:
// [Checker.AuthRequest] for nginx's auth_request, [Checker.ForwardAuth] for
// Traefik's ForwardAuth and Caddy's forward_auth.
//
// The original request is believed only from a trusted proxy, and only
// for a configured site. A signed-in user the site allows gets 200 with
// [IdentityHeaders] and, when the session was due to be extended, a new
// session cookie (Set-Cookie) that the proxy should pass on to the
// browser. Every answer is Cache-Control: no-store.
type Checker struct {
	auth    *latch.Auth
	sites   map[string]*Site // by normalised origin
	trusted func(*http.Request) bool
	signIn  string
	log     *slog.Logger
	// untrusted and unknown log the refusals that point at a
	// configuration error, once per interval.
	untrusted, unknown *errorLimiter
	assert             *AssertionKeys
	assertTTL          time.Duration
}

// NewChecker returns a Checker for c.
func NewChecker(c CheckerConfig) (*Checker, error) {
	if c.Auth == nil {
		return nil, errors.New("guard: CheckerConfig.Auth is required")
	}
	if len(c.Sites) == 0 {
		return nil, errors.New("guard: CheckerConfig.Sites is empty: name the sites to check requests for")
	}
	k := &Checker{auth: c.Auth, sites: map[string]*Site{}, trusted: c.TrustedProxy, signIn: c.SignInURL, log: c.Logger}
	if k.log == nil {
		k.log = slog.Default()
	}
	if k.trusted == nil {
		k.trusted = func(*http.Request) bool { return false }
	}
	for i := range c.Sites {
		s := c.Sites[i]
		o, err := SiteOrigin(s.URL)
		if err != nil {
			return nil, fmt.Errorf("guard: site %q: %w", s.URL, err)
		}
		for _, p := range s.Public {
			if !strings.HasPrefix(p, "/") {
				return nil, fmt.Errorf("guard: site %s: public prefix %q: want a path starting with /", o, p)
			}
		}
		if k.sites[o] != nil {
			return nil, fmt.Errorf("guard: site %s is listed twice", o)
		}
		k.sites[o] = &s
	}
	if k.signIn != "" {
		if u, err := url.Parse(k.signIn); err != nil || redirect.Origin(u) == "" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("guard: SignInURL %q: want an absolute http(s) URL without query", k.signIn)
		}
	}
	k.assert, k.assertTTL = c.AssertionKeys, c.AssertionTTL
	if k.assertTTL <= 0 {
		k.assertTTL = defaultAssertionTTL
	}
	k.untrusted = &errorLimiter{log: k.log, every: errorLogInterval, warn: true}
	k.unknown = &errorLimiter{log: k.log, every: errorLogInterval, warn: true}
	return k, nil
}

// SiteOrigin checks the URL of a site ("https://app.example.com") and
// returns its normalised origin: lower case, without the default port.
func SiteOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || (u.Path != "" && u.Path != "/") || !validHost(u.Host) {
		return "", errors.New("want the site's origin, e.g. https://app.example.com")
	}
	o := redirect.Origin(u)
	if o == "" {
		return "", errors.New("want an http or https URL")
	}
	return o, nil
}

// AuthRequest is the check of nginx's auth_request: the original request
// comes as X-Original-URL (the site written out, then $request_uri) and
// X-Original-Method. A user who is not signed in gets 401 with Location
// (the sign-in page, for nginx's error_page 401 to redirect to).
func (k *Checker) AuthRequest() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.check(w, r, parseOriginalURL, true)
	})
}

// ForwardAuth is the check of Traefik's ForwardAuth and Caddy's
// forward_auth: the original request comes as X-Forwarded-Method, -Proto,
// -Host and -Uri (Forwarded and X-Forwarded-Prefix are ignored). A user
// who is not signed in is redirected to the sign-in page (302 for GET and
// HEAD, 303 for other methods), except for requests that do not ask for
// HTML (XMLHttpRequest, fetch, APIs), which get 401.
func (k *Checker) ForwardAuth() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		k.check(w, r, parseForwardHeaders, false)
	})
}

// check answers the check r, whose original request parse reads; nginx
// selects nginx's way of asking to sign in.
func (k *Checker) check(w http.ResponseWriter, r *http.Request, parse func(http.Header) (original, error), nginx bool) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		plain(w, http.StatusMethodNotAllowed, "the proxy must ask with GET")
		return
	}
	if !k.trusted(r) {
		k.untrusted.failed("forward auth: refused a check from an address that is not a trusted proxy; "+
			"list the address of your proxy (nginx, Traefik, Caddy) in trustedProxies", "peer", peerIP(r))
		plain(w, http.StatusForbidden, "this address is not a trusted proxy")
		return
	}
	o, err := parse(r.Header)
	if err != nil {
		plain(w, http.StatusBadRequest, err.Error())
		return
	}
	site := k.sites[o.origin]
	if site == nil {
		k.unknown.failed("forward auth: refused a check for a site that is not configured; "+
			"add its URL to the protected sites (forwardAuth.sites) if it is yours", "site", o.origin)
		plain(w, http.StatusForbidden, "not a protected site")
		return
	}
	public := IsPublic(o.path, site.Public)
	s := k.auth.Session(r)
	if s != nil && public && site.Allow != nil && !site.Allow(s, o.path) {
		s = nil // a public path, for someone the site refuses: as anyone
	}
	switch {
	case s == nil && public:
		writeIdentity(h, nil)
		if k.assert != nil {
			h.Set(HeaderAssertion, "")
		}
		w.WriteHeader(http.StatusOK)
	case s == nil:
		k.signInAnswer(w, r, o, nginx)
	case !public && site.Allow != nil && !site.Allow(s, o.path):
		plain(w, http.StatusForbidden, "you may not use this site")
	default:
		if k.assert != nil {
			a, err := k.assert.sign(s, k.latchOrigin(r), o.origin, time.Now(), k.assertTTL)
			if err != nil {
				k.log.Error("forward auth: sign the assertion", "err", err)
				plain(w, http.StatusInternalServerError, "cannot sign the assertion")
				return
			}
			h.Set(HeaderAssertion, a)
		}
		k.auth.KeepAlive(w, r, s)
		h.Set("Cache-Control", "no-store") // KeepAlive may have set its own
		writeIdentity(h, s)
		w.WriteHeader(http.StatusOK)
	}
}

// signInAnswer tells the proxy that the user of o must sign in.
func (k *Checker) signInAnswer(w http.ResponseWriter, r *http.Request, o original, nginx bool) {
	loc := withQuery(k.signInURL(r), "callbackUrl="+url.QueryEscape(o.callbackURL()))
	h := w.Header()
	switch {
	case nginx:
		h.Set("Location", loc)
		plain(w, http.StatusUnauthorized, "sign in at the Location")
	case !browserNavigation(r):
		h.Set("WWW-Authenticate", `Bearer realm="latch"`)
		plain(w, http.StatusUnauthorized, "sign in first")
	case o.method == http.MethodGet || o.method == http.MethodHead:
		h.Set("Location", loc)
		w.WriteHeader(http.StatusFound)
	default:
		h.Set("Location", loc)
		w.WriteHeader(http.StatusSeeOther)
	}
}

// browserNavigation reports whether the original request, whose headers
// r carries, is a browser asking for a page: its Accept names text/html
// and it is not an XMLHttpRequest.
func browserNavigation(r *http.Request) bool {
	if strings.EqualFold(r.Header.Get("X-Requested-With"), "XMLHttpRequest") {
		return false
	}
	for _, a := range r.Header.Values("Accept") {
		if strings.Contains(strings.ToLower(a), "text/html") {
			return true
		}
	}
	return false
}

// signInURL is the sign-in page for a check r.
func (k *Checker) signInURL(r *http.Request) string {
	if k.signIn != "" {
		return k.signIn
	}
	return k.latchOrigin(r) + k.auth.BasePath() + "/signin"
}

// latchOrigin is the origin Latch answers the check r on: its URL's (or
// an allowed host's), never taken from the X-Forwarded-* headers of a
// check, which name the protected site.
func (k *Checker) latchOrigin(r *http.Request) string {
	probe := &http.Request{Host: r.Host, TLS: r.TLS, RemoteAddr: r.RemoteAddr, Header: http.Header{}, URL: r.URL}
	return k.auth.Origin(probe)
}

// withQuery appends the query q to u.
func withQuery(u, q string) string {
	if strings.Contains(u, "?") {
		return u + "&" + q
	}
	return u + "?" + q
}

// writeIdentity sets every identity header, from s (nil: all empty).
func writeIdentity(h http.Header, s *latch.Session) {
	var id, email, name, groups string
	if s != nil {
		id, email, name, groups = s.UserID(), s.User.Email, s.User.Name, sessionGroups(s)
	}
	for _, kv := range [...][2]string{
		{HeaderRemoteUser, id}, {HeaderRemoteEmail, email}, {HeaderRemoteName, name}, {HeaderRemoteGroups, groups},
		{HeaderAuthRequestUser, id}, {HeaderAuthRequestEmail, email}, {HeaderAuthRequestPreferredUsername, name}, {HeaderAuthRequestGroups, groups},
	} {
		h.Set(kv[0], headerValue(kv[1]))
	}
}

// sessionGroups are the groups a Session callback put in
// s.Extra["groups"] (a list of strings), comma-separated; a group with a
// comma is left out.
func sessionGroups(s *latch.Session) string {
	var groups []string
	switch g := s.Extra["groups"].(type) {
	case []string:
		groups = g
	case []any:
		for _, v := range g {
			if str, ok := v.(string); ok {
				groups = append(groups, str)
			}
		}
	}
	kept := groups[:0:0]
	for _, g := range groups {
		if g = strings.TrimSpace(g); g != "" && !strings.Contains(g, ",") {
			kept = append(kept, g)
		}
	}
	return strings.Join(kept, ",")
}

// headerValue is v without the control characters a header value cannot
// carry.
func headerValue(v string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
}

// plain answers a short text/plain message with code.
func plain(w http.ResponseWriter, code int, msg string) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	fmt.Fprintf(w, "%d %s: %s\n", code, http.StatusText(code), msg)
}

// Redirect returns a redirect callback (latch.Callbacks.Redirect) that
// lets a callbackUrl send the user to the site's own origin (baseURL) and
// to any of origins, e.g. the URLs of the sites a [Checker] protects, and
// nowhere else. A URL it refuses sends the user to baseURL. The checks of
// every callbackUrl apply: no "//" or "/\" paths, white space, control
// characters or user info.
func Redirect(origins ...string) func(u, baseURL string) string {
	allowed := make([]string, 0, len(origins))
	for _, o := range origins {
		if n, err := SiteOrigin(o); err == nil {
			allowed = append(allowed, n)
		}
	}
	return func(u, baseURL string) string {
		base := baseURL
		if pu, err := url.Parse(baseURL); err == nil {
			if o := redirect.Origin(pu); o != "" {
				base = o
			}
		}
		if v, ok := redirect.SameOrigin(u, base); ok {
			return v
		}
		if !strings.HasPrefix(u, "/") {
			for _, o := range allowed {
				if v, ok := redirect.SameOrigin(u, o); ok {
					return v
				}
			}
		}
		return baseURL
	}
}
