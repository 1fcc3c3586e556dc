package main

import (
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch/provider/oauth/oauthtest"
)

// oidcYAML is the latch.yaml of one OpenID provider "idp", op, with extra
// lines of its entry.
func oidcYAML(op *oauthtest.OP, extra string) string {
	return fmt.Sprintf("oauth:\n  - preset: oidc\n    id: idp\n    name: Test IdP\n    issuer: %s\n    clientId: %s\n    clientSecret: %s\n%s", op.Issuer, op.ClientID, op.ClientSecret, extra)
}

// loginAtProvider are the steps after signIn("idp", {callbackUrl:
// "/protected"}) reached op's login page: log in there, land on
// /protected, read the greeting and the session.
func loginAtProvider(op *oauthtest.OP) []step {
	return []step{
		{Name: "fillUser", Op: "fill", Selector: "#username", Value: op.Username},
		{Name: "fillPassword", Op: "fill", Selector: "#password", Value: op.Password},
		{Name: "login", Op: "click", Selector: `button[type="submit"]`, Wait: "url"},
		{Name: "landed", Op: "waitURL", URL: "/protected"},
		{Name: "greeting", Op: "text", Selector: "#greeting"},
		{Name: "session", Op: "eval", JS: `fetch("/api/auth/session").then(r => r.json())`},
	}
}

// TestBrowserOIDCSignIn: in Chromium, next-auth/react's
// signIn('idp', {callbackUrl: '/protected'}) goes through a real OpenID
// provider's login page and lands on Latch's /protected page signed in.
func TestBrowserOIDCSignIn(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	op := oauthtest.NewProvider(t)
	k.allowOrigins = []string{op.Issuer}

	p := newLatch(t, bin, oidcYAML(op, ""))
	op.SetRedirectURIs(p.origin + "/api/auth/callback/idp")
	p.start()

	bundle := k.bundle(t, p.origin+"/api/auth")
	res := k.browse(t, p, bundle, "", "", append([]step{
		{Name: "page", Op: "testPage"},
		{Name: "providers", Op: "eval", JS: `nextAuth.getProviders()`},
		{Name: "toProvider", Op: "evalNavigate", JS: `nextAuth.signIn("idp", {callbackUrl: "/protected"})`},
	}, loginAtProvider(op)...))
	var providers map[string]struct{ Type, SigninURL string }
	res.get(t, "providers", &providers)
	if providers["idp"].Type != "oauth" || providers["idp"].SigninURL != p.origin+"/api/auth/signin/idp" {
		t.Errorf("providers = %+v; want idp of type oauth", providers)
	}
	var toProvider struct{ URL string }
	res.get(t, "toProvider", &toProvider)
	if !strings.HasPrefix(toProvider.URL, op.Issuer) {
		t.Errorf("signIn navigated to %q; want the provider at %s", toProvider.URL, op.Issuer)
	}
	var greeting string
	res.get(t, "greeting", &greeting)
	if !strings.Contains(greeting, op.Email) {
		t.Errorf("/protected says %q; want the provider's user %s", greeting, op.Email)
	}
	var sess struct{ User struct{ Name, Email string } }
	res.get(t, "session", &sess)
	if !strings.EqualFold(sess.User.Email, op.Email) || sess.User.Name != op.Name {
		t.Errorf("session user = %+v; want %s <%s>", sess.User, op.Name, op.Email)
	}
}

// TestBrowserOIDCFormPostCrossSite: in Chromium, a sign-in with an OpenID
// provider on another site that answers with response_mode=form_post (as
// Sign in with Apple does). The provider's page POSTs the code to Latch
// from its own site, so Chromium sends only SameSite=None cookies with it:
// the check cookies must be such, which needs https. Latch is at
// https://app.test (Chromium resolves it to 127.0.0.1, a TLS proxy in the
// test forwards to latch serve), the provider at http://127.0.0.1.
func TestBrowserOIDCFormPostCrossSite(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	op := oauthtest.NewProvider(t)

	p := newLatch(t, bin, oidcYAML(op, "    params: {response_mode: form_post}\n"))
	upstream, _ := url.Parse(p.origin)
	proxy := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(upstream))
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0) // Chromium's first look at the test certificate
	proxy.StartTLS()
	t.Cleanup(proxy.Close)
	proxyURL, _ := url.Parse(proxy.URL)
	p.setOrigin("https://app.test:" + proxyURL.Port())
	k.allowOrigins = []string{op.Issuer}
	k.extraArgs = []string{"--host-resolver-rules=MAP app.test 127.0.0.1"}
	k.ignoreHTTPSErrors = true
	op.SetRedirectURIs(p.origin + "/api/auth/callback/idp")
	p.start()

	bundle := k.bundle(t, p.origin+"/api/auth")
	res := k.browse(t, p, bundle, "", "", append([]step{
		{Name: "page", Op: "testPage"},
		{Name: "toProvider", Op: "evalNavigate", JS: `nextAuth.signIn("idp", {callbackUrl: "/protected"})`},
		{Name: "checkCookies", Op: "cookies"},
	}, loginAtProvider(op)...))
	var toProvider struct{ URL string }
	res.get(t, "toProvider", &toProvider)
	if !strings.HasPrefix(toProvider.URL, op.Issuer) {
		t.Errorf("signIn navigated to %q; want the provider at %s", toProvider.URL, op.Issuer)
	}
	var cookies []struct {
		Name, SameSite string
		Secure         bool
	}
	res.get(t, "checkCookies", &cookies)
	checks := 0
	for _, c := range cookies {
		if c.Name == "__Secure-next-auth.state" || c.Name == "__Secure-next-auth.pkce.code_verifier" {
			checks++
			if c.SameSite != "None" || !c.Secure {
				t.Errorf("Chromium holds %s as SameSite=%s, Secure=%v; want None, true", c.Name, c.SameSite, c.Secure)
			}
		}
	}
	if checks != 2 {
		t.Errorf("Chromium holds %d of the state and PKCE cookies; want 2 (cookies: %+v)", checks, cookies)
	}
	var greeting string
	res.get(t, "greeting", &greeting)
	if !strings.Contains(greeting, op.Email) {
		t.Errorf("/protected says %q; want the provider's user %s", greeting, op.Email)
	}
	var sess struct{ User struct{ Email string } }
	res.get(t, "session", &sess)
	if !strings.EqualFold(sess.User.Email, op.Email) {
		t.Errorf("session user = %+v; want %s", sess.User, op.Email)
	}
}

// TestBrowserOIDCAccessDenied: with access rules the OpenID provider's
// user does not meet (another email domain), the sign-in through the real
// provider ends on Latch's AccessDenied page, with no session; with the
// user's domain listed, the same sign-in works.
func TestBrowserOIDCAccessDenied(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	op := oauthtest.NewProvider(t)
	k.allowOrigins = []string{op.Issuer}
	domain := op.Email[strings.LastIndex(op.Email, "@")+1:]
	for _, tc := range []struct {
		access  string
		allowed bool
	}{{"access: {domains: [elsewhere.example]}\n", false}, {"access: {domains: [" + domain + "]}\n", true}} {
		if !op.EmailVerified {
			t.Fatal("the test provider's user has no verified email: domain rules cannot let it in")
		}
		p := newLatch(t, bin, oidcYAML(op, "")+tc.access)
		op.SetRedirectURIs(p.origin + "/api/auth/callback/idp")
		p.start()
		steps := []step{
			{Name: "page", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + url.QueryEscape(p.origin+"/protected")},
			{Name: "toProvider", Op: "click", Selector: `form[action$="/signin/idp"] button`, Wait: "url"},
			{Name: "fillUser", Op: "fill", Selector: "#username", Value: op.Username},
			{Name: "fillPassword", Op: "fill", Selector: "#password", Value: op.Password},
			{Name: "login", Op: "click", Selector: `button[type="submit"]`, Wait: "url"},
		}
		if tc.allowed {
			steps = append(steps, step{Name: "landed", Op: "waitURL", URL: "/protected"})
		} else {
			steps = append(steps, step{Name: "landed", Op: "waitURL", URL: "/api/auth/error?error=AccessDenied"},
				step{Name: "heading", Op: "text", Selector: "h1"})
		}
		// The session, read from a page of the test's own (Latch's pages
		// allow no fetch).
		steps = append(steps, step{Name: "blank", Op: "goto", URL: "/__test/blank"},
			step{Name: "session", Op: "eval", JS: `fetch("/api/auth/session").then(r => r.text())`})
		res := k.browse(t, p, "", "", "", steps)
		var session string
		res.get(t, "session", &session)
		if tc.allowed != strings.Contains(session, op.Email) {
			t.Errorf("%s: session %s; want signed in: %v", strings.TrimSpace(tc.access), session, tc.allowed)
		}
		if !tc.allowed {
			var heading string
			res.get(t, "heading", &heading)
			if heading != "Access Denied" {
				t.Errorf("refused sign-in ends on %q; want Access Denied", heading)
			}
		}
		p.stop()
	}
}

// TestBrowserAccountLinkAndUnlink: in Chromium, a password user links a
// real OpenID provider's account from the account page (through the
// provider's login page, back to the account page), sees it listed, and
// unlinks it again.
func TestBrowserAccountLinkAndUnlink(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	op := oauthtest.NewProvider(t)
	k.allowOrigins = []string{op.Issuer}
	p := newLatch(t, bin, oidcYAML(op, ""))
	op.SetRedirectURIs(p.origin + "/api/auth/callback/idp")
	p.start()
	account := p.origin + "/api/auth/account"
	res := k.browse(t, p, "", "", "", []step{
		{Name: "signInPage", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + url.QueryEscape(account)},
		{Name: "email", Op: "fill", Selector: "#input-email-for-credentials-provider", Value: browserUserEmail},
		{Name: "password", Op: "fill", Selector: "#input-password-for-credentials-provider", Value: browserUserPassword},
		{Name: "signIn", Op: "click", Selector: `form[action$="/callback/credentials"] button`, Wait: "url"},
		{Name: "link", Op: "click", Selector: `form.link-provider[action$="/signin/idp"] button`, Wait: "url"},
		{Name: "fillUser", Op: "fill", Selector: "#username", Value: op.Username},
		{Name: "fillPassword", Op: "fill", Selector: "#password", Value: op.Password},
		{Name: "login", Op: "click", Selector: `button[type="submit"]`, Wait: "url"},
		{Name: "back", Op: "waitURL", URL: "/api/auth/account"},
		{Name: "linked", Op: "text", Selector: "#account-links"},
		{Name: "unlink", Op: "click", Selector: `#account-links button`, Wait: "url"},
		{Name: "message", Op: "text", Selector: "#account-message"},
		{Name: "links", Op: "eval", JS: `document.querySelector("#account-links") ? document.querySelector("#account-links").textContent : ""`},
	})
	var linked, message, links string
	res.get(t, "linked", &linked)
	res.get(t, "message", &message)
	res.get(t, "links", &links)
	if !strings.Contains(linked, "Test IdP") {
		t.Errorf("after linking, the sign-in methods are %q; want Test IdP", linked)
	}
	if message != "The sign-in method was unlinked." || strings.Contains(links, "Test IdP") {
		t.Errorf("after unlinking: %q, methods %q", message, links)
	}
}
