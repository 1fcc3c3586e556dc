package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// mailSink is an SMTP server (go-smtp) that keeps the messages latch serve
// sends, by recipient.
type mailSink struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every message
	byTo    map[string][]sentEmail
}

// sentEmail is what a sign-in email carries.
type sentEmail struct {
	Text, Link, Code string
}

func startMailSink(t *testing.T) (*mailSink, int) {
	t.Helper()
	s := &mailSink{changed: make(chan struct{}), byTo: map[string][]sentEmail{}}
	srv := smtp.NewServer(s)
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s, ln.Addr().(*net.TCPAddr).Port
}

func (s *mailSink) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: s}, nil }

type sinkSession struct {
	s  *mailSink
	to []string
}

func (*sinkSession) Mail(string, *smtp.MailOptions) error { return nil }
func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.to = append(ss.to, strings.ToLower(to))
	return nil
}
func (*sinkSession) Reset()        {}
func (*sinkSession) Logout() error { return nil }

var (
	linkRE = regexp.MustCompile(`http://\S+/api/auth/callback/email\?\S+`)
	codeRE = regexp.MustCompile(`(?m)^ {4}([0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4})$`)
)

func (ss *sinkSession) Data(r io.Reader) error {
	m, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	text, err := plainText(m)
	if err != nil {
		return err
	}
	e := sentEmail{Text: text, Link: linkRE.FindString(text)}
	if c := codeRE.FindStringSubmatch(text); c != nil {
		e.Code = c[1]
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	for _, to := range ss.to {
		ss.s.byTo[to] = append(ss.s.byTo[to], e)
	}
	close(ss.s.changed)
	ss.s.changed = make(chan struct{})
	return nil
}

// plainText returns the text/plain part of m, with \n line ends.
func plainText(m *mail.Message) (string, error) {
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return "", err
	}
	var text []byte
	if !strings.HasPrefix(mt, "multipart/") {
		text, err = io.ReadAll(m.Body)
	} else {
		r := multipart.NewReader(m.Body, params["boundary"])
		for {
			p, perr := r.NextPart()
			if perr != nil {
				break
			}
			if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
				text, err = io.ReadAll(p)
			}
		}
	}
	return strings.ReplaceAll(string(text), "\r\n", "\n"), err
}

// await returns the n-th email (from 1) sent to addr, waiting for it to
// arrive.
func (s *mailSink) await(t *testing.T, addr string, n int) sentEmail {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		s.mu.Lock()
		got, changed := s.byTo[addr], s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got[n-1]
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("email %d to %s did not arrive (got %d)", n, addr, len(got))
		}
	}
}

// startEmailLatch starts latch serve with email sign-in through an SMTP
// sink, in the default mode (link and code).
func startEmailLatch(t *testing.T, k *browserKit) (*latchProcess, *mailSink) {
	t.Helper()
	sink, port := startMailSink(t)
	p := newLatch(t, k.buildLatch(t), fmt.Sprintf(`email:
  from: Latch <no-reply@example.com>
  smtp:
    host: 127.0.0.1
    port: %d
    insecureNoTLS: true
`, port))
	p.start()
	return p, sink
}

// askEmail asks for a sign-in email for addr as a program would (the
// browser tests do it in the browser where that is what they check).
func askEmail(t *testing.T, p *latchProcess, addr string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(p.origin + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = c.PostForm(p.origin+"/api/auth/signin/email", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {addr}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("asking for an email to %s: %d", addr, res.StatusCode)
	}
}

// readSession returns the steps that read the session as name, from a
// page outside Latch's (whose Content-Security-Policy allows no fetch).
func readSession(name string) []step {
	return []step{
		{Name: name + "Page", Op: "goto", URL: "/__test/blank"},
		{Name: name, Op: "eval", JS: `fetch("/api/auth/session").then(r => r.json())`},
	}
}

func sessionEmail(t *testing.T, res *browserResult, step string) string {
	t.Helper()
	var s struct{ User struct{ Email string } }
	res.get(t, step, &s)
	return s.User.Email
}

// TestBrowserEmail signs in by email in Chromium with latch serve, which
// sends its emails to an SMTP sink, in the default mode (link and code).
// The subtests share the server; each uses its own addresses.
func TestBrowserEmail(t *testing.T) {
	k := needBrowser(t)
	p, sink := startEmailLatch(t, k)
	t.Run("Scanner", func(t *testing.T) { testBrowserEmailScanner(t, k, p, sink) })
	t.Run("Code", func(t *testing.T) { testBrowserEmailCode(t, k, p, sink) })
	t.Run("Limits", func(t *testing.T) { testBrowserEmailLimits(t, k, p, sink) })
}

// testBrowserEmailScanner: a mail scanner opens the link of a sign-in
// email first (HEAD, GET with a Go client, GET in its own Chromium context,
// which loads the page and would run its scripts), and then the person
// opens it in their browser, presses "Sign in" and is signed in.
func testBrowserEmailScanner(t *testing.T, k *browserKit, p *latchProcess, sink *mailSink) {
	bundle := k.bundle(t, p.origin+"/api/auth")
	state := filepath.Join(t.TempDir(), "person.json")
	const addr = "scanned@example.com"

	// The person asks for the email through next-auth/react.
	res := k.browse(t, p, bundle, "", state, []step{
		{Name: "page", Op: "testPage"},
		{Name: "signIn", Op: "eval", JS: js(`window.nextAuth.signIn("email", {email: %s, redirect: false, callbackUrl: %s})`, addr, p.origin+"/")},
	})
	var signIn signInResponse
	res.get(t, "signIn", &signIn)
	if want := p.origin + "/api/auth/verify-request?provider=email&type=email"; signIn.Error != nil || !signIn.OK || signIn.URL == nil || *signIn.URL != want {
		t.Fatalf(`signIn("email") = %v; want ok with url %s`, signIn, want)
	}
	e := sink.await(t, addr, 1)
	if e.Link == "" || e.Code == "" {
		t.Fatalf("the email has no link or no code:\n%s", e.Text)
	}

	// The scanner.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		req, _ := http.NewRequest(method, e.Link, nil)
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if method == http.MethodGet && (r.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`<button type="submit">Sign in</button>`))) {
			t.Errorf("scanner GET: %d %s; want the page with the button", r.StatusCode, body)
		}
		for _, c := range r.Cookies() {
			if strings.Contains(c.Name, "session-token") {
				t.Errorf("scanner %s got a session cookie", method)
			}
		}
	}
	res = k.browse(t, p, "", "", "", append([]step{
		{Name: "open", Op: "goto", URL: e.Link},
		{Name: "heading", Op: "text", Selector: "h1"},
		{Name: "scripts", Op: "eval", JS: `document.scripts.length`},
	}, readSession("session")...))
	var heading string
	var scripts int
	res.get(t, "heading", &heading)
	res.get(t, "scripts", &scripts)
	if heading != "Sign in to Latch" || scripts != 0 {
		t.Errorf("scanner's Chromium: heading %q, %d scripts; want the sign-in page without scripts", heading, scripts)
	}
	if got := sessionEmail(t, res, "session"); got != "" {
		t.Errorf("the scanner's Chromium is signed in as %q", got)
	}

	// The person.
	res = k.browse(t, p, "", state, "", slices.Concat([]step{
		{Name: "open", Op: "goto", URL: e.Link},
		{Name: "signIn", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
	}, readSession("session"), []step{
		{Name: "again", Op: "goto", URL: e.Link},
		{Name: "againHeading", Op: "text", Selector: "h1"},
	}))
	var landed struct{ URL string }
	res.get(t, "signIn", &landed)
	if landed.URL != p.origin+"/" {
		t.Errorf("Sign in led to %s; want the callbackUrl %s/", landed.URL, p.origin)
	}
	if got := sessionEmail(t, res, "session"); got != addr {
		t.Errorf("after Sign in the session is of %q; want %s", got, addr)
	}
	res.get(t, "againHeading", &heading)
	if heading != "Unable to sign in" {
		t.Errorf("the used link shows %q; want the Verification error", heading)
	}
}

// testBrowserEmailCode: the person asks for an email on the sign-in page
// and types its code on the verify-request page it leads to.
func testBrowserEmailCode(t *testing.T, k *browserKit, p *latchProcess, sink *mailSink) {
	state := filepath.Join(t.TempDir(), "person.json")
	const addr = "coder@example.com"
	res := k.browse(t, p, "", "", state, []step{
		{Name: "signinPage", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + url.QueryEscape(p.origin+"/protected")},
		{Name: "fill", Op: "fill", Selector: "#input-email-for-email-provider", Value: addr},
		{Name: "submit", Op: "click", Selector: `form[action$="/signin/email"] button`, Wait: "url"},
		{Name: "heading", Op: "text", Selector: "h1"},
		{Name: "form", Op: "eval", JS: `[...document.querySelectorAll("form input")].map(i => i.name + ":" + i.type + ":" + (i.labels?.length ? i.labels[0].textContent : "-"))`},
	})
	var submitted struct{ URL string }
	res.get(t, "submit", &submitted)
	if want := p.origin + "/api/auth/verify-request?provider=email&type=email"; submitted.URL != want {
		t.Errorf("asking for the email led to %s; want %s", submitted.URL, want)
	}
	var form []string
	res.get(t, "form", &form)
	if want := []string{"csrfToken:hidden:-", "provider:hidden:-", "email:email:Email", "code:text:Code"}; fmt.Sprint(form) != fmt.Sprint(want) {
		t.Errorf("verify-request form inputs %q; want %q", form, want)
	}
	e := sink.await(t, addr, 1)
	res = k.browse(t, p, "", state, "", append([]step{
		{Name: "page", Op: "goto", URL: "/api/auth/verify-request?provider=email&type=email"},
		{Name: "email", Op: "fill", Selector: "#input-email-for-code", Value: addr},
		{Name: "code", Op: "fill", Selector: "#input-code", Value: strings.ToLower(e.Code)},
		{Name: "submit", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
	}, readSession("session")...))
	res.get(t, "submit", &submitted)
	if submitted.URL != p.origin+"/protected" {
		t.Errorf("the code led to %s; want the callbackUrl %s/protected", submitted.URL, p.origin)
	}
	if got := sessionEmail(t, res, "session"); got != addr {
		t.Errorf("after the code the session is of %q; want %s", got, addr)
	}
}

// testBrowserEmailLimits: five wrong codes, and then even the right one
// fails (the link of that email still works); a used code or link does
// not work again.
func testBrowserEmailLimits(t *testing.T, k *browserKit, p *latchProcess, sink *mailSink) {
	const guessed, used = "guessed@example.com", "used@example.com"
	askEmail(t, p, guessed)
	askEmail(t, p, used)
	g, u := sink.await(t, guessed, 1), sink.await(t, used, 1)
	wrong := "2" + g.Code[1:]
	if g.Code[0] == '2' {
		wrong = "3" + g.Code[1:]
	}
	enter := func(name, addr, code string) []step {
		return []step{
			{Name: name + "Email", Op: "fill", Selector: "#input-email-for-code", Value: addr},
			{Name: name + "Code", Op: "fill", Selector: "#input-code", Value: code},
			{Name: name, Op: "click", Selector: `form button[type="submit"]`, Wait: "load"},
			{Name: name + "Alert", Op: "eval", JS: `document.querySelector("[role=alert]")?.textContent.trim() ?? ""`},
		}
	}
	steps := []step{{Name: "page", Op: "goto", URL: "/api/auth/verify-request?provider=email&type=email"}}
	for i := range 5 {
		steps = append(steps, enter(fmt.Sprintf("wrong%d", i+1), guessed, wrong)...)
	}
	steps = append(steps, enter("right", guessed, g.Code)...)
	steps = append(steps, readSession("sessionAfterGuesses")...)
	// The other email: its code signs in, once; then its link and code
	// are both used up.
	steps = append(steps, step{Name: "page2", Op: "goto", URL: "/api/auth/verify-request?provider=email&type=email"})
	steps = append(steps, enter("useCode", used, u.Code)...)
	steps = append(steps, readSession("sessionUsed")...)
	steps = append(steps,
		step{Name: "link", Op: "goto", URL: u.Link},
		step{Name: "linkHeading", Op: "text", Selector: "h1"},
		step{Name: "page3", Op: "goto", URL: "/api/auth/verify-request?provider=email&type=email"},
	)
	steps = append(steps, enter("reuseCode", used, u.Code)...)
	res := k.browse(t, p, "", "", "", steps)

	alert := func(name string) string {
		var s string
		res.get(t, name+"Alert", &s)
		return s
	}
	for i := range 5 {
		if a := alert(fmt.Sprintf("wrong%d", i+1)); !strings.HasPrefix(a, "That code did not work") {
			t.Errorf("wrong code %d: alert %q; want that the code did not work", i+1, a)
		}
	}
	if a := alert("right"); !strings.HasPrefix(a, "Too many tries") {
		t.Errorf("the right code after 5 wrong ones: alert %q; want too many tries", a)
	}
	if got := sessionEmail(t, res, "sessionAfterGuesses"); got != "" {
		t.Errorf("signed in as %q after the limit", got)
	}
	var landed struct{ URL string }
	res.get(t, "useCode", &landed)
	if got := sessionEmail(t, res, "sessionUsed"); got != used || landed.URL != p.origin+"/" {
		t.Errorf("the code of the second email: at %s signed in as %q; want %s/ and %s", landed.URL, got, p.origin, used)
	}
	var heading string
	res.get(t, "linkHeading", &heading)
	if heading != "Unable to sign in" {
		t.Errorf("the link of the email whose code was used shows %q; want the Verification error", heading)
	}
	if a := alert("reuseCode"); !strings.HasPrefix(a, "That code did not work") {
		t.Errorf("the used code again: alert %q; want that the code did not work", a)
	}

	// The link of the email whose code died still signs in.
	res = k.browse(t, p, "", "", "", append([]step{
		{Name: "open", Op: "goto", URL: g.Link},
		{Name: "signIn", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
	}, readSession("session")...))
	if got := sessionEmail(t, res, "session"); got != guessed {
		t.Errorf("the link of the email whose code was guessed at: signed in as %q; want %s", got, guessed)
	}
}
