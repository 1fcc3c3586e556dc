package main

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestBrowserAccountAndReset: in Chromium, with latch serve and email
// through an SMTP sink: sign in on the built-in page and land on the
// account page; change the password there; then, in another browser,
// "Forgot your password?" from the sign-in page, the emailed link opened
// twice (a scanner first), a new password set, and a sign-in with it.
func TestBrowserAccountAndReset(t *testing.T) {
	k := needBrowser(t)
	p, sink := startEmailLatch(t, k)
	account := p.origin + "/api/auth/account"
	signIn := func(prefix, pw string) []step {
		return []step{
			{Name: prefix + "Page", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + url.QueryEscape(account)},
			{Name: prefix + "Email", Op: "fill", Selector: "#input-email-for-credentials-provider", Value: browserUserEmail},
			{Name: prefix + "Password", Op: "fill", Selector: "#input-password-for-credentials-provider", Value: pw},
			{Name: prefix, Op: "click", Selector: `form[action$="/callback/credentials"] button`, Wait: "url"},
			{Name: prefix + "Heading", Op: "text", Selector: "h1"},
		}
	}
	steps := signIn("signIn", browserUserPassword)
	steps = append(steps,
		step{Name: "current", Op: "fill", Selector: "#current", Value: browserUserPassword},
		step{Name: "new", Op: "fill", Selector: "#new", Value: "a changed password 1"},
		step{Name: "confirm", Op: "fill", Selector: "#confirm", Value: "a changed password 1"},
		step{Name: "change", Op: "click", Selector: "#password-form button", Wait: "url"},
		step{Name: "changed", Op: "text", Selector: "#account-message"},
		step{Name: "everywhere", Op: "click", Selector: "#signout-everywhere button", Wait: "url"},
		step{Name: "afterEverywhere", Op: "url"},
		step{Name: "blank", Op: "goto", URL: "/__test/blank"},
		step{Name: "session", Op: "eval", JS: `fetch("/api/auth/session").then(r => r.text())`},
	)
	res := k.browse(t, p, "", "", "", steps)
	var heading, changed, after, session string
	res.get(t, "signInHeading", &heading)
	res.get(t, "changed", &changed)
	res.get(t, "afterEverywhere", &after)
	res.get(t, "session", &session)
	if heading != "Your account" || changed != "Your password was changed. Your other sessions were signed out." {
		t.Fatalf("account page %q, after the change %q", heading, changed)
	}
	if !strings.HasSuffix(after, "/api/auth/signin") || session != "{}" {
		t.Errorf("after signing out everywhere: at %q, session %s; want the sign-in page and no session", after, session)
	}

	res = k.browse(t, p, "", "", "", []step{
		{Name: "signInPage", Op: "goto", URL: "/api/auth/signin"},
		{Name: "forgot", Op: "click", Selector: "#forgot-password", Wait: "url"},
		{Name: "email", Op: "fill", Selector: "#email", Value: browserUserEmail},
		{Name: "ask", Op: "click", Selector: "#forgot-form button", Wait: "load"},
		{Name: "sent", Op: "text", Selector: "#reset-sent"},
	})
	var sent string
	res.get(t, "sent", &sent)
	if sent == "" {
		t.Fatal("no 'sent' page after asking for a reset link")
	}
	mail := sink.await(t, browserUserEmail, 1)
	link := regexp.MustCompile(`http://\S+/api/auth/reset-password\?\S+`).FindString(mail.Text)
	if link == "" {
		t.Fatalf("no reset link in:\n%s", mail.Text)
	}
	steps = []step{
		{Name: "scanner", Op: "goto", URL: link},
		{Name: "person", Op: "goto", URL: link},
		{Name: "new", Op: "fill", Selector: "#new", Value: "a reset password 2"},
		{Name: "confirm", Op: "fill", Selector: "#confirm", Value: "a reset password 2"},
		{Name: "reset", Op: "click", Selector: "#reset-form button", Wait: "url"},
	}
	steps = append(steps, signIn("again", "a reset password 2")...)
	res = k.browse(t, p, "", "", "", steps)
	res.get(t, "againHeading", &heading)
	if heading != "Your account" {
		t.Errorf("after the reset, signing in with the new password led to %q; want the account page", heading)
	}
}

// TestBrowserSignUp: in Chromium, "Create an account" from the sign-in
// page, the form, the emailed link opened twice (a scanner first), the
// confirmation, and the new user on the account page, signed in.
func TestBrowserSignUp(t *testing.T) {
	k := needBrowser(t)
	sink, port := startMailSink(t)
	p := newLatch(t, k.buildLatch(t), fmt.Sprintf("signUp: true\nemail:\n  from: Latch <no-reply@example.com>\n  smtp: {host: 127.0.0.1, port: %d, insecureNoTLS: true}\n", port))
	p.start()
	const addr = "newcomer@example.com"
	res := k.browse(t, p, "", "", "", []step{
		{Name: "signInPage", Op: "goto", URL: "/api/auth/signin"},
		{Name: "toSignUp", Op: "click", Selector: "#sign-up", Wait: "url"},
		{Name: "name", Op: "fill", Selector: "#name", Value: "New Comer"},
		{Name: "email", Op: "fill", Selector: "#email", Value: addr},
		{Name: "password", Op: "fill", Selector: "#password", Value: "a newcomer's password"},
		{Name: "confirm", Op: "fill", Selector: "#confirm", Value: "a newcomer's password"},
		{Name: "submit", Op: "click", Selector: "#signup-form button", Wait: "load"},
		{Name: "sent", Op: "text", Selector: "#signup-sent"},
	})
	var sent string
	res.get(t, "sent", &sent)
	if !strings.Contains(sent, addr) {
		t.Fatalf("after the form: %q", sent)
	}
	mail := sink.await(t, addr, 1)
	link := regexp.MustCompile(`http://\S+/api/auth/signup/verify\?\S+`).FindString(mail.Text)
	if link == "" {
		t.Fatalf("no sign-up link in:\n%s", mail.Text)
	}
	res = k.browse(t, p, "", "", "", []step{
		{Name: "scanner", Op: "goto", URL: link},
		{Name: "person", Op: "goto", URL: link},
		{Name: "create", Op: "click", Selector: "#signup-confirm button", Wait: "url"},
		{Name: "heading", Op: "text", Selector: "h1"},
		{Name: "user", Op: "text", Selector: "#account-user"},
	})
	var heading, user string
	res.get(t, "heading", &heading)
	res.get(t, "user", &user)
	if heading != "Your account" || !strings.Contains(user, "New Comer") || !strings.Contains(user, addr) {
		t.Errorf("after confirming: %q %q; want the new user's account page", heading, user)
	}
}

// TestBrowserAccessDeniedEmail: in Chromium, an email sign-in for an
// address the access rules do not let in ends on the AccessDenied page,
// and no email is sent.
func TestBrowserAccessDeniedEmail(t *testing.T) {
	k := needBrowser(t)
	sink, port := startMailSink(t)
	p := newLatch(t, k.buildLatch(t), fmt.Sprintf("access: {domains: [example.com]}\nemail:\n  from: Latch <no-reply@example.com>\n  smtp: {host: 127.0.0.1, port: %d, insecureNoTLS: true}\n", port))
	p.start()
	res := k.browse(t, p, "", "", "", []step{
		{Name: "signInPage", Op: "goto", URL: "/api/auth/signin"},
		{Name: "fill", Op: "fill", Selector: "#input-email-for-email-provider", Value: "eve@evil.example"},
		{Name: "submit", Op: "click", Selector: `form[action$="/signin/email"] button`, Wait: "url"},
		{Name: "heading", Op: "text", Selector: "h1"},
	})
	var heading string
	res.get(t, "heading", &heading)
	if heading != "Access Denied" {
		t.Errorf("email sign-in outside the rules ends on %q; want Access Denied", heading)
	}
	// The allowed address gets its email; the refused one never did.
	askEmail(t, p, browserUserEmail)
	sink.await(t, browserUserEmail, 1)
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if n := len(sink.byTo["eve@evil.example"]); n != 0 {
		t.Errorf("%d email(s) went to the refused address", n)
	}
}
