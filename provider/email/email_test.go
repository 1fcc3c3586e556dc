package email_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// sink is a real SMTP server (go-smtp) that keeps what it receives.
type sink struct {
	mu   sync.Mutex
	msgs []*mail.Message
	got  chan struct{}
}

func (s *sink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct{ s *sink }

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (*sinkSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (*sinkSession) Reset()                               {}
func (*sinkSession) Logout() error                        { return nil }
func (ss *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(m.Body)
	m.Body = strings.NewReader(string(body))
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, m)
	ss.s.mu.Unlock()
	ss.s.got <- struct{}{}
	return nil
}

func startSink(t *testing.T) (*sink, string, int) {
	t.Helper()
	s := &sink{got: make(chan struct{}, 10)}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s, "127.0.0.1", ln.Addr().(*net.TCPAddr).Port
}

// textPart returns the text/plain part of a message (which can be read
// again).
func textPart(t *testing.T, m *mail.Message) string {
	t.Helper()
	raw, _ := io.ReadAll(m.Body)
	m.Body = bytes.NewReader(raw)
	mt, params, _ := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if !strings.HasPrefix(mt, "multipart/") {
		return string(raw)
	}
	r := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
	var text string
	for {
		p, err := r.NextPart()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(p)
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			text = string(b)
		}
	}
	return text
}

type env struct {
	srv   *httptest.Server
	sink  *sink
	now   time.Time
	mu    sync.Mutex
	store *sqlite.Store
}

func (e *env) clock() time.Time { e.mu.Lock(); defer e.mu.Unlock(); return e.now }

func newEnv(t *testing.T) *env {
	t.Helper()
	s, host, port := startSink(t)
	e := &env{sink: s, now: time.Now()}
	sender, err := email.SMTP(email.SMTPConfig{Host: host, Port: port, InsecureNoTLS: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := email.New(email.Config{From: "Latch <no-reply@example.com>", Sender: sender, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	e.store, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.store.Close() })
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	auth, err := latch.New(latch.Config{
		URL: e.srv.URL + "/api/auth", Secrets: []string{strings.Repeat("m", 32)},
		Store: e.store, Providers: []latch.Provider{p}, Now: e.clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", auth)
	return e
}

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// requestLink asks for a sign-in link for addr and returns the link from
// the message that arrives.
func (e *env) requestLink(t *testing.T, c *http.Client, addr string) string {
	t.Helper()
	res, err := c.Get(e.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, err = c.PostForm(e.srv.URL+"/api/auth/signin/email", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {addr}, "callbackUrl": {"/welcome"}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	if want := e.srv.URL + "/api/auth/verify-request?provider=email&type=email"; out.URL != want {
		t.Fatalf("sign-in answer url = %q; want %q", out.URL, want)
	}
	select {
	case <-e.sink.got:
	case <-time.After(10 * time.Second):
		t.Fatal("no message arrived at the SMTP server")
	}
	e.sink.mu.Lock()
	m := e.sink.msgs[len(e.sink.msgs)-1]
	e.sink.mu.Unlock()
	if to := m.Header.Get("To"); !strings.Contains(to, strings.ToLower(strings.TrimSpace(addr))) {
		t.Errorf("To = %q; want %s", to, addr)
	}
	if subj := m.Header.Get("Subject"); subj != "Sign in to "+strings.TrimPrefix(e.srv.URL, "http://") {
		t.Errorf("Subject = %q", subj)
	}
	link := regexp.MustCompile(`http://\S+/api/auth/callback/email\?\S+`).FindString(textPart(t, m))
	if link == "" {
		t.Fatalf("no link in the message: %s", textPart(t, m))
	}
	return link
}

// csrfToken returns the CSRF token of c, as next-auth/react's
// getCsrfToken does.
func (e *env) csrfToken(t *testing.T, c *http.Client) string {
	t.Helper()
	res, err := c.Get(e.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	return csrf.CsrfToken
}

func TestMagicLinkSignsInOnce(t *testing.T) {
	e := newEnv(t)
	c := browser()
	link := e.requestLink(t, c, "  Ann@Example.COM ")
	u, _ := url.Parse(link)
	if u.Query().Get("email") != "ann@example.com" || len(u.Query().Get("token")) != 64 {
		t.Errorf("link = %s; want the normalised email and a 64-hex token", link)
	}
	// Opening the link shows the page with the button, and signs nobody in.
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `<button type="submit">Sign in</button>`) || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("opening the link: %d, Cache-Control %q, %s; want 200 and the page with the button", res.StatusCode, res.Header.Get("Cache-Control"), body)
	}
	if _, err := e.store.UserByEmail(context.Background(), "ann@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("opening the link created the user: %v", err)
	}
	// The button.
	res, err = c.PostForm(link, url.Values{"csrfToken": {e.csrfToken(t, c)}})
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != e.srv.URL+"/welcome" {
		t.Errorf("pressing Sign in: %d %q; want 302 to /welcome", res.StatusCode, loc)
	}
	res, _ = c.Get(e.srv.URL + "/api/auth/session")
	var sess struct{ User struct{ Email string } }
	json.NewDecoder(res.Body).Decode(&sess)
	if sess.User.Email != "ann@example.com" {
		t.Errorf("session email = %q", sess.User.Email)
	}
	u2, err := e.store.UserByEmail(context.Background(), "ann@example.com")
	if err != nil || u2.EmailVerified.IsZero() {
		t.Errorf("user after the link: %+v, %v; want created with emailVerified", u2, err)
	}
	// The same link again, from another browser: refused.
	res, _ = browser().Get(link)
	if loc := res.Header.Get("Location"); loc != e.srv.URL+"/api/auth/error?error=Verification" {
		t.Errorf("second use: Location %q; want error=Verification", loc)
	}
}

// The message carries the link and the code, and the code signs in on the
// verify-request page.
func TestMessageHasCode(t *testing.T) {
	e := newEnv(t)
	c := browser()
	e.requestLink(t, c, "cody@example.com")
	e.sink.mu.Lock()
	m := e.sink.msgs[len(e.sink.msgs)-1]
	e.sink.mu.Unlock()
	text := textPart(t, m)
	code := regexp.MustCompile(`(?m)^    ([0-9A-Z]{4}-[0-9A-Z]{4})$`).FindStringSubmatch(strings.ReplaceAll(text, "\r\n", "\n"))
	if code == nil || !strings.Contains(text, "Or enter this code") || !strings.Contains(text, "Once one of them is used, neither works again.") {
		t.Fatalf("text part has no code: %s", text)
	}
	res, err := c.PostForm(e.srv.URL+"/api/auth/verify-request", url.Values{"csrfToken": {e.csrfToken(t, c)}, "email": {"cody@example.com"}, "code": {code[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != e.srv.URL+"/welcome" {
		t.Errorf("entering the code: %d %q; want 302 to /welcome", res.StatusCode, loc)
	}
}

func TestExpiredLinkFails(t *testing.T) {
	e := newEnv(t)
	c := browser()
	link := e.requestLink(t, c, "bob@example.com")
	e.mu.Lock()
	e.now = e.now.Add(2 * time.Hour)
	e.mu.Unlock()
	res, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); loc != e.srv.URL+"/api/auth/error?error=Verification" {
		t.Errorf("expired link opened: Location %q; want error=Verification", loc)
	}
	res, err = c.PostForm(link, url.Values{"csrfToken": {e.csrfToken(t, c)}})
	if err != nil {
		t.Fatal(err)
	}
	if loc := res.Header.Get("Location"); loc != e.srv.URL+"/api/auth/error?error=Verification" {
		t.Errorf("expired link's button: Location %q; want error=Verification", loc)
	}
	if _, err := e.store.UserByEmail(context.Background(), "bob@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("an expired link created a user: %v", err)
	}
}

func TestRateLimitPerAddress(t *testing.T) {
	e := newEnv(t)
	c := browser()
	for range 5 {
		e.requestLink(t, c, "carol@example.com")
	}
	res, _ := c.Get(e.srv.URL + "/api/auth/csrf")
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res, _ = c.PostForm(e.srv.URL+"/api/auth/signin/email", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {"carol@example.com"}, "json": {"true"}})
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	if res.StatusCode != http.StatusTooManyRequests || !strings.Contains(out.URL, "error=TooManyRequests") || res.Header.Get("Retry-After") == "" {
		t.Errorf("6th request: %d %q Retry-After %q; want 429 TooManyRequests with Retry-After", res.StatusCode, out.URL, res.Header.Get("Retry-After"))
	}
}

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Ann@Example.com", "ann@example.com"},
		{"  ann@example.com\t", "ann@example.com"},
		{"ann@example.com,evil.com", "ann@example.com"},
		{"ａｎｎ@ｅｘａｍｐｌｅ.com", "ann@example.com"}, // NFKC
		{"ann@localhost", ""},
		{"ann@@example.com", ""},
		{"a@b@example.com", ""},
		{`"ann"@example.com`, ""},
		{"@example.com", ""},
		{"ann@", ""},
		{"ann example@x.com", ""},
		{"", ""},
	}
	for _, tc := range tests {
		got, err := email.NormalizeAddress(tc.in)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("NormalizeAddress(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestNewErrors(t *testing.T) {
	_, err := email.New(email.Config{})
	if err == nil || !strings.Contains(err.Error(), "From is required") || !strings.Contains(err.Error(), "Sender is required") {
		t.Errorf("New(empty) = %v; want both problems named", err)
	}
	_, err = email.New(email.Config{From: "a@example.com", Sender: discard{}, Mode: "magic"})
	if err == nil || !strings.Contains(err.Error(), `unknown Mode "magic"`) {
		t.Errorf("New(Mode magic) = %v; want the mode named", err)
	}
	_, err = email.New(email.Config{From: "a@example.com", Sender: discard{}, CodeMaxAge: time.Hour})
	if err == nil || !strings.Contains(err.Error(), "CodeMaxAge 1h0m0s is longer than Window 15m0s") {
		t.Errorf("New(CodeMaxAge 1h) = %v; want the conflict with Window named", err)
	}
	p, err := email.New(email.Config{From: "a@example.com", Sender: discard{}})
	if err != nil || p.EmailMode() != latch.EmailLinkAndCode || p.CodeMaxAge() != 10*time.Minute || p.TokenMaxAge() != 24*time.Hour {
		t.Errorf("New defaults: %v, mode %q, code %v, link %v; want link+code, 10m, 24h", err, p.EmailMode(), p.CodeMaxAge(), p.TokenMaxAge())
	}
}
