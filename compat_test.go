package latch_test

// Compatibility tests against the real next-auth 4.24.15 (run through
// internal/compat): session tokens, chunked cookies, CSRF cookies and
// redirect decisions must be interchangeable between a NextAuth app and
// Latch. Without node and `npm ci` in internal/compat/node they are skipped
// (they fail instead when LATCH_TEST_STRICT=1).

import (
	"context"
	"encoding/json"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/compat"
	"github.com/latchauth/latch/jwt"
)

const (
	compatSecret      = "compat-secret-5f0c9a7e31d84b26a1e9c0d7f3b2a684"
	compatOtherSecret = "compat-other-secret-0e1d2c3b4a5968778695a4b3c2d1"
	compatThirtyDays  = 30 * 24 * 60 * 60
	compatSessionName = "next-auth.session-token"
	compatCSRFName    = "next-auth.csrf-token"
)

var (
	compatUUIDv4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	compatHex64  = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// compatUsers are the accounts of the test credentials provider, by
// username; the password is "pw-" + username.
var compatUsers = map[string]*latch.User{
	"jane": {ID: "42", Name: "Jane Smith", Email: "jane@example.com", Image: "https://example.com/jane.png"},
	"bob":  {ID: "7", Name: "Bob", Email: "bob@example.com"},
}

// compatServer is a Latch handler mounted at /api/auth/ of a test server.
type compatServer struct {
	srv    *httptest.Server
	origin string // the origin Latch is configured with
	base   string // origin + "/api/auth"
}

// newCompatServer starts Latch with a credentials provider. Latch's URL
// has the test server's origin, with the host name "localhost" instead of
// 127.0.0.1 when localhost is true (requests still go to the test server).
func newCompatServer(t *testing.T, localhost bool) *compatServer {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	origin := srv.URL
	if localhost {
		origin = strings.Replace(origin, "://127.0.0.1:", "://localhost:", 1)
	}
	a, err := latch.New(latch.Config{
		URL:     origin + "/api/auth",
		Secrets: []string{compatSecret},
		Providers: []latch.Provider{&latch.Credentials{
			Authorize: func(ctx context.Context, creds map[string]string, r *http.Request) (*latch.User, error) {
				u := compatUsers[creds["username"]]
				if u == nil || creds["password"] != "pw-"+creds["username"] {
					return nil, nil
				}
				return u, nil
			},
		}},
	})
	if err != nil {
		t.Fatalf("latch.New: %v", err)
	}
	mux.Handle("/api/auth/", a)
	return &compatServer{srv: srv, origin: origin, base: origin + "/api/auth"}
}

// compatResponse is what the test server answered.
type compatResponse struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request to path (under the server) with an optional form body
// and a Cookie header made of the given "name=value" pairs, as they are.
func (s *compatServer) do(t *testing.T, method, path string, form url.Values, cookies ...string) *compatResponse {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, s.srv.URL+path, body)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &compatResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// setCookie returns the Set-Cookie header for name and its raw (encoded)
// value.
func (r *compatResponse) setCookie(name string) (header, value string, ok bool) {
	for _, h := range r.header.Values("Set-Cookie") {
		n, rest, _ := strings.Cut(h, "=")
		if n == name {
			v, _, _ := strings.Cut(rest, ";")
			return h, v, true
		}
	}
	return "", "", false
}

// compatCookieNames returns the names of the Set-Cookie headers, in order.
func compatCookieNames(headers []string) []string {
	var names []string
	for _, h := range headers {
		n, _, _ := strings.Cut(h, "=")
		names = append(names, n)
	}
	return names
}

// jsonURL decodes a {"url": ...} answer.
func (r *compatResponse) jsonURL(t *testing.T) string {
	t.Helper()
	var v struct {
		URL *string `json:"url"`
	}
	if err := json.Unmarshal(r.body, &v); err != nil || v.URL == nil {
		t.Fatalf("body %s; want a JSON object with a url", r.body)
	}
	return *v.URL
}

// compatDecodeCookie decodes a cookie value as next-auth's cookie parser
// does (decodeURIComponent).
func compatDecodeCookie(t *testing.T, v string) string {
	t.Helper()
	d, err := url.PathUnescape(v)
	if err != nil {
		t.Fatalf("cookie value %q does not decode: %v", v, err)
	}
	return d
}

// compatBatch runs the requests in one node process and returns the raw
// responses, in order.
func compatBatch(t *testing.T, r *compat.Runner, reqs []any) []json.RawMessage {
	t.Helper()
	var out struct {
		Responses []json.RawMessage `json:"responses"`
	}
	r.Call(t, map[string]any{"op": "batch", "requests": reqs}, &out)
	if len(out.Responses) != len(reqs) {
		t.Fatalf("node answered %d responses; want %d", len(out.Responses), len(reqs))
	}
	return out.Responses
}

func compatUnmarshal(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(string(raw)))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
}

// compatDecoded is the answer of the decode and getToken ops.
type compatDecoded struct {
	Payload map[string]any `json:"payload"`
	Error   string         `json:"error"`
}

// compatHandlerResult is the answer of the handler op: next-auth's
// internal response for one request.
type compatHandlerResult struct {
	Status   int                           `json:"status"`
	Body     json.RawMessage               `json:"body"`
	Redirect string                        `json:"redirect"`
	Headers  []struct{ Key, Value string } `json:"headers"`
	Cookies  []struct {
		Name    string         `json:"name"`
		Value   string         `json:"value"`
		Options map[string]any `json:"options"`
	} `json:"cookies"`
	SetCookie []string `json:"setCookie"`
	// HTTP is the answer of next-auth's Next.js API route.
	HTTP struct {
		Status   int             `json:"status"`
		Location string          `json:"location"`
		Body     json.RawMessage `json:"body"`
	} `json:"http"`
}

func compatInt(t *testing.T, payload map[string]any, key string) int64 {
	t.Helper()
	n, ok := payload[key].(json.Number)
	if !ok {
		t.Fatalf("claim %q = %#v; want a number", key, payload[key])
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %q = %v; want an integer", key, n)
	}
	return i
}

// compatWindow is the span of wall-clock time in which a test's requests
// were answered, by Latch and by next-auth: on a loaded machine it can be
// seconds long, so dates are checked against it rather than one instant.
type compatWindow struct{ from, to time.Time }

// check reports whether d is within the window moved by offset, give or
// take the second that cookie dates are rounded to.
func (w compatWindow) check(d time.Time, offset time.Duration) bool {
	return !d.Before(w.from.Add(offset-time.Second)) && !d.After(w.to.Add(offset+time.Second))
}

// compatMaskExpires replaces the date of an Expires attribute (and checks
// it is 30 days after the window) so that two Set-Cookie headers can be
// compared.
func compatMaskExpires(t *testing.T, header string, w compatWindow) string {
	t.Helper()
	parts := strings.Split(header, "; ")
	for i, p := range parts {
		if d, ok := strings.CutPrefix(p, "Expires="); ok {
			got, err := http.ParseTime(d)
			if err != nil {
				t.Errorf("%q: Expires does not parse: %v", header, err)
			} else if !w.check(got, compatThirtyDays*time.Second) {
				t.Errorf("%q: Expires %v; want 30 days after %v..%v", header, got, w.from, w.to)
			}
			parts[i] = "Expires=<date>"
		}
	}
	return strings.Join(parts, "; ")
}

// compatMaskValue replaces a Set-Cookie header's value.
func compatMaskValue(header string) string {
	name, rest, _ := strings.Cut(header, "=")
	_, attrs, found := strings.Cut(rest, ";")
	if !found {
		return name + "=<value>"
	}
	return name + "=<value>;" + attrs
}

// compatSessionBody splits a GET /session answer into its body with
// "expires" masked and the expiry time.
func compatSessionBody(t *testing.T, body []byte) (masked string, expires time.Time) {
	t.Helper()
	re := regexp.MustCompile(`"expires":"([^"]*)"`)
	m := re.FindSubmatch(body)
	if m == nil {
		return string(body), time.Time{}
	}
	exp, err := time.Parse("2006-01-02T15:04:05.000Z", string(m[1]))
	if err != nil {
		t.Errorf("expires %q is not an ISO date with milliseconds: %v", m[1], err)
	}
	return re.ReplaceAllString(string(body), `"expires":"<date>"`), exp
}

// TestCompatNextAuthSessionAccepted presents session tokens that next-auth
// encoded to Latch's GET /session and compares the answer with next-auth's
// own answer for the same cookie: body, headers and cookies.
func TestCompatNextAuthSessionAccepted(t *testing.T) {
	node := compat.Node(t)
	s := newCompatServer(t, false)

	cases := []struct {
		name     string
		secret   string
		maxAge   int
		claims   map[string]any
		wantBody string // with "expires" masked; "{}" when signed out
	}{
		{
			name:     "full profile",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": "Jane Smith", "email": "jane@example.com", "picture": "https://example.com/jane.png", "sub": "42"},
			wantBody: `{"user":{"name":"Jane Smith","email":"jane@example.com","image":"https://example.com/jane.png"},"expires":"<date>"}`,
		},
		{
			name:     "no picture",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": "Bob", "email": "bob@example.com", "sub": "7"},
			wantBody: `{"user":{"name":"Bob","email":"bob@example.com"},"expires":"<date>"}`,
		},
		{
			name:     "id only",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"sub": "7"},
			wantBody: `{"user":{},"expires":"<date>"}`,
		},
		{
			name:     "characters JSON escapes differently",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": `Zoë <b>"Q" & Co</b> \ é`, "email": "zoe@example.com", "sub": "9"},
			wantBody: `{"user":{"name":"Zoë <b>\"Q\" & Co</b> \\ é","email":"zoe@example.com"},"expires":"<date>"}`,
		},
		{
			// An adapter user without an image (e-mail sign-in) has
			// "picture": null in its token; next-auth answers "image": null.
			name:     "null picture",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": "Ann", "email": "ann@example.com", "picture": nil, "sub": "5"},
			wantBody: `{"user":{"name":"Ann","email":"ann@example.com","image":null},"expires":"<date>"}`,
		},
		{
			name:     "empty strings",
			secret:   compatSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": "", "email": "e@example.com", "picture": "", "sub": "6"},
			wantBody: `{"user":{"name":"","email":"e@example.com","image":""},"expires":"<date>"}`,
		},
		{
			name:     "expired within the clock tolerance",
			secret:   compatSecret,
			maxAge:   -5,
			claims:   map[string]any{"name": "Late", "sub": "3"},
			wantBody: `{"user":{"name":"Late"},"expires":"<date>"}`,
		},
		{
			name:     "expired",
			secret:   compatSecret,
			maxAge:   -60,
			claims:   map[string]any{"name": "Gone", "sub": "3"},
			wantBody: `{}`,
		},
		{
			name:     "no session cookie",
			wantBody: `{}`,
		},
		{
			name:     "wrong secret",
			secret:   compatOtherSecret,
			maxAge:   compatThirtyDays,
			claims:   map[string]any{"name": "Jane Smith", "email": "jane@example.com", "picture": "https://example.com/jane.png", "sub": "42"},
			wantBody: `{}`,
		},
	}

	var encodes []any
	for _, c := range cases {
		if c.claims == nil {
			encodes = append(encodes, map[string]any{"op": "version"})
			continue
		}
		encodes = append(encodes, map[string]any{"op": "encode", "secret": c.secret, "token": c.claims, "maxAge": c.maxAge})
	}
	tokens := make([]string, len(cases))
	for i, raw := range compatBatch(t, node, encodes) {
		var v struct{ JWT string }
		compatUnmarshal(t, raw, &v)
		tokens[i] = v.JWT
	}

	// Latch answers first, then next-auth answers the same requests and
	// decodes what Latch re-issued.
	latchResp := make([]*compatResponse, len(cases))
	var refs []any
	window := compatWindow{from: time.Now()}
	for i := range cases {
		var cookies []string
		naCookies := map[string]string{}
		if tokens[i] != "" {
			cookies = append(cookies, compatSessionName+"="+tokens[i])
			naCookies[compatSessionName] = tokens[i]
		}
		latchResp[i] = s.do(t, http.MethodGet, "/api/auth/session", nil, cookies...)
		_, reissued, _ := latchResp[i].setCookie(compatSessionName)
		refs = append(refs,
			map[string]any{"op": "handler", "url": s.base, "secret": compatSecret,
				"req": map[string]any{"method": "GET", "action": "session", "cookies": naCookies}},
			map[string]any{"op": "decode", "secret": compatSecret, "jwt": compatDecodeCookie(t, reissued)})
	}
	answers := compatBatch(t, node, refs)
	window.to = time.Now()

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var na compatHandlerResult
			compatUnmarshal(t, answers[2*i], &na)
			var reissued compatDecoded
			compatUnmarshal(t, answers[2*i+1], &reissued)
			got := latchResp[i]

			if got.status != http.StatusOK {
				t.Errorf("status %d; want 200", got.status)
			}
			gotBody, gotExp := compatSessionBody(t, got.body)
			naBody, naExp := compatSessionBody(t, na.Body)
			if naBody != c.wantBody {
				t.Fatalf("next-auth answered %s; want %s (the test's expectation is wrong)", naBody, c.wantBody)
			}
			if gotBody != naBody {
				t.Errorf("Latch answered %s; want %s (as next-auth)", gotBody, naBody)
			}
			for _, h := range na.Headers {
				if g := got.header.Get(h.Key); g != h.Value {
					t.Errorf("header %s: got %q; want %q", h.Key, g, h.Value)
				}
			}

			// The same cookies, in the same order and with the same
			// attributes; values differ (random CSRF token, fresh JWE).
			gotSC, naSC := got.header.Values("Set-Cookie"), na.SetCookie
			if g, w := compatCookieNames(gotSC), compatCookieNames(naSC); !slices.Equal(g, w) {
				t.Errorf("Set-Cookie names %q; want %q", g, w)
			} else {
				for j := range gotSC {
					g := compatMaskValue(compatMaskExpires(t, gotSC[j], window))
					w := compatMaskValue(compatMaskExpires(t, naSC[j], window))
					if g != w {
						t.Errorf("Set-Cookie %d: got %q; want %q", j, g, w)
					}
				}
			}

			header, _, hasSession := got.setCookie(compatSessionName)
			if c.claims == nil {
				if hasSession {
					t.Errorf("Latch set a session cookie without one in the request: %q", header)
				}
				return
			}
			if c.wantBody == "{}" {
				if want := compatSessionName + "=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"; header != want {
					t.Errorf("session cookie %q; want %q", header, want)
				}
				return
			}
			if !window.check(gotExp, compatThirtyDays*time.Second) || !window.check(naExp, compatThirtyDays*time.Second) {
				t.Errorf("expires %v, next-auth's %v; want both 30 days after %v..%v", gotExp, naExp, window.from, window.to)
			}
			if reissued.Payload == nil {
				t.Fatalf("next-auth cannot decode the re-issued session cookie %q: %s", header, reissued.Error)
			}
			for k, v := range c.claims {
				if g := reissued.Payload[k]; g != v {
					t.Errorf("re-issued claim %q = %#v; want %#v", k, g, v)
				}
			}
			iat, exp := compatInt(t, reissued.Payload, "iat"), compatInt(t, reissued.Payload, "exp")
			if exp-iat != compatThirtyDays {
				t.Errorf("re-issued exp - iat = %d; want %d", exp-iat, compatThirtyDays)
			}
			if !window.check(time.Unix(iat, 0), 0) {
				t.Errorf("re-issued iat %d; want within %v..%v", iat, window.from, window.to)
			}
		})
	}
}

// compatSignIn signs in through Latch's credentials flow as next-auth/react
// does and returns the session cookie's raw value.
func compatSignIn(t *testing.T, s *compatServer, username, callbackURL string) (sessionCookie string, resp *compatResponse) {
	t.Helper()
	csrfResp := s.do(t, http.MethodGet, "/api/auth/csrf", nil)
	var c struct{ CSRFToken string }
	if err := json.Unmarshal(csrfResp.body, &c); err != nil || !compatHex64.MatchString(c.CSRFToken) {
		t.Fatalf("GET /csrf answered %s; want {\"csrfToken\":\"<64 hex>\"}", csrfResp.body)
	}
	_, csrfCookie, ok := csrfResp.setCookie(compatCSRFName)
	if !ok {
		t.Fatalf("GET /csrf set no %s cookie", compatCSRFName)
	}
	form := url.Values{
		"username": {username}, "password": {"pw-" + username},
		"csrfToken": {c.CSRFToken}, "callbackUrl": {callbackURL}, "json": {"true"}, "redirect": {"false"},
	}
	resp = s.do(t, http.MethodPost, "/api/auth/callback/credentials", form, compatCSRFName+"="+csrfCookie)
	_, session, _ := resp.setCookie(compatSessionName)
	return session, resp
}

// TestCompatLatchTokenDecodesInNextAuth checks that the session tokens
// Latch writes (at a credentials sign-in, and with the jwt package) are
// read by next-auth's decode and getToken with the same secret.
func TestCompatLatchTokenDecodesInNextAuth(t *testing.T) {
	node := compat.Node(t)
	s := newCompatServer(t, false)

	type tokenCase struct {
		name       string
		token      string         // as next-auth reads it (decoded)
		wantClaims map[string]any // nil value: the claim must be absent
		maxAge     int64
	}
	var cases []tokenCase
	before := time.Now().Unix()
	for _, username := range []string{"jane", "bob"} {
		u := compatUsers[username]
		raw, resp := compatSignIn(t, s, username, "/dashboard")
		if resp.status != http.StatusOK {
			t.Fatalf("sign-in as %s: status %d, body %s; want 200", username, resp.status, resp.body)
		}
		if got, want := resp.jsonURL(t), s.origin+"/dashboard"; got != want {
			t.Errorf("sign-in as %s: url %q; want %q", username, got, want)
		}
		if raw == "" {
			t.Fatalf("sign-in as %s set no %s cookie", username, compatSessionName)
		}
		claims := map[string]any{"name": u.Name, "email": u.Email, "sub": u.ID, "picture": nil}
		if u.Image != "" {
			claims["picture"] = u.Image
		}
		cases = append(cases, tokenCase{name: "credentials sign-in " + username, token: compatDecodeCookie(t, raw), wantClaims: claims, maxAge: compatThirtyDays})
	}

	codec, err := jwt.New(jwt.V4, "", compatSecret)
	if err != nil {
		t.Fatalf("jwt.New: %v", err)
	}
	custom := jwt.Claims{"name": "Codec User", "email": "codec@example.com", "picture": "https://example.com/c.png", "sub": "codec-1", "role": "admin"}
	encoded, err := codec.Encode(custom, time.Now(), time.Hour)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	cases = append(cases, tokenCase{name: "jwt.Encode", token: encoded, wantClaims: map[string]any(custom), maxAge: 3600})
	after := time.Now().Unix()

	var reqs []any
	for _, c := range cases {
		reqs = append(reqs,
			map[string]any{"op": "decode", "secret": compatSecret, "jwt": c.token},
			map[string]any{"op": "getToken", "secret": compatSecret, "cookies": map[string]string{compatSessionName: c.token}},
			map[string]any{"op": "decode", "secret": compatOtherSecret, "jwt": c.token})
	}
	answers := compatBatch(t, node, reqs)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for j, via := range []string{"decode", "getToken"} {
				var got compatDecoded
				compatUnmarshal(t, answers[3*i+j], &got)
				if got.Payload == nil {
					t.Fatalf("%s: next-auth rejected the token: %s", via, got.Error)
				}
				for k, want := range c.wantClaims {
					v, present := got.Payload[k]
					if want == nil {
						if present {
							t.Errorf("%s: claim %q = %#v; want it absent", via, k, v)
						}
						continue
					}
					if v != want {
						t.Errorf("%s: claim %q = %#v; want %#v", via, k, v, want)
					}
				}
				iat, exp := compatInt(t, got.Payload, "iat"), compatInt(t, got.Payload, "exp")
				if iat < before || iat > after {
					t.Errorf("%s: iat %d; want between %d and %d", via, iat, before, after)
				}
				if exp-iat != c.maxAge {
					t.Errorf("%s: exp - iat = %d; want %d", via, exp-iat, c.maxAge)
				}
				if jti, _ := got.Payload["jti"].(string); !compatUUIDv4.MatchString(jti) {
					t.Errorf("%s: jti %q; want a UUID v4", via, jti)
				}
				wantKeys := 3 // iat, exp, jti
				for _, v := range c.wantClaims {
					if v != nil {
						wantKeys++
					}
				}
				if len(got.Payload) != wantKeys {
					t.Errorf("%s: payload %v has %d claims; want %d", via, got.Payload, len(got.Payload), wantKeys)
				}
			}
			var wrong compatDecoded
			compatUnmarshal(t, answers[3*i+2], &wrong)
			if wrong.Payload != nil || wrong.Error == "" {
				t.Errorf("decode with another secret: payload %v, error %q; want a decryption error", wrong.Payload, wrong.Error)
			}
		})
	}
}

// TestCompatChunkedSession sends a session token too large for one cookie,
// encoded and split into chunks by next-auth, to Latch, and checks that
// next-auth reads the chunks Latch writes back.
func TestCompatChunkedSession(t *testing.T) {
	node := compat.Node(t)
	s := newCompatServer(t, false)

	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	blob := make([]byte, 5000)
	for i := range blob {
		blob[i] = letters[rng.IntN(len(letters))]
	}
	claims := map[string]any{"name": "Chunky", "email": "chunky@example.com", "picture": "https://example.com/c.png", "sub": "99", "blob": string(blob)}
	var enc struct{ JWT string }
	node.Call(t, map[string]any{"op": "encode", "secret": compatSecret, "token": claims, "maxAge": compatThirtyDays}, &enc)
	if len(enc.JWT) <= 3933 {
		t.Fatalf("token of %d characters; want more than 3933 so that it is chunked", len(enc.JWT))
	}
	var chunked struct {
		Cookies []struct{ Name, Value string }
	}
	node.Call(t, map[string]any{"op": "chunk", "name": compatSessionName, "value": enc.JWT}, &chunked)
	var names []string
	for _, c := range chunked.Cookies {
		names = append(names, c.Name)
	}
	if want := []string{compatSessionName + ".0", compatSessionName + ".1"}; !slices.Equal(names, want) {
		t.Fatalf("next-auth chunked the token into %q; want %q", names, want)
	}

	cases := []struct {
		name  string
		order []int // chunk indexes in Cookie header order
	}{
		{"in order", []int{0, 1}},
		{"reversed", []int{1, 0}},
	}
	want := `{"user":{"name":"Chunky","email":"chunky@example.com","image":"https://example.com/c.png"},"expires":"<date>"}`
	resps := make([]*compatResponse, len(cases))
	var reqs []any
	for i, c := range cases {
		var cookies []string
		naCookies := map[string]string{}
		for _, j := range c.order {
			cookies = append(cookies, chunked.Cookies[j].Name+"="+chunked.Cookies[j].Value)
			naCookies[chunked.Cookies[j].Name] = chunked.Cookies[j].Value
		}
		resps[i] = s.do(t, http.MethodGet, "/api/auth/session", nil, cookies...)
		reissued := map[string]string{}
		for _, h := range resps[i].header.Values("Set-Cookie") {
			name, rest, _ := strings.Cut(h, "=")
			if strings.HasPrefix(name, compatSessionName) {
				v, _, _ := strings.Cut(rest, ";")
				reissued[name] = compatDecodeCookie(t, v)
			}
		}
		reqs = append(reqs,
			map[string]any{"op": "handler", "url": s.base, "secret": compatSecret,
				"req": map[string]any{"method": "GET", "action": "session", "cookies": naCookies}},
			map[string]any{"op": "getToken", "secret": compatSecret, "cookies": reissued})
	}
	answers := compatBatch(t, node, reqs)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var na compatHandlerResult
			compatUnmarshal(t, answers[2*i], &na)
			var reread compatDecoded
			compatUnmarshal(t, answers[2*i+1], &reread)
			got := resps[i]
			gotBody, _ := compatSessionBody(t, got.body)
			naBody, _ := compatSessionBody(t, na.Body)
			if naBody != want {
				t.Fatalf("next-auth answered %s; want %s", naBody, want)
			}
			if gotBody != naBody {
				t.Errorf("Latch answered %s; want %s (as next-auth)", gotBody, naBody)
			}
			var gotSession []string
			for _, n := range compatCookieNames(got.header.Values("Set-Cookie")) {
				if strings.HasPrefix(n, compatSessionName) {
					gotSession = append(gotSession, n)
				}
			}
			var naSession []string
			for _, n := range compatCookieNames(na.SetCookie) {
				if strings.HasPrefix(n, compatSessionName) {
					naSession = append(naSession, n)
				}
			}
			slices.Sort(gotSession)
			slices.Sort(naSession)
			if !slices.Equal(gotSession, naSession) {
				t.Errorf("re-issued session cookies %q; want %q (as next-auth)", gotSession, naSession)
			}
			for _, h := range got.header.Values("Set-Cookie") {
				if strings.HasPrefix(h, compatSessionName) && strings.Contains(h, "Max-Age=0") {
					t.Errorf("Latch deleted a chunk it should have rewritten: %q", h)
				}
			}
			if reread.Payload == nil {
				t.Fatalf("next-auth getToken cannot read the chunks Latch re-issued: %s", reread.Error)
			}
			for k, v := range claims {
				if g := reread.Payload[k]; g != v {
					t.Errorf("re-read claim %q = %.60v; want %.60v", k, g, v)
				}
			}
		})
	}
}

// TestCompatCSRF exchanges CSRF cookies between next-auth's createCSRFToken
// and Latch: each accepts the other's genuine cookie and refuses a forged
// or mismatched one.
func TestCompatCSRF(t *testing.T) {
	node := compat.Node(t)
	s := newCompatServer(t, false)

	type mintedCSRF struct {
		CSRFToken string `json:"csrfToken"`
		Cookie    string `json:"cookie"`
	}
	var minted, foreign mintedCSRF
	mints := compatBatch(t, node, []any{
		map[string]any{"op": "csrf", "secret": compatSecret, "cookieValue": nil, "isPost": false},
		map[string]any{"op": "csrf", "secret": compatOtherSecret, "cookieValue": nil, "isPost": false},
	})
	compatUnmarshal(t, mints[0], &minted)
	compatUnmarshal(t, mints[1], &foreign)
	naToken, naHash, _ := strings.Cut(minted.Cookie, "|")
	if naToken != minted.CSRFToken || !compatHex64.MatchString(naToken) || !compatHex64.MatchString(naHash) {
		t.Fatalf("next-auth minted token %q, cookie %q; want <64 hex>|<64 hex>", minted.CSRFToken, minted.Cookie)
	}

	csrfResp := s.do(t, http.MethodGet, "/api/auth/csrf", nil)
	var latchCSRF struct{ CSRFToken string }
	if err := json.Unmarshal(csrfResp.body, &latchCSRF); err != nil {
		t.Fatalf("GET /csrf: %s: %v", csrfResp.body, err)
	}
	header, raw, ok := csrfResp.setCookie(compatCSRFName)
	if !ok {
		t.Fatalf("GET /csrf set no %s cookie", compatCSRFName)
	}
	if want := regexp.MustCompile(`^next-auth\.csrf-token=[0-9a-f]{64}%7C[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Lax$`); !want.MatchString(header) {
		t.Errorf("Set-Cookie %q; want %s", header, want)
	}
	latchCookie := compatDecodeCookie(t, raw)
	if tok, _, _ := strings.Cut(latchCookie, "|"); tok != latchCSRF.CSRFToken {
		t.Errorf("GET /csrf answered token %q with cookie %q; want the cookie's token", latchCSRF.CSRFToken, latchCookie)
	}

	// Latch's GET /csrf keeps a genuine next-auth cookie and its token.
	kept := s.do(t, http.MethodGet, "/api/auth/csrf", nil, compatCSRFName+"="+url.QueryEscape(minted.Cookie))
	if got := string(kept.body); got != `{"csrfToken":"`+minted.CSRFToken+`"}` {
		t.Errorf("GET /csrf with next-auth's cookie answered %s; want its token %s", got, minted.CSRFToken)
	}
	if h, _, ok := kept.setCookie(compatCSRFName); ok {
		t.Errorf("GET /csrf replaced next-auth's genuine cookie: %q", h)
	}

	flip := func(s string) string { // change the last hex digit
		last := s[len(s)-1]
		r := byte('0')
		if last == '0' {
			r = '1'
		}
		return s[:len(s)-1] + string(r)
	}
	type csrfCase struct {
		name, cookie, body string
		wantVerified       bool
		wantNewCookie      bool
	}
	var cases []csrfCase
	for _, src := range []struct{ name, cookie string }{{"next-auth", minted.Cookie}, {"Latch", latchCookie}} {
		token, hash, _ := strings.Cut(src.cookie, "|")
		cases = append(cases,
			csrfCase{src.name + " cookie, matching token", src.cookie, token, true, false},
			csrfCase{src.name + " cookie, other token", src.cookie, flip(token), false, false},
			csrfCase{src.name + " cookie, no token", src.cookie, "", false, false},
			csrfCase{src.name + " cookie, upper-case token", src.cookie, strings.ToUpper(token), false, false},
			csrfCase{src.name + " cookie, tampered hash", token + "|" + flip(hash), token, false, true},
			csrfCase{src.name + " cookie, tampered token", flip(token) + "|" + hash, flip(token), false, true},
			csrfCase{src.name + " cookie, token only", token, token, false, true},
		)
	}
	foreignToken, _, _ := strings.Cut(foreign.Cookie, "|")
	cases = append(cases,
		csrfCase{"cookie signed with another secret", foreign.Cookie, foreignToken, false, true},
		csrfCase{"no cookie", "", "", false, true})

	var reqs []any
	resps := make([]*compatResponse, len(cases))
	for i, c := range cases {
		reqs = append(reqs, map[string]any{"op": "csrf", "secret": compatSecret, "cookieValue": c.cookie, "bodyToken": c.body, "isPost": true})
		form := url.Values{"csrfToken": {c.body}, "callbackUrl": {"/bye"}, "json": {"true"}}
		var cookies []string
		if c.cookie != "" {
			cookies = append(cookies, compatCSRFName+"="+url.QueryEscape(c.cookie))
		}
		resps[i] = s.do(t, http.MethodPost, "/api/auth/signout", form, cookies...)
		// A replacement cookie Latch sets must verify in next-auth.
		fresh := ""
		if _, v, ok := resps[i].setCookie(compatCSRFName); ok {
			fresh = compatDecodeCookie(t, v)
		}
		freshToken, _, _ := strings.Cut(fresh, "|")
		reqs = append(reqs, map[string]any{"op": "csrf", "secret": compatSecret, "cookieValue": fresh, "bodyToken": freshToken, "isPost": true})
	}
	answers := compatBatch(t, node, reqs)

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var na struct {
				CSRFToken         string `json:"csrfToken"`
				Cookie            string `json:"cookie"`
				CSRFTokenVerified bool   `json:"csrfTokenVerified"`
			}
			compatUnmarshal(t, answers[2*i], &na)
			if na.CSRFTokenVerified != c.wantVerified {
				t.Fatalf("next-auth verified=%v; want %v (the test's expectation is wrong)", na.CSRFTokenVerified, c.wantVerified)
			}
			if got := na.Cookie != ""; got != c.wantNewCookie {
				t.Fatalf("next-auth minted a new cookie=%v; want %v", got, c.wantNewCookie)
			}
			got := resps[i]
			if got.status != http.StatusOK {
				t.Errorf("status %d; want 200", got.status)
			}
			wantURL := s.base + "/signout?csrf=true"
			if c.wantVerified {
				wantURL = s.origin + "/bye"
			}
			if u := got.jsonURL(t); u != wantURL {
				t.Errorf("Latch answered url %q; want %q", u, wantURL)
			}
			h, _, minted := got.setCookie(compatCSRFName)
			if minted != c.wantNewCookie {
				t.Errorf("Latch set a new CSRF cookie=%v (%q); want %v, as next-auth", minted, h, c.wantNewCookie)
			}
			if minted {
				var check struct {
					CSRFTokenVerified bool `json:"csrfTokenVerified"`
				}
				compatUnmarshal(t, answers[2*i+1], &check)
				if !check.CSRFTokenVerified {
					t.Errorf("next-auth rejects the replacement cookie Latch set: %q", h)
				}
			}
		})
	}
}

// TestCompatRedirect compares Latch's callbackUrl decisions with next-auth's
// default redirect callback. Both use the same origin (Latch's configured
// origin is next-auth's baseUrl). Where next-auth is weak (it throws on a
// value that is not a URL, and keeps "//host" style paths that a browser
// resolves to another site) Latch's safe answer is asserted instead, and
// Latch must never leave the origin.
func TestCompatRedirect(t *testing.T) {
	node := compat.Node(t)
	// A host name rather than 127.0.0.1, so that case folding of the host
	// and user info that looks like the host are exercised.
	s := newCompatServer(t, true)
	o := s.origin
	h := strings.TrimPrefix(o, "http://")
	_, port, _ := strings.Cut(h, ":")
	if !strings.HasPrefix(h, "localhost:") || port == "" {
		t.Fatalf("origin %q; want http://localhost:PORT", o)
	}

	const (
		throws = "<throws>"
		same   = "<as next-auth>"
	)
	cases := []struct {
		in       string
		nextAuth string // next-auth's result, or throws
		latch    string // Latch's result, or same
	}{
		// Paths on the site.
		{"/", o + "/", same},
		{"/dashboard", o + "/dashboard", same},
		{"/dashboard?tab=1#top", o + "/dashboard?tab=1#top", same},
		{"/a/b/../c", o + "/a/b/../c", same},
		{"/café", o + "/café", same},
		{"/x/%0d%0aLocation:%20http://evil.com", o + "/x/%0d%0aLocation:%20http://evil.com", same},
		// Absolute URLs of the same origin.
		{o, o, same},
		{o + "/", o + "/", same},
		{o + "/profile?x=1", o + "/profile?x=1", same},
		{o + "#frag", o + "#frag", same},
		// Latch answers the same origin in its canonical form, so the
		// result always starts with the origin.
		{"HTTP://LOCALHOST:" + port + "/upper", "HTTP://LOCALHOST:" + port + "/upper", o + "/upper"},
		// Other origins.
		{"http://localhost:1/x", o, same},
		{"https://" + h + "/x", o, same},
		{"http://127.0.0.1:" + port + "/x", o, same},
		{"http://[::1]:" + port + "/", o, same},
		{"https://evil.com/x", o, same},
		{"http://evil.com", o, same},
		{"http://localhost.evil.com:" + port + "/", o, same},
		{"http://" + h + "@evil.com", o, same},
		{"http://" + h + "@evil.com/x", o, same},
		// Other schemes.
		{"javascript:alert(1)", o, same},
		{"JavaScript:alert(document.domain)//", o, same},
		{"data:text/html,<script>alert(1)</script>", o, same},
		{"mailto:a@example.com", o, same},
		// next-auth throws (a 500 in the app): Latch uses the origin.
		{"undefined", throws, o},
		{"null", throws, o},
		{"foo", throws, o},
		{"foo/bar", throws, o},
		{"  ", throws, o},
		{" /dashboard", throws, o},
		{"http://" + h + ":80/x", throws, o},
		// next-auth keeps these as a path of the site, which a browser
		// (or a client-side router given the path) resolves to evil.com.
		{"//evil.com", o + "//evil.com", o},
		{"//evil.com/path", o + "//evil.com/path", o},
		{"///evil.com", o + "///evil.com", o},
		{`/\evil.com`, o + `/\evil.com`, o},
		{`/\/evil.com`, o + `/\/evil.com`, o},
		{"/\t/evil.com", o + "/\t/evil.com", o},
		// next-auth keeps these; app servers and frameworks that decode
		// the path before they redirect send the user to //evil.com.
		{"/%2F%2Fevil.com", o + "/%2F%2Fevil.com", o},
		{"/%2f%5cevil.com", o + "/%2f%5cevil.com", o},
		{"/%5C%5Cevil.com/x", o + "/%5C%5Cevil.com/x", o},
		// next-auth keeps these (same origin once a URL parser cleans them
		// up); Latch refuses white space, control characters, backslashes,
		// user info and scheme-relative forms and uses the origin.
		{"/foo\tbar", o + "/foo\tbar", o},
		{"/x\r\nSet-Cookie: a=b", o + "/x\r\nSet-Cookie: a=b", o},
		{" " + o + "/x", " " + o + "/x", o},
		{"\t" + o + "/x", "\t" + o + "/x", o},
		{"http://user:pass@" + h + "/x", "http://user:pass@" + h + "/x", o},
		{"http://" + h + `\@evil.com`, "http://" + h + `\@evil.com`, o},
		{"http:" + h + "/x", "http:" + h + "/x", o},
		{"http:/" + h + "/x", "http:/" + h + "/x", o},
	}

	urls := make([]string, len(cases))
	for i, c := range cases {
		urls[i] = c.in
	}
	var na struct {
		Results []struct {
			URL    string  `json:"url"`
			Result *string `json:"result"`
			Error  *string `json:"error"`
		} `json:"results"`
	}
	node.Call(t, map[string]any{"op": "redirect", "urls": urls, "baseUrl": o}, &na)
	if len(na.Results) != len(cases) {
		t.Fatalf("next-auth answered %d results; want %d", len(na.Results), len(cases))
	}

	// One CSRF cookie for every sign-out.
	csrfResp := s.do(t, http.MethodGet, "/api/auth/csrf", nil)
	var c struct{ CSRFToken string }
	if err := json.Unmarshal(csrfResp.body, &c); err != nil {
		t.Fatalf("GET /csrf: %s: %v", csrfResp.body, err)
	}
	_, csrfCookie, _ := csrfResp.setCookie(compatCSRFName)

	for i, tc := range cases {
		t.Run(strings.ReplaceAll(strconv.Quote(tc.in), port, "PORT"), func(t *testing.T) {
			r := na.Results[i]
			naGot := throws
			if r.Result != nil {
				naGot = *r.Result
			}
			if naGot != tc.nextAuth {
				t.Fatalf("next-auth redirect(%q) = %q (error %v); want %q (the test's expectation is wrong)", tc.in, naGot, r.Error, tc.nextAuth)
			}
			want := tc.latch
			if want == same {
				want = naGot
			}

			signOut := s.do(t, http.MethodPost, "/api/auth/signout",
				url.Values{"csrfToken": {c.CSRFToken}, "callbackUrl": {tc.in}, "json": {"true"}},
				compatCSRFName+"="+csrfCookie)
			_, signIn := compatSignIn(t, s, "bob", tc.in)
			for _, x := range []struct {
				via  string
				resp *compatResponse
			}{{"sign-out", signOut}, {"sign-in", signIn}} {
				if x.resp.status != http.StatusOK {
					t.Errorf("%s: status %d, body %s; want 200", x.via, x.resp.status, x.resp.body)
					continue
				}
				got := x.resp.jsonURL(t)
				if got != want {
					t.Errorf("%s: url %q; want %q (next-auth: %q)", x.via, got, want, naGot)
				}
				compatCheckOnOrigin(t, x.via, got, o)
			}
		})
	}
}

// compatCheckOnOrigin fails unless u is an absolute URL of origin whose
// path cannot be read as a link to another host.
func compatCheckOnOrigin(t *testing.T, via, u, origin string) {
	t.Helper()
	parsed, err := url.Parse(u)
	if err != nil {
		t.Errorf("%s: url %q does not parse: %v", via, u, err)
		return
	}
	if got := strings.ToLower(parsed.Scheme + "://" + parsed.Host); got != origin || parsed.User != nil {
		t.Errorf("%s: url %q leaves the origin %s", via, u, origin)
	}
	if p := parsed.EscapedPath(); strings.HasPrefix(p, "//") || strings.ContainsAny(u, "\\\t\r\n ") {
		t.Errorf("%s: url %q has a path a browser may resolve to another host", via, u)
	}
}

// TestCompatCredentialsSignIn runs the same credentials sign-ins against
// Latch and against next-auth's own handler (with an equivalent
// credentials provider and the same CSRF cookie) and compares the HTTP
// answers: status, Location or {url} body, Set-Cookie headers, and the
// claims of the session token.
func TestCompatCredentialsSignIn(t *testing.T) {
	node := compat.Node(t)
	s := newCompatServer(t, false)

	csrfResp := s.do(t, http.MethodGet, "/api/auth/csrf", nil)
	var c struct{ CSRFToken string }
	if err := json.Unmarshal(csrfResp.body, &c); err != nil {
		t.Fatalf("GET /csrf: %s: %v", csrfResp.body, err)
	}
	_, csrfRaw, ok := csrfResp.setCookie(compatCSRFName)
	if !ok {
		t.Fatalf("GET /csrf set no %s cookie", compatCSRFName)
	}

	naUsers := map[string]any{}
	for name, u := range compatUsers {
		m := map[string]any{"id": u.ID, "name": u.Name, "email": u.Email}
		if u.Image != "" {
			m["image"] = u.Image
		}
		naUsers[name] = m
	}

	cases := []struct {
		name                   string
		form                   map[string]string
		noCSRFCookie, signedIn bool
	}{
		{name: "right password", form: map[string]string{"username": "jane", "password": "pw-jane", "callbackUrl": "/dashboard", "json": "true"}, signedIn: true},
		{name: "user without image", form: map[string]string{"username": "bob", "password": "pw-bob", "callbackUrl": "/dashboard", "json": "true"}, signedIn: true},
		{name: "no callbackUrl", form: map[string]string{"username": "bob", "password": "pw-bob", "json": "true"}, signedIn: true},
		{name: "absolute callbackUrl", form: map[string]string{"username": "bob", "password": "pw-bob", "callbackUrl": s.origin + "/x?y=1", "json": "true"}, signedIn: true},
		{name: "without json", form: map[string]string{"username": "bob", "password": "pw-bob", "callbackUrl": "/dashboard"}, signedIn: true},
		{name: "without json, foreign callbackUrl", form: map[string]string{"username": "bob", "password": "pw-bob", "callbackUrl": "https://evil.com/x"}, signedIn: true},
		{name: "wrong password", form: map[string]string{"username": "jane", "password": "nope", "callbackUrl": "/dashboard", "json": "true"}},
		{name: "unknown user", form: map[string]string{"username": "eve", "password": "pw-eve", "json": "true"}},
		{name: "wrong csrf token", form: map[string]string{"username": "jane", "password": "pw-jane", "json": "true", "csrfToken": strings.Repeat("0", 64)}},
		{name: "no csrf cookie", form: map[string]string{"username": "jane", "password": "pw-jane", "json": "true"}, noCSRFCookie: true},
	}

	resps := make([]*compatResponse, len(cases))
	var reqs []any
	window := compatWindow{from: time.Now()}
	for i, tc := range cases {
		form := url.Values{}
		body := map[string]string{"csrfToken": c.CSRFToken}
		for k, v := range tc.form {
			body[k] = v
		}
		for k, v := range body {
			form.Set(k, v)
		}
		var cookies []string
		naCookies := map[string]string{}
		if !tc.noCSRFCookie {
			cookies = append(cookies, compatCSRFName+"="+csrfRaw)
			naCookies[compatCSRFName] = compatDecodeCookie(t, csrfRaw)
		}
		resps[i] = s.do(t, http.MethodPost, "/api/auth/callback/credentials", form, cookies...)
		reqs = append(reqs, map[string]any{"op": "handler", "url": s.base, "secret": compatSecret, "credentialsUsers": naUsers,
			"req": map[string]any{"method": "POST", "action": "callback", "providerId": "credentials", "cookies": naCookies, "body": body}})
	}
	answers := compatBatch(t, node, reqs)

	// Decode both session tokens of every case with next-auth.
	nas := make([]compatHandlerResult, len(cases))
	var decodes []any
	for i := range cases {
		compatUnmarshal(t, answers[i], &nas[i])
		naToken := ""
		for _, ck := range nas[i].Cookies {
			if ck.Name == compatSessionName {
				naToken = ck.Value
			}
		}
		_, latchToken, _ := resps[i].setCookie(compatSessionName)
		decodes = append(decodes,
			map[string]any{"op": "decode", "secret": compatSecret, "jwt": naToken},
			map[string]any{"op": "decode", "secret": compatSecret, "jwt": compatDecodeCookie(t, latchToken)})
	}
	tokens := compatBatch(t, node, decodes)
	window.to = time.Now()

	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			na, got := nas[i], resps[i]
			want := na.HTTP
			if got.status != want.Status {
				t.Errorf("status %d; want %d (as next-auth)", got.status, want.Status)
			}
			if loc := got.header.Get("Location"); loc != want.Location {
				t.Errorf("Location %q; want %q", loc, want.Location)
			}
			if string(want.Body) != "null" {
				var g, w any
				if err := json.Unmarshal(got.body, &g); err != nil {
					t.Fatalf("body %s: %v", got.body, err)
				}
				json.Unmarshal(want.Body, &w)
				if gb, wb := compatJSON(g), compatJSON(w); gb != wb {
					t.Errorf("body %s; want %s", gb, wb)
				}
			}

			gotSC, naSC := got.header.Values("Set-Cookie"), na.SetCookie
			if g, w := compatCookieNames(gotSC), compatCookieNames(naSC); !slices.Equal(g, w) {
				t.Errorf("Set-Cookie names %q; want %q", g, w)
			} else {
				for j := range gotSC {
					g, w := compatMaskExpires(t, gotSC[j], window), compatMaskExpires(t, naSC[j], window)
					if n := compatCookieNames(gotSC[j : j+1])[0]; n == compatSessionName || n == compatCSRFName {
						g, w = compatMaskValue(g), compatMaskValue(w)
					}
					if g != w {
						t.Errorf("Set-Cookie %d: got %q; want %q", j, g, w)
					}
				}
			}

			var naTok, gotTok compatDecoded
			compatUnmarshal(t, tokens[2*i], &naTok)
			compatUnmarshal(t, tokens[2*i+1], &gotTok)
			if !tc.signedIn {
				if naTok.Payload != nil || gotTok.Payload != nil {
					t.Errorf("session tokens: Latch %v, next-auth %v; want none", gotTok.Payload, naTok.Payload)
				}
				return
			}
			if naTok.Payload == nil || gotTok.Payload == nil {
				t.Fatalf("session tokens: Latch %v (%s), next-auth %v (%s); want both", gotTok.Payload, gotTok.Error, naTok.Payload, naTok.Error)
			}
			gk, wk := slices.Sorted(maps.Keys(gotTok.Payload)), slices.Sorted(maps.Keys(naTok.Payload))
			if !slices.Equal(gk, wk) {
				t.Errorf("claims %q; want %q (as next-auth)", gk, wk)
			}
			for _, k := range []string{"name", "email", "picture", "sub"} {
				if g, w := gotTok.Payload[k], naTok.Payload[k]; g != w {
					t.Errorf("claim %q = %#v; want %#v", k, g, w)
				}
			}
			// next-auth reads the clock twice (for iat and for exp), so
			// its own difference is one second more when a second
			// turns between the reads.
			if g, w := compatInt(t, gotTok.Payload, "exp")-compatInt(t, gotTok.Payload, "iat"), compatInt(t, naTok.Payload, "exp")-compatInt(t, naTok.Payload, "iat"); g != w && g != w-1 {
				t.Errorf("exp - iat = %d; want %d (as next-auth, give or take its second turning)", g, w)
			}
		})
	}
}

func compatJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
