package latch_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// mailbox is an email.Sender that keeps the messages.
type mailbox struct {
	mu   sync.Mutex
	msgs []email.Message
}

func (m *mailbox) Send(_ context.Context, msg email.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *mailbox) last(t *testing.T) email.Message {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.msgs) == 0 {
		t.Fatal("no email was sent")
	}
	return m.msgs[len(m.msgs)-1]
}

// emailHarness is a harness with an SQLite store and the email provider.
type emailHarness struct {
	*harness
	store *sqlite.Store
	box   *mailbox
}

func newEmailHarness(t *testing.T, cfg email.Config, opts ...func(*latch.Config)) *emailHarness {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	box := &mailbox{}
	cfg.From, cfg.Sender = "Latch <no-reply@example.com>", box
	p, err := email.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, append([]func(*latch.Config){func(c *latch.Config) {
		c.Store = st
		c.Providers = []latch.Provider{p}
	}}, opts...)...)
	return &emailHarness{harness: h, store: st, box: box}
}

// ask asks for a sign-in email for addr as next-auth/react's
// signIn("email", {email: addr, redirect: false}) does, and returns it.
func (h *emailHarness) ask(t *testing.T, b *browser, addr string) email.Message {
	t.Helper()
	res := b.postForm("/signin/email", url.Values{"csrfToken": {b.csrf()}, "email": {addr}, "callbackUrl": {"/welcome"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/verify-request?provider=email&type=email")
	return h.box.last(t)
}

// path is link without the harness's base URL.
func (h *emailHarness) path(t *testing.T, link string) string {
	t.Helper()
	p, ok := strings.CutPrefix(link, h.base)
	if !ok {
		t.Fatalf("link %q is not under %s", link, h.base)
	}
	return p
}

// confirm presses the button of a link's page: a POST to the link with
// the browser's CSRF token.
func (h *emailHarness) confirm(t *testing.T, b *browser, link string) *response {
	t.Helper()
	return b.postForm(h.path(t, link), url.Values{"csrfToken": {b.csrf()}})
}

// enterCode submits the verify-request page's form.
func (h *emailHarness) enterCode(t *testing.T, b *browser, addr, code string) *response {
	t.Helper()
	return b.postForm("/verify-request", url.Values{"csrfToken": {b.csrf()}, "provider": {"email"}, "email": {addr}, "code": {code}})
}

func signedInAs(t *testing.T, b *browser) string {
	t.Helper()
	res := b.get("/session")
	var s struct{ User struct{ Email string } }
	if err := json.Unmarshal([]byte(res.Body), &s); err != nil {
		t.Fatalf("session %q: %v", res.Body, err)
	}
	return s.User.Email
}

const verificationError = httpBase + "/error?error=Verification"

var formAction = regexp.MustCompile(`<form action="([^"]+)" method="POST">`)

// Opening a link (GET, HEAD, as often as a mail scanner likes) uses
// nothing up; the page's button posts back to the link and signs in, once.
func TestEmailLinkGETDoesNotConsume(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "Ann@Example.com")
	u, _ := url.Parse(msg.URL)
	if q := u.Query(); u.Path != "/api/auth/callback/email" || q.Get("email") != "ann@example.com" || !hex64RE.MatchString(q.Get("token")) || q.Get("callbackUrl") != httpOrigin+"/welcome" {
		t.Fatalf("link = %s; want <base>/callback/email with the token, the address and the callbackUrl", msg.URL)
	}
	for i := range 3 {
		scanner := h.browser()
		if res := scanner.do(http.MethodHead, h.path(t, msg.URL), nil, ""); res.Code == http.StatusOK || res.Code == http.StatusFound {
			t.Errorf("HEAD of the link: got %d; want no sign-in", res.Code)
		}
		res := scanner.get(h.path(t, msg.URL))
		wantStatus(t, res, http.StatusOK)
		if _, ok := scanner.cookie(sessionCookie); ok {
			t.Fatalf("GET %d of the link set a session cookie", i+1)
		}
		wantHeader(t, res, "Cache-Control", "no-store")
		wantHeader(t, res, "X-Robots-Tag", "noindex")
		wantHeader(t, res, "Referrer-Policy", "no-referrer")
		for _, want := range []string{`<meta name="robots" content="noindex">`, `<button type="submit">Sign in</button>`, "ann@example.com"} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("link page: got no %q", want)
			}
		}
		if strings.Contains(res.Body, "<script") {
			t.Errorf("link page has a script")
		}
		m := formAction.FindStringSubmatch(res.Body)
		if m == nil || strings.ReplaceAll(m[1], "&amp;", "&") != msg.URL {
			t.Errorf("link page form action = %v; want the link %s", m, msg.URL)
		}
	}
	person := h.browser()
	person.get(h.path(t, msg.URL))
	res := h.confirm(t, person, msg.URL)
	wantRedirect(t, res, httpOrigin+"/welcome")
	if got := signedInAs(t, person); got != "ann@example.com" {
		t.Errorf("session after the button: %q; want ann@example.com", got)
	}
	// Used: the page and the button both say so.
	wantRedirect(t, h.browser().get(h.path(t, msg.URL)), verificationError)
	wantRedirect(t, h.confirm(t, h.browser(), msg.URL), verificationError)
}

// The button's POST needs the browser's CSRF token; without it nothing is
// used up.
func TestEmailLinkPOSTNeedsCSRF(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "bo@example.com")
	b := h.browser()
	b.csrf()
	for _, form := range []url.Values{{}, {"csrfToken": {strings.Repeat("0", 64)}}} {
		res := b.postForm(h.path(t, msg.URL), form)
		wantRedirect(t, res, httpBase+"/signin?csrf=true")
		if _, ok := b.cookie(sessionCookie); ok {
			t.Fatalf("POST with csrfToken %q signed in", form.Get("csrfToken"))
		}
	}
	// A token of another browser does not do either.
	res := h.browser().postForm(h.path(t, msg.URL), url.Values{"csrfToken": {b.csrf()}})
	wantRedirect(t, res, httpBase+"/signin?csrf=true")
	wantRedirect(t, h.confirm(t, b, msg.URL), httpOrigin+"/welcome")
}

func TestEmailLinkExpires(t *testing.T) {
	h := newEmailHarness(t, email.Config{MaxAge: time.Hour})
	msg := h.ask(t, h.browser(), "cy@example.com")
	h.clock.Advance(time.Hour - time.Second)
	b := h.browser()
	wantStatus(t, b.get(h.path(t, msg.URL)), http.StatusOK)
	h.clock.Advance(2 * time.Second)
	wantRedirect(t, b.get(h.path(t, msg.URL)), verificationError)
	wantRedirect(t, h.confirm(t, b, msg.URL), verificationError)
	if _, err := h.store.UserByEmail(context.Background(), "cy@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("an expired link created the user: %v", err)
	}
}

// Mode EmailLinkSignsInOnGET keeps NextAuth's link: GET signs in.
func TestEmailLinkSignsInOnGET(t *testing.T) {
	h := newEmailHarness(t, email.Config{Mode: latch.EmailLinkSignsInOnGET})
	msg := h.ask(t, h.browser(), "di@example.com")
	if msg.Code != "" || strings.Contains(msg.Text, "code") {
		t.Errorf("mode link-get: the email has a code: %q", msg.Text)
	}
	b := h.browser()
	wantRedirect(t, b.get(h.path(t, msg.URL)), httpOrigin+"/welcome")
	if got := signedInAs(t, b); got != "di@example.com" {
		t.Errorf("session after GET: %q", got)
	}
	wantRedirect(t, h.browser().get(h.path(t, msg.URL)), verificationError)
}

// A store without VerificationTokenReader: the page is shown for any
// link, and the button finds out.
func TestEmailLinkPageWithoutReader(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	h2 := newHarness(t, func(c *latch.Config) {
		c.Store = struct{ latch.Store }{h.store}
		c.Providers = h.cfg.Providers
	})
	eh := &emailHarness{harness: h2, store: h.store, box: h.box}
	msg := eh.ask(t, eh.browser(), "el@example.com")
	b := eh.browser()
	wantStatus(t, b.get(eh.path(t, msg.URL)), http.StatusOK)
	wantRedirect(t, eh.confirm(t, b, msg.URL), httpOrigin+"/welcome")
	res := eh.browser().get(eh.path(t, msg.URL))
	wantStatus(t, res, http.StatusOK)
	wantRedirect(t, eh.confirm(t, eh.browser(), msg.URL), verificationError)
}

var codeRE = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// The code alone signs in, once; and ends the link of the same email.
func TestEmailCodeSignsIn(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	asker := h.browser()
	msg := h.ask(t, asker, "fa@example.com")
	if !codeRE.MatchString(msg.Code) || !strings.Contains(msg.Text, msg.Code) || !strings.Contains(msg.HTML, msg.Code) || !strings.Contains(msg.Text, msg.URL) {
		t.Fatalf("email: code %q, text %q; want the link and a code XXXX-XXXX in both bodies", msg.Code, msg.Text)
	}
	page := asker.get("/verify-request?provider=email&type=email")
	wantStatus(t, page, http.StatusOK)
	for _, want := range []string{`<form action="` + httpBase + `/verify-request" method="POST">`, `name="code"`, `name="email"`, `name="csrfToken"`} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("verify-request page: got no %q", want)
		}
	}
	// Typed in lower case, without the dash.
	res := h.enterCode(t, asker, " FA@example.com", strings.ToLower(strings.ReplaceAll(msg.Code, "-", "")))
	wantRedirect(t, res, httpOrigin+"/welcome")
	if got := signedInAs(t, asker); got != "fa@example.com" {
		t.Errorf("session after the code: %q", got)
	}
	u, err := h.store.UserByEmail(context.Background(), "fa@example.com")
	if err != nil || u.EmailVerified.IsZero() {
		t.Errorf("user after the code: %+v, %v; want created with emailVerified", u, err)
	}
	// Used: neither the code nor the link works again.
	res = h.enterCode(t, h.browser(), "fa@example.com", msg.Code)
	wantStatus(t, res, http.StatusForbidden)
	if !strings.Contains(res.Body, `role="alert"`) || !strings.Contains(res.Body, `value="fa@example.com"`) {
		t.Errorf("used code: page without the message or the address typed: %s", res.Body)
	}
	wantRedirect(t, h.browser().get(h.path(t, msg.URL)), verificationError)
	wantRedirect(t, h.confirm(t, h.browser(), msg.URL), verificationError)
}

// Using the link ends the code.
func TestEmailLinkEndsCode(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "ga@example.com")
	b := h.browser()
	wantRedirect(t, h.confirm(t, b, msg.URL), httpOrigin+"/welcome")
	c := h.browser()
	wantStatus(t, h.enterCode(t, c, "ga@example.com", msg.Code), http.StatusForbidden)
	if _, ok := c.cookie(sessionCookie); ok {
		t.Error("the code signed in after the link was used")
	}
}

// A code works for CodeMaxAge (10 minutes), the link for MaxAge.
func TestEmailCodeExpires(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "ha@example.com")
	h.clock.Advance(10*time.Minute + time.Second)
	wantStatus(t, h.enterCode(t, h.browser(), "ha@example.com", msg.Code), http.StatusForbidden)
	wantRedirect(t, h.confirm(t, h.browser(), msg.URL), httpOrigin+"/welcome")

	msg = h.ask(t, h.browser(), "hb@example.com")
	h.clock.Advance(10*time.Minute - time.Second)
	wantRedirect(t, h.enterCode(t, h.browser(), "hb@example.com", msg.Code), httpOrigin)
}

// Five wrong codes for an address, and even the right one fails, for
// good; the link of the email still works.
func TestEmailCodeWrongTries(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "ia@example.com")
	wrong := wrongCode(msg.Code)
	b := h.browser()
	for i := range 5 {
		res := h.enterCode(t, b, "ia@example.com", wrong)
		if res.Code != http.StatusForbidden {
			t.Fatalf("wrong code %d: %d; want 403", i+1, res.Code)
		}
	}
	// Another browser (same client address) and the right code.
	res := h.enterCode(t, h.browser(), "ia@example.com", msg.Code)
	wantStatus(t, res, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || !strings.Contains(res.Body, "Too many tries") {
		t.Errorf("right code after 5 wrong ones: Retry-After %q, body %s; want the limit's message", res.Header.Get("Retry-After"), res.Body)
	}
	codeRow := wantCodeRow(t, h, "ia@example.com", msg.Code)
	if _, err := h.store.VerificationToken(context.Background(), "ia@example.com", codeRow); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("the code refused by the limit is still stored: %v", err)
	}
	wantRedirect(t, h.confirm(t, h.browser(), msg.URL), httpOrigin+"/welcome")
}

// What is not a code at all is not a guess: it does not count.
func TestEmailCodeMalformedNotCounted(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "ja@example.com")
	for _, bad := range []string{"", "1234", "ABCD-EFGH-JKMN", "ABCD-EFGU", "ÄBCD-EFGH"} {
		wantStatus(t, h.enterCode(t, h.browser(), "ja@example.com", bad), http.StatusBadRequest)
	}
	// O for 0, I and L for 1, spaces: read as the code.
	typed := strings.NewReplacer("0", "o", "1", "l").Replace(msg.Code[:4]) + " " + msg.Code[5:]
	wantRedirect(t, h.enterCode(t, h.browser(), "ja@example.com", typed), httpOrigin)
}

func TestEmailCodeNeedsCSRF(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	b := h.browser()
	msg := h.ask(t, b, "ka@example.com")
	res := b.postForm("/verify-request", url.Values{"email": {"ka@example.com"}, "code": {msg.Code}})
	wantRedirect(t, res, httpBase+"/signin?csrf=true")
	res = b.postForm("/verify-request", url.Values{"csrfToken": {strings.Repeat("0", 64)}, "email": {"ka@example.com"}, "code": {msg.Code}})
	wantRedirect(t, res, httpBase+"/signin?csrf=true")
	wantRedirect(t, h.enterCode(t, b, "ka@example.com", msg.Code), httpOrigin+"/welcome")
}

// In JSON mode the form answers {url} like the other actions.
func TestEmailCodeJSON(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	b := h.browser()
	msg := h.ask(t, b, "la@example.com")
	form := url.Values{"csrfToken": {b.csrf()}, "email": {"la@example.com"}, "code": {wrongCode(msg.Code)}, "json": {"true"}}
	wantJSONURL(t, b.postForm("/verify-request", form), http.StatusForbidden, httpBase+"/verify-request?provider=email&type=email&error=Verification")
	form.Set("code", msg.Code)
	wantJSONURL(t, b.postForm("/verify-request", form), http.StatusOK, httpOrigin+"/welcome")
}

// Mode EmailCode sends no link; the verify-request page says so.
func TestEmailCodeOnly(t *testing.T) {
	h := newEmailHarness(t, email.Config{Mode: latch.EmailCode})
	b := h.browser()
	msg := h.ask(t, b, "ma@example.com")
	if msg.URL != "" || strings.Contains(msg.Text, "://") || strings.Contains(msg.HTML, "href") || !codeRE.MatchString(msg.Code) {
		t.Errorf("mode code: URL %q, text %q; want a code and no link", msg.URL, msg.Text)
	}
	page := b.get("/verify-request?provider=email&type=email")
	if !strings.Contains(page.Body, "A sign in code has been sent") {
		t.Errorf("verify-request page in mode code: %s", page.Body)
	}
	wantRedirect(t, h.enterCode(t, b, "ma@example.com", msg.Code), httpOrigin+"/welcome")
}

// Mode EmailLink: no code, and no code form.
func TestEmailLinkOnly(t *testing.T) {
	h := newEmailHarness(t, email.Config{Mode: latch.EmailLink})
	b := h.browser()
	msg := h.ask(t, b, "na@example.com")
	if msg.Code != "" || msg.URL == "" {
		t.Errorf("mode link: URL %q, code %q; want a link only", msg.URL, msg.Code)
	}
	if page := b.get("/verify-request?provider=email&type=email"); strings.Contains(page.Body, "<form") {
		t.Errorf("verify-request page in mode link has a form")
	}
	wantStatus(t, h.enterCode(t, b, "na@example.com", "ABCD-EFGH"), http.StatusBadRequest)
	wantRedirect(t, h.confirm(t, b, msg.URL), httpOrigin+"/welcome")
}

// The code is stored only as its HMAC (keyed with the secret) with the
// address, in a second verification token of the address.
func TestEmailCodeStoredHashed(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	msg := h.ask(t, h.browser(), "oa@example.com")
	ctx := context.Background()
	vt, err := h.store.VerificationToken(ctx, "oa@example.com", wantCodeRow(t, h, "oa@example.com", msg.Code))
	if err != nil {
		t.Fatalf("no code row keyed with the secret: %v", err)
	}
	if want := t0.Add(10 * time.Minute); !vt.Expires.Equal(want) {
		t.Errorf("code row expires %v; want %v", vt.Expires, want)
	}
	plain := strings.ReplaceAll(msg.Code, "-", "")
	for _, tok := range []string{msg.Code, plain, "code:" + plain, sha256Hex(plain), sha256Hex(plain + testSecret)} {
		if _, err := h.store.VerificationToken(ctx, "oa@example.com", tok); !errors.Is(err, latch.ErrNotFound) {
			t.Errorf("a row with token %q: %v; want none", tok, err)
		}
	}
	// The link's row is stored as NextAuth stores it.
	u, _ := url.Parse(msg.URL)
	if _, err := h.store.VerificationToken(ctx, "oa@example.com", sha256Hex(u.Query().Get("token")+testSecret)); err != nil {
		t.Errorf("no link row sha256(token + secret): %v", err)
	}
}

// After a secret rotation, links and codes sent before it still work.
func TestEmailSecretRotation(t *testing.T) {
	h := newEmailHarness(t, email.Config{})
	link := h.ask(t, h.browser(), "pa@example.com")
	code := h.ask(t, h.browser(), "pb@example.com")
	h2 := newHarness(t, func(c *latch.Config) {
		c.Store = h.store
		c.Providers = h.cfg.Providers
		c.Secrets = []string{oldSecret, testSecret}
	})
	eh := &emailHarness{harness: h2, store: h.store, box: h.box}
	wantStatus(t, eh.browser().get(eh.path(t, link.URL)), http.StatusOK)
	wantRedirect(t, eh.confirm(t, eh.browser(), link.URL), httpOrigin+"/welcome")
	wantRedirect(t, eh.enterCode(t, eh.browser(), "pb@example.com", code.Code), httpOrigin)
}

// An EmailProvider without EmailCodeProvider sends links that ask for the
// click.
type plainEmailProvider struct {
	mu  sync.Mutex
	req latch.VerificationRequest
}

func (p *plainEmailProvider) Info() latch.ProviderInfo {
	return latch.ProviderInfo{ID: "email", Name: "Email", Type: latch.TypeEmail}
}
func (p *plainEmailProvider) Normalize(_ context.Context, _ *http.Request, s string) (string, error) {
	return strings.ToLower(strings.TrimSpace(s)), nil
}
func (p *plainEmailProvider) SendVerificationRequest(_ context.Context, r latch.VerificationRequest) error {
	p.mu.Lock()
	p.req = r
	p.mu.Unlock()
	return nil
}
func (p *plainEmailProvider) TokenMaxAge() time.Duration { return time.Hour }

func TestEmailPlainProvider(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p := &plainEmailProvider{}
	h := newHarness(t, func(c *latch.Config) { c.Store = st; c.Providers = []latch.Provider{p} })
	b := h.browser()
	res := b.postForm("/signin/email", url.Values{"csrfToken": {b.csrf()}, "email": {"qa@example.com"}, "json": {"true"}})
	wantJSONURL(t, res, http.StatusOK, httpBase+"/verify-request?provider=email&type=email")
	if p.req.Code != "" || p.req.URL == "" {
		t.Fatalf("request %+v; want a link and no code", p.req)
	}
	eh := &emailHarness{harness: h, store: st}
	wantStatus(t, b.get(eh.path(t, p.req.URL)), http.StatusOK)
	wantRedirect(t, eh.confirm(t, b, p.req.URL), httpOrigin)
	wantStatus(t, b.postForm("/verify-request", url.Values{"csrfToken": {b.csrf()}, "email": {"qa@example.com"}, "code": {"ABCD-EFGH"}}), http.StatusBadRequest)
}

// wantCodeRow returns the token the code's row must have: "code:" and the
// hex HMAC-SHA256, keyed with the secret, of the purpose, the address and
// the code.
func wantCodeRow(t *testing.T, h *emailHarness, addr, code string) string {
	t.Helper()
	m := hmac.New(sha256.New, []byte(testSecret))
	m.Write([]byte("latch email code\x00" + addr + "\x00" + strings.ReplaceAll(code, "-", "")))
	return "code:" + hex.EncodeToString(m.Sum(nil))
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// wrongCode is a code that differs from c in its first character.
func wrongCode(c string) string {
	if c[0] == '2' {
		return "3" + c[1:]
	}
	return "2" + c[1:]
}
