package latch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// fuzzHandler is the handler FuzzHandler drives, with a signed-in session
// and a CSRF cookie it can splice into requests.
type fuzzHandler struct {
	h                     *harness
	session, csrfCookie   string // wire values
	csrfToken, otherToken string
}

func newFuzzHandler(f *testing.F) *fuzzHandler {
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "latch.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	mail, err := email.New(email.Config{From: "Latch <no-reply@example.com>", Sender: &mailbox{}, MaxPerIP: 1 << 30, MaxPerAddress: 1 << 30, MaxCodeTries: 1 << 30})
	if err != nil {
		f.Fatal(err)
	}
	h := newHarness(f, func(c *latch.Config) {
		c.MaxBodyBytes = 4096
		c.TrustedOrigins = []string{"https://app.example.com"}
		c.Store = st
		c.Providers = []latch.Provider{mail, &latch.Credentials{
			Fields: []latch.CredentialField{{Name: "username"}, {Name: "password", Type: "password"}},
			Authorize: func(ctx context.Context, c map[string]string, r *http.Request) (*latch.User, error) {
				switch {
				case c["username"] == "jsmith" && c["password"] == "secret":
					return testUser(), nil
				case c["username"] == "custom":
					return nil, &latch.Error{Code: "Custom"}
				case c["username"] == "denied":
					return nil, latch.ErrAccessDenied
				}
				return nil, nil
			},
		}}
		c.Callbacks.JWT = func(ctx context.Context, p *latch.JWTParams) (latch.Token, error) {
			if p.Trigger == "update" && len(p.UpdateData) > 0 {
				var d struct {
					Name string `json:"name"`
				}
				if json.Unmarshal(p.UpdateData, &d) == nil && d.Name != "" {
					p.Token["name"] = d.Name
				}
			}
			return p.Token, nil
		}
	})
	b := h.browser()
	b.signIn()
	fh := &fuzzHandler{h: h, session: b.sessionToken()}
	fh.csrfCookie, _ = b.cookie(csrfCookie)
	fh.csrfToken, _, _ = strings.Cut(fh.csrfCookie, "%7C")
	fh.otherToken = strings.Repeat("0", 64)
	return fh
}

// expand replaces the placeholders {session}, {csrfcookie} and {csrf} so
// that the fuzzer can reach signed-in and CSRF-verified paths.
func (fh *fuzzHandler) expand(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return strings.NewReplacer("{session}", fh.session, "{csrfcookie}", fh.csrfCookie, "{csrf}", fh.csrfToken).Replace(s)
}

// FuzzHandler drives the handler with arbitrary methods, paths, cookies,
// content types and bodies. It must never panic or answer 5xx, every
// Set-Cookie must parse, and every redirect must stay on the origin.
func FuzzHandler(f *testing.F) {
	fh := newFuzzHandler(f)
	seeds := []struct {
		method, path, cookie, ctype, origin string
		body                                string
	}{
		{"GET", "session", "", "", "", ""},
		{"GET", "session", "next-auth.session-token={session}", "", "", ""},
		{"GET", "session?callbackUrl=%2F%2Fevil.example", "next-auth.session-token={session}; next-auth.csrf-token={csrfcookie}", "", "", ""},
		{"POST", "session", "next-auth.session-token={session}; next-auth.csrf-token={csrfcookie}", "application/json", "", `{"csrfToken":"{csrf}","data":{"name":"New"}}`},
		{"POST", "session", "next-auth.session-token={session}", "application/json", "", `{"data":1}`},
		{"GET", "csrf", "next-auth.csrf-token=%zz", "", "", ""},
		{"GET", "providers", "", "", "https://app.example.com", ""},
		{"OPTIONS", "session", "", "", "https://app.example.com", ""},
		{"GET", "session", "", "", "https://APP.example.com", ""},
		{"GET", "signin?error=CredentialsSignin&callbackUrl=javascript:alert(1)", "", "", "", ""},
		{"POST", "signin/credentials", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&json=true"},
		{"POST", "callback/credentials", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&username=jsmith&password=secret&callbackUrl=%2Fdash&json=true"},
		{"POST", "callback/credentials", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&username=jsmith&password=secret&callbackUrl=%2F%5Cevil.example"},
		{"POST", "callback/credentials", "next-auth.csrf-token={csrfcookie}", "application/json", "", `{"csrfToken":"{csrf}","username":"custom","json":true}`},
		{"POST", "callback/credentials", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&username=denied&json=true"},
		{"GET", "callback/credentials", "", "", "", ""},
		{"POST", "callback/nope", "", "text/plain", "", "a=b"},
		{"GET", "signout", "next-auth.csrf-token={csrfcookie}", "", "", ""},
		{"POST", "signout", "next-auth.session-token.0={session}; next-auth.csrf-token={csrfcookie}; next-auth.callback-url=https%3A%2F%2Fevil.example", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&json=true"},
		{"GET", "error?error=AccessDenied", "", "", "", ""},
		{"GET", "error/Configuration", "", "", "", ""},
		{"GET", "verify-request", "", "", "", ""},
		{"GET", "verify-request?provider=email&type=email&error=TooManyRequests&email=%22%3E%3Cb%3E", "", "", "", ""},
		{"POST", "signin/email", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&email=fuzz%40example.com&callbackUrl=%2Fdash&json=true"},
		{"POST", "verify-request", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}&provider=email&email=fuzz%40example.com&code=7kq4-m2xd"},
		{"POST", "verify-request", "next-auth.csrf-token={csrfcookie}", "application/json", "", `{"csrfToken":"{csrf}","email":"a@b.co","code":"OIL0 1234","json":"true"}`},
		{"POST", "verify-request", "", "application/x-www-form-urlencoded", "", "email=x&code=y"},
		{"GET", "callback/email?token=abc&email=fuzz%40example.com&callbackUrl=%2Fdash", "", "", "", ""},
		{"HEAD", "callback/email?token=abc&email=fuzz%40example.com", "", "", "", ""},
		{"POST", "callback/email?token=abc&email=fuzz%40example.com", "next-auth.csrf-token={csrfcookie}", "application/x-www-form-urlencoded", "", "csrfToken={csrf}"},
		{"GET", "callback/email", "", "", "", ""},
		{"POST", "_log", "", "application/x-www-form-urlencoded", "", "level=error&code=x"},
		{"PUT", "session", "", "", "", ""},
		{"GET", "session/x/y", "", "", "", ""},
		{"POST", "session", "", "application/json", "", `{"csrfToken":`},
		{"POST", "signout", "", "application/xml", "", "<x/>"},
		{"POST", "callback/credentials", "", "application/x-www-form-urlencoded", "", strings.Repeat("a", 5000)},
		{"GET", "session", "next-auth.session-token.0=a; next-auth.session-token.2=b", "", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.cookie, s.ctype, s.origin, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, cookieHeader, contentType, origin string, body []byte) {
		target := httpBase + "/" + fh.expand(path)
		req, err := http.NewRequest(method, target, bytes.NewReader([]byte(fh.expand(string(body)))))
		if err != nil {
			return // not a request a server could receive
		}
		if cookieHeader != "" {
			req.Header.Set("Cookie", fh.expand(cookieHeader))
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		req.Host = req.URL.Host
		w := httptest.NewRecorder()
		fh.h.auth.ServeHTTP(w, req)

		// The one 5xx of the protocol: the error page for the code
		// Configuration, as NextAuth renders it.
		configPage := w.Code == http.StatusInternalServerError && strings.HasPrefix(req.URL.Path, "/api/auth/error") &&
			strings.Contains(w.Body.String(), "<h1>Server error</h1>")
		if w.Code >= 500 && !configPage {
			t.Fatalf("%s %s: got %d %q; want no 5xx", method, target, w.Code, w.Body)
		}
		for _, line := range w.Header().Values("Set-Cookie") {
			if _, err := http.ParseSetCookie(line); err != nil {
				t.Fatalf("%s %s: Set-Cookie %q does not parse: %v", method, target, line, err)
			}
		}
		if loc := w.Header().Get("Location"); loc != "" {
			fuzzOnOrigin(t, "Location", loc)
		}
		if strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%s %s: JSON answer %q does not parse", method, target, w.Body)
			}
			var out struct {
				URL *string `json:"url"`
			}
			if json.Unmarshal(w.Body.Bytes(), &out) == nil && out.URL != nil {
				fuzzOnOrigin(t, "json url", *out.URL)
			}
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" && got != "https://app.example.com" {
			t.Fatalf("CORS: got Allow-Origin %q for Origin %q; want only the trusted origin", got, origin)
		}
	})
}

// fuzzOnOrigin fails unless u is on the test origin, or is the trusted
// origin's callbackUrl, with no characters a browser would strip.
func fuzzOnOrigin(t *testing.T, via, u string) {
	t.Helper()
	for _, o := range []string{httpOrigin, "https://app.example.com"} {
		rest, ok := strings.CutPrefix(u, o)
		if !ok || rest != "" && !strings.ContainsRune("/?#", rune(rest[0])) || strings.HasPrefix(rest, "//") {
			continue
		}
		for _, c := range []byte(u) {
			if c <= ' ' || c == 0x7f || c == '\\' {
				t.Fatalf("%s %q: want no control characters, spaces or backslashes", via, u)
			}
		}
		p, err := url.Parse(u)
		if err != nil || p.User != nil || p.Scheme+"://"+p.Host != o {
			t.Fatalf("%s %q: want it to parse on %s", via, u, o)
		}
		return
	}
	t.Fatalf("%s %q: want a URL on %s", via, u, httpOrigin)
}
