package latch

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/csrf"
	"github.com/latchauth/latch/internal/form"
	"github.com/latchauth/latch/internal/redirect"
)

// exchange is one request to the auth API and the response being built.
type exchange struct {
	a                *Auth
	w                http.ResponseWriter
	r                *http.Request
	action, provider string
	origin           string // e.g. "https://example.com"
	base             string // origin + base path
	names            *cookieNames
	cookies          []cookie.Pair
	body             form.Body

	csrfToken    string // the token of the (valid or new) CSRF cookie
	csrfVerified bool   // a POST whose body carried that token
	callbackURL  string // where the flow ends, after the redirect rule
	// startedAs is the session cookie value a FormPost OAuth sign-in
	// started with, carried in its check cookie, for a callback that
	// comes without the session cookie.
	startedAs string
	// keepEmail is the address a failed credentials sign-in was tried
	// with, and retryAfter the wait of a rate limit: the sign-in page
	// keeps the one and shows the other.
	keepEmail  string
	retryAfter time.Duration

	setCookies []setCookie

	// Backing arrays for the usual few request cookies, session cookie
	// names, queued cookies and Set-Cookie header values: part of the
	// exchange's allocation instead of one each.
	cookieBuf    [8]cookie.Pair
	namesBuf     [2]string
	setCookieBuf [3]setCookie
	setCookieHdr [1]string
	// session is the session GET <base>/session answers without
	// callbacks (see refresh).
	session Session
}

type setCookie struct{ name, header string }

func (a *Auth) newExchange(w http.ResponseWriter, r *http.Request, action, provider string) *exchange {
	x := &exchange{a: a, w: w, r: r, action: action, provider: provider, origin: a.requestOrigin(r)}
	if x.origin == a.origin {
		x.base = a.originBase
	} else {
		x.base = x.origin + a.basePath
	}
	x.names = a.namesFor(x.origin)
	x.cookies = cookie.AppendRead(x.cookieBuf[:0], r)
	x.setCookies = x.setCookieBuf[:0]
	return x
}

// requestOrigin is the site origin that r is answered on: URL's origin, or,
// with AllowedHosts, the origin r was sent to when its host is one of them.
// The host and scheme come from the Host header and the connection, or
// from X-Forwarded-Host and X-Forwarded-Proto when TrustForwardedHeaders
// is set and r comes straight from a trusted proxy. A client never
// chooses an origin that is not configured.
func (a *Auth) requestOrigin(r *http.Request) string {
	if a.hosts == nil {
		return a.origin
	}
	scheme, host := "http", r.Host
	switch {
	case r.TLS != nil:
		scheme = "https"
	case a.origin != "":
		scheme, _, _ = strings.Cut(a.origin, ":")
	}
	if a.cfg.TrustForwardedHeaders && a.proxies.FromTrustedProxy(r) {
		// A proxy appends to these headers: the last value is the one
		// the trusted proxy wrote, earlier ones may come from the client.
		if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p != "" {
			scheme = "https"
			if strings.EqualFold(p, "http") {
				scheme = "http"
			}
		}
		if h := lastValue(r.Header.Values("X-Forwarded-Host")); h != "" {
			host = h
		}
	}
	if u, err := url.Parse(scheme + "://" + host); err == nil && u.Host == host && u.Path == "" && u.User == nil {
		if o := redirect.Origin(u); o != "" && a.hosts[hostOf(o)] {
			return o
		}
	}
	if a.origin != "" {
		return a.origin
	}
	return redirect.Origin(&url.URL{Scheme: scheme, Host: a.firstHost})
}

// Origin returns the site origin ("https://example.com") that r is
// answered on: URL's, or one of AllowedHosts when r was sent to it, never
// a host that only the request names. Links built for r start with it.
func (a *Auth) Origin(r *http.Request) string { return a.requestOrigin(r) }

// hostOf is the host[:port] of an origin.
func hostOf(origin string) string {
	_, host, _ := strings.Cut(origin, "://")
	return host
}

// namesFor returns the cookie names for a site origin.
func (a *Auth) namesFor(origin string) *cookieNames {
	if strings.HasPrefix(origin, "https://") {
		return a.secureNames
	}
	return a.plainNames
}

// lastValue is the last comma-separated value of a header's lines.
func lastValue(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	l := lines[len(lines)-1]
	if i := strings.LastIndexByte(l, ','); i >= 0 {
		l = l[i+1:]
	}
	return strings.TrimSpace(l)
}

// init does what NextAuth does before every action: read the body, check
// or mint the CSRF token and resolve the callbackUrl. It reports whether
// the request may go on (false: an error has been answered).
func (x *exchange) init() bool {
	if x.r.Method == http.MethodPost {
		var err error
		x.body, err = form.Parse(x.r, x.a.cfg.MaxBodyBytes)
		switch {
		case errors.Is(err, form.ErrTooLarge):
			x.plainError(http.StatusRequestEntityTooLarge, "Error: request body too large")
			return false
		case err != nil:
			x.plainError(http.StatusBadRequest, "Error: "+err.Error())
			return false
		}
	} else {
		x.body = form.Body{} // no fields: Get reads the nil map
	}
	x.initCSRF()
	x.initCallbackURL()
	return true
}

func (x *exchange) initCSRF() {
	if v, ok := cookie.GetRaw(x.cookies, x.names.csrf); ok {
		if token, ok := csrf.Verify(v, x.a.cfg.Secrets); !ok && strings.Contains(v, "%") {
			v = cookie.Decode(v) // encoded otherwise than NextAuth's "%7C"
		} else if ok {
			x.csrfToken = token
			x.csrfVerified = x.r.Method == http.MethodPost && csrf.Match(token, x.body.Get("csrfToken"))
			return
		}
		if token, ok := csrf.Verify(v, x.a.cfg.Secrets); ok {
			x.csrfToken = token
			x.csrfVerified = x.r.Method == http.MethodPost && csrf.Match(token, x.body.Get("csrfToken"))
			return
		}
	}
	token, value := csrf.New(x.a.cfg.Secrets[0])
	x.csrfToken = token
	x.setCookie(x.names.csrf, cookie.Serialize(x.names.csrf, value, -1, time.Time{}, x.names.csrfOpts))
}

func (x *exchange) initCallbackURL() {
	current, hasCookie := cookie.GetRaw(x.cookies, x.names.callbackURL)
	if hasCookie && cookie.DecodesTo(current, x.origin) {
		current = x.origin // the usual value, without decoding it
	} else if hasCookie {
		current = cookie.Decode(current)
	}
	param := x.body.Get("callbackUrl")
	if param == "" && x.r.URL.RawQuery != "" {
		param = x.r.URL.Query().Get("callbackUrl")
	}
	switch {
	case param != "":
		x.callbackURL = x.a.redirectTo(param, x.origin)
	case hasCookie && current == x.origin && x.a.cfg.Callbacks.Redirect == nil:
		x.callbackURL = current // the default rule keeps the bare origin
	case hasCookie:
		x.callbackURL = x.a.redirectTo(current, x.origin)
	default:
		x.callbackURL = x.origin
	}
	if x.callbackURL != current {
		x.setCallbackURL(x.callbackURL)
	}
}

// setCallbackURL makes u where the flow ends, and remembers it in the
// callback-url cookie.
func (x *exchange) setCallbackURL(u string) {
	x.callbackURL = u
	x.setCookie(x.names.callbackURL, cookie.Serialize(x.names.callbackURL, u, -1, time.Time{}, x.names.opts))
}

// redirectTo applies the Redirect callback, or the default same-origin rule.
func (a *Auth) redirectTo(url, origin string) string {
	if a.cfg.Callbacks.Redirect != nil {
		return a.cfg.Callbacks.Redirect(url, origin)
	}
	if u, ok := redirect.SameOrigin(url, origin); ok {
		return u
	}
	for o := range a.trusted {
		if u, ok := redirect.SameOrigin(url, o); ok && !strings.HasPrefix(url, "/") {
			return u
		}
	}
	return origin
}

// setCookie queues a Set-Cookie header; a later one for the same name
// replaces an earlier one.
func (x *exchange) setCookie(name, header string) {
	for i := range x.setCookies {
		if x.setCookies[i].name == name {
			x.setCookies[i].header = header
			return
		}
	}
	x.setCookies = append(x.setCookies, setCookie{name, header})
}

func (x *exchange) writeCookies() {
	if len(x.setCookies) == 0 {
		return
	}
	h := x.w.Header()
	if len(x.setCookies) == 1 && h["Set-Cookie"] == nil {
		x.setCookieHdr[0] = x.setCookies[0].header
		h["Set-Cookie"] = x.setCookieHdr[:1:1] // an Add copies it
		return
	}
	for _, c := range x.setCookies {
		h.Add("Set-Cookie", c.header)
	}
}

// redirect ends the request at url: 302 + Location, or, when the body has
// json=true (or the request Auth.js v5's X-Auth-Return-Redirect: 1),
// {"url": url} with status.
func (x *exchange) redirect(url string, status int) {
	x.writeCookies()
	if x.body.Get("json") == "true" || x.r.Header.Get("X-Auth-Return-Redirect") == "1" {
		x.writeJSON(status, map[string]string{"url": url})
		return
	}
	x.w.Header().Set("Location", url)
	x.w.WriteHeader(http.StatusFound)
}

// json answers v as JSON with the queued cookies.
func (x *exchange) json(status int, v any) {
	x.writeCookies()
	x.writeJSON(status, v)
}

// marshalJS encodes v as JSON.stringify would: no HTML escaping.
func marshalJS(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func (x *exchange) writeJSON(status int, v any) {
	b, err := marshalJS(v)
	if err != nil {
		x.a.log.Error("latch: encode response", "action", x.action, "err", err)
		b, status = []byte(`{}`), http.StatusInternalServerError
	}
	x.w.Header()["Content-Type"] = hdrJSON
	x.w.WriteHeader(status)
	x.w.Write(b)
}

func (x *exchange) plainError(status int, msg string) {
	x.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	x.w.WriteHeader(status)
	x.w.Write([]byte(msg))
}

// Header values shared by every response (net/http never writes to them).
var (
	hdrNoStore = []string{"private, no-cache, no-store"}
	hdrNoCache = []string{"no-cache"}
	hdrZero    = []string{"0"}
	hdrJSON    = []string{"application/json"}
)

func noCache(h http.Header) {
	h["Cache-Control"] = hdrNoStore
	h["Pragma"] = hdrNoCache
	h["Expires"] = hdrZero
}

// errorURL is <base>/error?error=CODE[&provider=ID].
// maxKeptEmail bounds the address carried back to the sign-in page.
const maxKeptEmail = 320

func (x *exchange) errorURL(code string, provider string) string {
	// Every failed sign-in ends here: say so for operators (no secrets,
	// no submitted values).
	x.a.log.Info("latch: sign-in failed", "provider", x.provider, "code", code, "ip", x.a.cfg.ClientIP(x.r))
	if f := x.a.cfg.Events.SignInFailure; f != nil {
		f(x.r.Context(), SignInFailureEvent{Provider: x.provider, Code: code, Request: x.r})
	}
	q := "error=" + cookie.Encode(code)
	if provider != "" {
		q += "&provider=" + cookie.Encode(provider)
	}
	// For the built-in page only: JavaScript clients (json=true) get
	// NextAuth's URL as it is.
	if x.body.Get("json") != "true" {
		if x.keepEmail != "" && len(x.keepEmail) <= maxKeptEmail {
			q += "&email=" + url.QueryEscape(x.keepEmail)
		}
		if x.retryAfter > 0 {
			q += "&retryAfter=" + strconv.Itoa(int((x.retryAfter+time.Second-1)/time.Second))
		}
	}
	return x.base + "/error?" + q
}
