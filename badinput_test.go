package latch_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// encryptV4 seals an arbitrary payload the way next-auth v4 does, so tests
// can present tokens that decrypt but carry hostile content.
func encryptV4(t testing.TB, payload []byte, secret string) string {
	t.Helper()
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "NextAuth.js Generated Encryption Key", 32)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	iv := make([]byte, 12)
	sealed := gcm.Seal(nil, iv, payload, []byte(v4Header))
	b64 := base64.RawURLEncoding
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	return v4Header + ".." + b64.EncodeToString(iv) + "." + b64.EncodeToString(ct) + "." + b64.EncodeToString(tag)
}

// rawRequest sends one request with a raw Cookie header and body.
func rawRequest(h *harness, method, path, cookie, contentType string, body []byte) *response {
	req := httptest.NewRequest(method, h.base+path, bytes.NewReader(body))
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	return &response{Code: w.Code, Header: w.Result().Header, Body: w.Body.String()}
}

func wantNot5xx(t testing.TB, res *response) {
	t.Helper()
	if res.Code >= 500 {
		t.Errorf("status: got %d (%q); want a 2xx/3xx/4xx answer, never 5xx", res.Code, res.Body)
	}
}

func TestBadCookies(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signIn()
	valid := b.sessionToken()
	csrfValue, _ := b.cookie(csrfCookie)
	csrfTok, _, _ := strings.Cut(csrfValue, "%7C")

	chunks := func(n int, value func(i int) string) string {
		var parts []string
		for i := range n {
			parts = append(parts, sessionCookie+"."+strconv.Itoa(i)+"="+value(i))
		}
		return strings.Join(parts, "; ")
	}
	half := len(valid) / 2

	tests := []struct {
		name     string
		cookie   string
		signedIn bool
		cleared  []string // session cookies that must be deleted
	}{
		{"garbage token", sessionCookie + "=garbage", false, []string{sessionCookie}},
		{"dots only", sessionCookie + "=....", false, []string{sessionCookie}},
		{"dir token with an encrypted key", sessionCookie + "=" + strings.Replace(valid, "..", ".AAAAAAAAAAAAAAAAAAAAAA.", 1), false, []string{sessionCookie}},
		{"jwe-shaped garbage", sessionCookie + "=" + v4Header + "..AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA", false, []string{sessionCookie}},
		{"wrong alg header", sessionCookie + "=" + base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + ".x.y.z.w", false, []string{sessionCookie}},
		{"invalid percent-encoding", sessionCookie + "=%zz%E0%A4%A", false, []string{sessionCookie}},
		{"percent-encoded valid token", sessionCookie + "=" + strings.ReplaceAll(valid, ".", "%2E"), true, nil},
		{"quoted value", sessionCookie + `="` + valid + `"`, true, nil},
		{"100 chunk cookies", chunks(100, func(int) string { return "abcd" }), false, []string{sessionCookie + ".0"}},
		{"100 chunks of a valid token", chunks(100, func(i int) string {
			if i == 0 {
				return valid
			}
			return ""
		}), false, []string{sessionCookie + ".0"}},
		{"3000 chunk cookies", chunks(3000, func(int) string { return "x" }), false, nil},
		{"3001 cookies", chunks(3001, func(int) string { return "x" }), false, nil},
		{"non-contiguous chunks", sessionCookie + ".0=" + valid[:half] + "; " + sessionCookie + ".2=" + valid[half:], false, []string{sessionCookie + ".0", sessionCookie + ".2"}},
		{"chunks not from 0", sessionCookie + ".1=" + valid[:half] + "; " + sessionCookie + ".2=" + valid[half:], false, []string{sessionCookie + ".1", sessionCookie + ".2"}},
		{"chunks in reverse order", sessionCookie + ".1=" + valid[half:] + "; " + sessionCookie + ".0=" + valid[:half], true, nil},
		{"odd chunk suffixes", sessionCookie + ".-1=x; " + sessionCookie + ".01=x; " + sessionCookie + ".x=x; " + sessionCookie + ".+1=x; " + sessionCookie + "=" + valid, true, nil},
		{"huge chunk index", sessionCookie + ".99999999999999999999=x; " + sessionCookie + ".0=" + valid, true, nil},
		{"huge session cookie", sessionCookie + "=" + strings.Repeat("A", 64<<10), false, []string{sessionCookie}},
		{"huge csrf cookie", csrfCookie + "=" + strings.Repeat("a", 64) + "%7C" + strings.Repeat("b", 32<<10), false, nil},
		{"invalid csrf encoding", csrfCookie + "=%zz%7C%; " + sessionCookie + "=" + valid, true, nil},
		{"duplicate session cookies", sessionCookie + "=" + valid + "; " + sessionCookie + "=garbage", true, nil},
		{"control bytes", sessionCookie + "=\x01\x02; " + csrfCookie + "=\x7f", false, nil},
		{"no name", "=" + valid + "; ;;; =", false, nil},
		{"many unrelated cookies", strings.Repeat("a=b; ", 2000) + sessionCookie + "=" + valid, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := rawRequest(h, http.MethodGet, "/session", tt.cookie, "", nil)
			wantStatus(t, res, http.StatusOK)
			if tt.signedIn {
				if !strings.Contains(res.Body, `"name":"J Smith"`) {
					t.Errorf("GET /session: got %q; want J Smith signed in", res.Body)
				}
			} else {
				wantBody(t, res, `{}`)
			}
			for _, n := range tt.cleared {
				if got, _ := res.setCookie(n); got != deletion(n) {
					t.Errorf("Set-Cookie for %s: got %q; want %q", n, got, deletion(n))
				}
			}
			for _, line := range res.setCookies() {
				if _, err := http.ParseSetCookie(line); err != nil {
					t.Errorf("Set-Cookie %q: got parse error %v; want a valid header", line, err)
				}
			}
			// The other endpoints must cope with the same cookies.
			for _, req := range []struct{ method, path, body string }{
				{http.MethodGet, "/csrf", ""},
				{http.MethodGet, "/signin", ""},
				{http.MethodGet, "/signout", ""},
				{http.MethodGet, "/providers", ""},
				{http.MethodPost, "/signout", "json=true&csrfToken=" + csrfTok},
				{http.MethodPost, "/session", "csrfToken=" + csrfTok},
				{http.MethodPost, "/callback/credentials", "json=true&username=jsmith&password=secret&csrfToken=" + csrfTok},
			} {
				res := rawRequest(h, req.method, req.path, tt.cookie, "application/x-www-form-urlencoded", []byte(req.body))
				if res.Code >= 500 {
					t.Errorf("%s %s: got %d %q; want no 5xx", req.method, req.path, res.Code, res.Body)
				}
			}
			// Require and Session of a request.
			r := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
			r.Header.Set("Cookie", tt.cookie)
			if s := h.auth.Session(r); (s != nil) != tt.signedIn {
				t.Errorf("auth.Session: got %+v; want signed in = %v", s, tt.signedIn)
			}
		})
	}
}

// TestHostileTokens presents tokens that decrypt with the right key but
// carry payloads NextAuth never writes.
func TestHostileTokens(t *testing.T) {
	tests := []struct {
		name     string
		payload  string
		wantBody string // "" means any signed-in answer, "any" any 200 JSON
	}{
		{"null payload", `null`, `{}`},
		{"array payload", `[1,2,3]`, `{}`},
		{"string payload", `"hello"`, `{}`},
		{"not json", `{{{`, `{}`},
		{"exp string", `{"sub":"1","exp":"soon"}`, `{}`},
		{"exp expired", `{"sub":"1","exp":1}`, `{}`},
		{"exp huge", `{"sub":"1","name":"X","exp":1e300}`, ""},
		{"typed claims", `{"sub":1,"name":5,"email":{"a":1},"picture":[1],"exp":4102444800}`, ""},
		{"deep nesting", `{"sub":"1","x":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`, "any"},
		// NextAuth reads the last of duplicate members (JSON.parse).
		{"exp twice, last expired", `{"sub":"1","name":"X","exp":4102444800,"exp":1}`, `{}`},
		{"exp twice, last valid", `{"sub":"1","name":"X","exp":1,"exp":4102444800}`, ""},
		{"exp twice, last escaped and expired", `{"sub":"1","exp":4102444800,"e\u0078p":1}`, `{}`},
		{"exp within the tolerance", fmt.Sprintf(`{"sub":"1","exp":%d}`, t0.Unix()-14), ""},
		{"exp at the tolerance", fmt.Sprintf(`{"sub":"1","exp":%d}`, t0.Unix()-15), `{}`},
		{"nbf in the future", `{"sub":"1","exp":4102444800,"nbf":4102444800}`, `{}`},
		{"nbf within the tolerance", fmt.Sprintf(`{"sub":"1","exp":4102444800,"nbf":%d}`, t0.Unix()+15), ""},
		{"nbf twice, last in the future", `{"sub":"1","exp":4102444800,"nbf":1,"nbf":4102444800}`, `{}`},
		{"nbf not a number", `{"sub":"1","exp":4102444800,"nbf":"1"}`, `{}`},
		{"iat not a number", `{"sub":"1","exp":4102444800,"iat":"1"}`, `{}`},
		// Latch requires "exp" (NextAuth does not): no token lasts forever.
		{"no exp", `{"sub":"1","name":"X"}`, `{}`},
		{"empty object", `{}`, `{}`},
	}
	for _, tt := range tests {
		for _, path := range []string{"direct", "callbacks"} {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				// Without callbacks the session endpoint reads the token
				// with its own direct path; with them, with jwt.Decode.
				h := newHarness(t, func(c *latch.Config) {
					if path == "callbacks" {
						c.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) { return p.Token, nil }
					}
				})
				token := encryptV4(t, []byte(tt.payload), testSecret)
				res := rawRequest(h, http.MethodGet, "/session", sessionCookie+"="+token, "", nil)
				wantStatus(t, res, http.StatusOK)
				switch tt.wantBody {
				case "any":
					if !json.Valid([]byte(res.Body)) {
						t.Errorf("got %q; want JSON", res.Body)
					}
				case "":
					if !strings.HasPrefix(res.Body, `{"user":{`) {
						t.Errorf("accepted token: got %q; want a session object", res.Body)
					}
				default:
					wantBody(t, res, tt.wantBody)
					if got, _ := res.setCookie(sessionCookie); got != deletion(sessionCookie) {
						t.Errorf("rejected token: got Set-Cookie %q; want %q", got, deletion(sessionCookie))
					}
				}
				r := httptest.NewRequest(http.MethodGet, httpOrigin+"/", nil)
				r.Header.Set("Authorization", "Bearer "+token)
				s := h.auth.Session(r)
				if tt.wantBody != "any" && (s != nil) != (tt.wantBody == "") {
					t.Errorf("auth.Session of the bearer token: got %+v; want signed in = %v", s, tt.wantBody == "")
				}
			})
		}
	}
}

// TestRefreshCollapsesDuplicateClaims: the session endpoint writes one
// member per claim, with the new times, where the token had duplicates.
func TestRefreshCollapsesDuplicateClaims(t *testing.T) {
	h := newHarness(t)
	payload := `{"sub":"1","name":"X","exp":1,"iat":1,"jti":"a","name":"Y","exp":4102444800,"jti":"b","iat":2}`
	res := rawRequest(h, http.MethodGet, "/session", sessionCookie+"="+encryptV4(t, []byte(payload), testSecret), "", nil)
	if !strings.Contains(res.Body, `"name":"Y"`) {
		t.Fatalf("GET /session: got %q; want the session of Y", res.Body)
	}
	header, _ := res.setCookie(sessionCookie)
	c, err := http.ParseSetCookie(header)
	if err != nil {
		t.Fatalf("Set-Cookie %q: %v", header, err)
	}
	plain, err := openV4(t, c.Value, testSecret)
	if err != nil {
		t.Fatalf("refreshed cookie %q: %v", c.Value, err)
	}
	for _, k := range []string{`"sub"`, `"name"`, `"exp"`, `"iat"`, `"jti"`} {
		if n := strings.Count(string(plain), k+":"); n != 1 {
			t.Errorf("refreshed payload %s has %s %d times; want once", plain, k, n)
		}
	}
	if p := string(plain); !strings.Contains(p, fmt.Sprintf(`"iat":%d`, t0.Unix())) || strings.Contains(p, `"exp":4102444800`) || !strings.Contains(p, `"name":"Y"`) {
		t.Errorf("refreshed payload %s; want the new iat and exp, and the last name", plain)
	}
}

func TestBodyTooLarge(t *testing.T) {
	const limit = 1024
	h := newHarness(t, func(c *latch.Config) { c.MaxBodyBytes = limit })
	b := h.browser()
	tok := b.csrf()
	pad := func(n int) string {
		v := url.Values{"csrfToken": {tok}, "json": {"true"}, "username": {"jsmith"}, "password": {"secret"}}
		base := v.Encode() + "&pad="
		return base + strings.Repeat("x", n-len(base))
	}
	for _, path := range []string{"/callback/credentials", "/signin/credentials", "/signout", "/session", "/callback/nope"} {
		t.Run(path, func(t *testing.T) {
			res := b.do(http.MethodPost, path, strings.NewReader(pad(limit+1)), "application/x-www-form-urlencoded")
			wantStatus(t, res, http.StatusRequestEntityTooLarge)
			if _, ok := res.setCookie(sessionCookie); ok {
				t.Errorf("oversized body: got a session cookie; want none")
			}
			jsonBody := `{"csrfToken":"` + tok + `","data":"` + strings.Repeat("x", limit) + `"}`
			res = b.do(http.MethodPost, path, strings.NewReader(jsonBody), "application/json")
			wantStatus(t, res, http.StatusRequestEntityTooLarge)
			res = b.do(http.MethodPost, path, strings.NewReader(pad(limit)), "application/x-www-form-urlencoded")
			if res.Code == http.StatusRequestEntityTooLarge || res.Code >= 500 {
				t.Errorf("body of exactly MaxBodyBytes: got %d; want it accepted", res.Code)
			}
		})
	}
	t.Run("default limit", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		b.csrf()
		res := b.do(http.MethodPost, "/callback/credentials", strings.NewReader("a="+strings.Repeat("x", 64<<10)), "application/x-www-form-urlencoded")
		wantStatus(t, res, http.StatusRequestEntityTooLarge)
	})
	t.Run("_log", func(t *testing.T) {
		res := b.do(http.MethodPost, "/_log", strings.NewReader("message="+strings.Repeat("x", 1<<20)), "application/x-www-form-urlencoded")
		wantNot5xx(t, res)
	})
}

func TestMalformedBodies(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		want                    int // 0: any 4xx
	}{
		{"invalid json", "application/json", `{"csrfToken":`, http.StatusBadRequest},
		{"json array", "application/json", `[1,2,3]`, http.StatusBadRequest},
		{"json string", "application/json", `"csrfToken"`, http.StatusBadRequest},
		{"json trailing garbage", "application/json", `{"a":"b"} x`, http.StatusBadRequest},
		{"json number overflow", "application/json", `{"csrfToken":1e400}`, 0},
		{"json deep nesting", "application/json", `{"data":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`, 0},
		{"xml", "application/xml", `<csrfToken>x</csrfToken>`, 0},
		{"multipart", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--x--", 0},
		{"broken content type", "application/json; ;;=", `{}`, 0},
		{"form bad escape", "application/x-www-form-urlencoded", `csrfToken=%zz&json=true`, http.StatusBadRequest},
		{"form semicolon", "application/x-www-form-urlencoded", `csrfToken=a;json=true`, 0},
		{"binary", "application/octet-stream", "\x00\x01\x02", 0},
	}
	paths := []string{"/callback/credentials", "/signin/credentials", "/signout", "/session"}
	for _, tt := range tests {
		for _, path := range paths {
			t.Run(tt.name+path, func(t *testing.T) {
				h := newHarness(t)
				b := h.browser()
				b.csrf()
				res := b.do(http.MethodPost, path, strings.NewReader(tt.body), tt.contentType)
				switch {
				case tt.want != 0:
					wantStatus(t, res, tt.want)
				case res.Code < 400 || res.Code >= 500:
					t.Errorf("status: got %d (%q); want 4xx", res.Code, res.Body)
				}
				if _, ok := res.setCookie(sessionCookie); ok {
					t.Errorf("malformed body: got a session cookie; want none")
				}
			})
		}
	}
	// Bodies that parse but are not what the client sends: no 5xx, no
	// sign-in.
	t.Run("json null", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		b.csrf()
		res := b.do(http.MethodPost, "/callback/credentials", strings.NewReader(`null`), "application/json")
		wantNot5xx(t, res)
		if _, ok := res.setCookie(sessionCookie); ok {
			t.Errorf("got a session cookie; want none")
		}
	})
	t.Run("json credentials", func(t *testing.T) {
		// Accept both encodings everywhere.
		h := newHarness(t)
		b := h.browser()
		res := b.postJSON("/callback/credentials", map[string]any{"csrfToken": b.csrf(), "username": "jsmith", "password": "secret", "json": true, "callbackUrl": "/dash"})
		wantJSONURL(t, res, http.StatusOK, httpOrigin+"/dash")
	})
	t.Run("json in query only", func(t *testing.T) {
		// json is read from the body, never from the query.
		h := newHarness(t)
		b := h.browser()
		res := b.postForm("/signout?json=true", url.Values{"csrfToken": {b.csrf()}})
		wantRedirect(t, res, httpOrigin)
	})
	t.Run("csrf token types", func(t *testing.T) {
		h := newHarness(t)
		b := h.browser()
		tok := b.csrf()
		for _, v := range []any{nil, 1, true, []string{tok}, map[string]string{"csrfToken": tok}, strings.ToUpper(tok), tok + " ", tok[:63]} {
			res := b.postJSON("/session", map[string]any{"csrfToken": v})
			if res.Code != http.StatusBadRequest || res.Body != `{}` {
				t.Errorf("csrfToken %v: got %d %q; want 400 {}", v, res.Code, res.Body)
			}
		}
	})
}

func TestWrongMethodsAndProviders(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"FOO", "/session", http.StatusBadRequest},
		{"get", "/session", http.StatusBadRequest},
		{http.MethodConnect, "/session", http.StatusBadRequest},
		{http.MethodTrace, "/signin", http.StatusBadRequest},
		{http.MethodGet, "/callback/" + strings.Repeat("x", 5000), http.StatusBadRequest},
		{http.MethodPost, "/callback/%2e%2e", http.StatusBadRequest},
		{http.MethodPost, "/callback/credentials%2Fx", http.StatusBadRequest},
		{http.MethodGet, "/signin/%00", http.StatusOK},
		{http.MethodPost, "/signin/nope", http.StatusFound},
		{http.MethodGet, "/error?error=" + url.QueryEscape(`"><script>alert(1)</script>`), http.StatusOK},
		{http.MethodGet, "/error/" + url.PathEscape("<x>"), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, httpBase+tt.path, nil)
			req.Method = tt.method
			w := httptest.NewRecorder()
			h.auth.ServeHTTP(w, req)
			if w.Code != tt.want {
				t.Errorf("status: got %d (%q); want %d", w.Code, w.Body, tt.want)
			}
			if strings.Contains(w.Body.String(), "<script>alert(1)") {
				t.Errorf("body: got an unescaped script; want it escaped")
			}
			if tt.want == http.StatusBadRequest && !strings.HasPrefix(w.Body.String(), "Error: This action with HTTP ") {
				t.Errorf("body: got %q; want the NextAuth unsupported-action text", w.Body)
			}
		})
	}
}

func TestGarbageBearer(t *testing.T) {
	h := newHarness(t)
	protected := h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("protected handler ran for a garbage token")
	}))
	for _, v := range []string{"Bearer", "Bearer ", "Bearer garbage", "Bearer %zz", "Bearer " + strings.Repeat("A", 100<<10),
		"Bearer " + v4Header + "..." + "...", "bearer x", "Bearer\x00x"} {
		t.Run(strconv.Quote(v[:min(len(v), 30)]), func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, httpOrigin+"/api/data", nil)
			r.Header.Set("Authorization", v)
			if s := h.auth.Session(r); s != nil {
				t.Errorf("Session: got %+v; want nil", s)
			}
			w := httptest.NewRecorder()
			protected.ServeHTTP(w, r)
			if w.Code != http.StatusUnauthorized {
				t.Errorf("Require: got %d; want 401", w.Code)
			}
		})
	}
}

var hiddenCallbackRE = regexp.MustCompile(`name="callbackUrl" value="([^"]*)"`)

// hostileCallbackURLs never take the user off the origin.
var hostileCallbackURLs = []string{
	"https://evil.example",
	"https://evil.example/x",
	"//evil.example",
	"//evil.example/x",
	"///evil.example",
	"////evil.example",
	"/\\evil.example",
	"/\\/evil.example",
	"\\\\evil.example",
	"\\/evil.example",
	"/ /evil.example",
	"/\t/evil.example",
	"/\n/evil.example",
	"\t//evil.example",
	" //evil.example",
	"\x00//evil.example",
	"/x\r\nSet-Cookie: a=b",
	"http://localhost:3000\r\nLocation: https://evil.example",
	"javascript:alert(1)",
	"JaVaScRiPt:alert(document.cookie)",
	"java\tscript:alert(1)",
	"data:text/html,<script>alert(1)</script>",
	"vbscript:msgbox(1)",
	"http://localhost:3000@evil.example",
	"http://localhost:3000@evil.example/",
	"http://user:pass@localhost:3000/",
	"http://localhost:3000.evil.example/",
	"http://localhost:3000%2e.evil.example/",
	"http://evil.example#@localhost:3000",
	"http://evil.example?@localhost:3000",
	"http://evil.example\\@localhost:3000",
	"http://evil.example%23@localhost:3000",
	"http:/evil.example",
	"http:evil.example",
	"https:evil.example",
	"http:///evil.example",
	"//localhost:3000@evil.example",
	"https://localhost:3000/",
	"http://localhost:3001/",
	"http://127.0.0.1:3000/",
	"http://[::1]:3000/",
	"ftp://localhost:3000/",
	"file:///etc/passwd",
	"http://localhost:3000\\evil.example",
	"http://evil.example/http://localhost:3000",
	"/%0a/evil.example",
	"/.//evil.example",
	"%2F%2Fevil.example",
	"undefined",
	"null",
	strings.Repeat("/a", 5000),
	"http://ⓔvil.example",
	"http://evil。example",
	"http://evil.example:3000",
}

// wantOnOrigin fails unless u, as a browser would read it, stays on origin:
// it starts with the origin, the authority ends there, it has no
// characters browsers strip or rewrite, and it parses with the origin's
// host.
func wantOnOrigin(t testing.TB, via, u, origin string) {
	t.Helper()
	if !strings.HasPrefix(u, origin) {
		t.Errorf("%s: got %q; want a URL on %s", via, u, origin)
		return
	}
	rest := u[len(origin):]
	if rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) {
		t.Errorf("%s: got %q; want the authority to end after %s", via, u, origin)
	}
	if strings.HasPrefix(rest, "//") || strings.HasPrefix(rest, "/\\") {
		t.Errorf("%s: got %q; want no protocol-relative path", via, u)
	}
	for _, c := range []byte(u) {
		if c < 0x20 || c == 0x7f || c == '\\' || c == ' ' {
			t.Errorf("%s: got %q; want no control characters, spaces or backslashes", via, u)
			break
		}
	}
	p, err := url.Parse(u)
	if err != nil {
		t.Errorf("%s: got %q, which does not parse: %v", via, u, err)
		return
	}
	o, _ := url.Parse(origin)
	if p.Scheme != o.Scheme || p.Host != o.Host || p.User != nil {
		t.Errorf("%s: got %q (scheme %q host %q); want scheme %q host %q", via, u, p.Scheme, p.Host, o.Scheme, o.Host)
	}
}

func TestHostileCallbackURLs(t *testing.T) {
	for _, hostile := range hostileCallbackURLs {
		name := strconv.Quote(hostile)
		if len(name) > 60 {
			name = name[:60]
		}
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			b := h.browser()
			tok := b.csrf()

			res := b.postForm("/signout", url.Values{"csrfToken": {tok}, "json": {"true"}, "callbackUrl": {hostile}})
			wantNot5xx(t, res)
			var out struct{ URL string }
			json.Unmarshal([]byte(res.Body), &out)
			wantOnOrigin(t, "signout json url", out.URL, httpOrigin)
			if v, ok := b.cookie(callbackCookie); ok {
				dec, _ := url.PathUnescape(v)
				wantOnOrigin(t, "callback-url cookie", dec, httpOrigin)
			}

			res = b.postForm("/callback/credentials", url.Values{"csrfToken": {tok}, "username": {"jsmith"}, "password": {"secret"}, "callbackUrl": {hostile}})
			wantNot5xx(t, res)
			wantOnOrigin(t, "sign-in Location", res.Header.Get("Location"), httpOrigin)

			res = b.get("/session?callbackUrl=" + url.QueryEscape(hostile))
			wantNot5xx(t, res)
			if v, ok := b.cookie(callbackCookie); ok {
				dec, _ := url.PathUnescape(v)
				wantOnOrigin(t, "cookie after GET /session", dec, httpOrigin)
			}

			// The hostile value stored directly in the callback-url cookie.
			b2 := h.browser()
			tok2 := b2.csrf()
			b2.setRaw(callbackCookie, strings.ReplaceAll(url.QueryEscape(hostile), "+", "%20"))
			res = b2.postForm("/signout", url.Values{"csrfToken": {tok2}, "json": {"true"}})
			wantNot5xx(t, res)
			json.Unmarshal([]byte(res.Body), &out)
			wantOnOrigin(t, "from cookie", out.URL, httpOrigin)

			res = b.get("/signin?callbackUrl=" + url.QueryEscape(hostile))
			wantNot5xx(t, res)
			for _, m := range hiddenCallbackRE.FindAllStringSubmatch(res.Body, -1) {
				wantOnOrigin(t, "sign-in page hidden callbackUrl", html.UnescapeString(m[1]), httpOrigin)
			}

			hp := newHarness(t, func(c *latch.Config) { c.Pages.SignIn = "/login" })
			res = hp.browser().get("/signin?callbackUrl=" + url.QueryEscape(hostile))
			loc, err := url.Parse(res.Header.Get("Location"))
			if err != nil {
				t.Fatalf("custom sign-in page Location %q: %v", res.Header.Get("Location"), err)
			}
			if loc.Path != "/login" || loc.Host != "" {
				t.Errorf("custom sign-in page: got Location %q; want /login?...", res.Header.Get("Location"))
			}
			wantOnOrigin(t, "custom sign-in page callbackUrl", loc.Query().Get("callbackUrl"), httpOrigin)
		})
	}
}

// TestManyChunkCookiesCost: a Cookie header full of session-chunk cookies
// must not cost much more per cookie than a small one. net/http passes at
// most 3000 cookies (about 100 KB of header) to the handler.
func TestManyChunkCookiesCost(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	h := newHarness(t)
	header := func(n int) string {
		var b strings.Builder
		for i := range n {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s.%d=x", sessionCookie, i)
		}
		return b.String()
	}
	cost := func(n int) float64 {
		r := httptest.NewRequest(http.MethodGet, httpOrigin+"/", nil)
		r.Header.Set("Cookie", header(n))
		best := 0.0
		for range 3 {
			ops, start := 0, time.Now()
			for ops == 0 || time.Since(start) < 50*time.Millisecond {
				h.auth.Token(r)
				ops++
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(ops)
			if best == 0 || ns < best {
				best = ns
			}
		}
		return best / float64(n)
	}
	small, large := cost(375), cost(3000)
	t.Logf("per cookie: %.0f ns at 375, %.0f ns at 3000", small, large)
	if ratio := large / small; ratio > 4 {
		t.Errorf("per-cookie cost of reading chunk cookies: got %.0f ns at 3000 cookies vs %.0f ns at 375 (x%.1f); want roughly constant (linear total), not growing with the count", large, small, ratio)
	}
}

// TestAuthorizeNilNil: an Authorize returning neither a user nor an error
// is a failed sign-in.
func TestAuthorizeNilNil(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) {
		c.Providers = []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return nil, nil
		}}}
	})
	b := h.browser()
	res := b.postForm("/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusUnauthorized, httpBase+"/error?error=CredentialsSignin&provider=credentials")
}
