package main

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestBrowserPasskey registers a passkey in headless Chromium with a
// virtual authenticator (Chrome DevTools Protocol: ctap2, internal
// transport, resident keys, user verification) on the hosted passkeys
// page, then signs in with it through the built-in sign-in page, through
// next-auth/react's signIn("passkey") and through client.js; replays a
// captured assertion, removes the passkey and sees sign-in refused.
// The button of the built-in page runs the same code as the hosted page;
// on the built-in page the autofill request answers first.
func TestBrowserPasskey(t *testing.T) {
	k := needBrowser(t)
	// Browsers refuse IP addresses as relying party IDs: the site is
	// http://localhost:PORT, which Chromium is told is 127.0.0.1.
	k.extraArgs = []string{"--host-resolver-rules=MAP localhost 127.0.0.1"}
	begun := time.Now()
	srv := newLatch(t, k.buildLatch(t), "passkeys: {}\n")
	srv.setOrigin("http://localhost:" + strconv.Itoa(srv.port))
	srv.start()
	base := srv.origin + "/api/auth"
	bundle := k.bundle(t, base)
	passkeysPage := base + "/passkeys"
	session := `fetch("/api/auth/session").then((r) => r.json())`
	signOut := func(name string) step {
		return step{Name: name, Op: "eval", JS: `fetch("/api/auth/csrf").then((r) => r.json()).then(({csrfToken}) =>
			fetch("/api/auth/signout", {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
				body: new URLSearchParams({csrfToken, json: "true"})})).then((r) => r.status)`}
	}

	res := k.browse(t, srv, bundle, "", "", []step{
		// The demo links to the passkeys page (and not to the second
		// factor's, which is off).
		{Name: "demo", Op: "goto", URL: "/"},
		{Name: "demoLinks", Op: "eval", JS: `[!document.getElementById("passkeys").hidden, !document.getElementById("two-factor").hidden]`},
		{Name: "authenticator", Op: "webauthn"},
		{Name: "record", Op: "record", URL: "/api/auth/callback/passkey"},
		// Sign in with the password, on the way to the passkeys page.
		{Name: "signinPage", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + passkeysPage},
		{Name: "email", Op: "fill", Selector: `input[name=email]`, Value: browserUserEmail},
		{Name: "password", Op: "fill", Selector: `input[name=password]`, Value: browserUserPassword},
		{Name: "submit", Op: "click", Selector: `form[action$="/callback/credentials"] button`, Wait: "url"},
		{Name: "onPasskeysPage", Op: "waitURL", URL: passkeysPage},
		{Name: "none", Op: "text", Selector: "#passkey-none"},
		// Add a passkey.
		{Name: "name", Op: "fill", Selector: "#passkey-name", Value: "Virtual key"},
		{Name: "add", Op: "click", Selector: "#passkey-register button", Wait: "load"},
		{Name: "listed", Op: "waitText", Selector: ".passkey-name", Equals: "Virtual key"},
		{Name: "credentials", Op: "webauthnCredentials"},
		signOut("signOut1"),
		{Name: "sessionSignedOut", Op: "eval", JS: session},
		// The built-in sign-in page: passkey autofill (conditional
		// mediation in the email field) signs in as soon as the virtual
		// authenticator, which needs no touch, answers.
		{Name: "signinPage2", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + passkeysPage},
		{Name: "backOnPasskeysPage", Op: "waitURL", URL: passkeysPage},
		{Name: "sessionBuiltin", Op: "eval", JS: session},
		{Name: "replayBuiltin", Op: "replay"},
		signOut("signOut2"),
		// next-auth/react v4: signIn("passkey") goes to Latch's hosted page,
		// which runs the ceremony and returns to the callbackUrl.
		{Name: "testPage", Op: "testPage"},
		{Name: "nextAuthSignIn", Op: "evalNavigate", JS: js(`window.nextAuth.signIn("passkey", {callbackUrl: %s})`, passkeysPage)},
		{Name: "afterNextAuth", Op: "waitURL", URL: passkeysPage},
		{Name: "sessionNextAuth", Op: "eval", JS: session},
		signOut("signOut3"),
		// client.js runs the ceremony in the page.
		{Name: "testPage2", Op: "testPage"},
		{Name: "clientJSSignIn", Op: "evalNavigate", JS: js(`import("/api/auth/client.js").then((m) => m.useSession().signIn("passkey", {callbackUrl: %s}))`, passkeysPage)},
		{Name: "afterClientJS", Op: "waitURL", URL: passkeysPage},
		{Name: "sessionClientJS", Op: "eval", JS: session},
		// Remove it on the page, add one again with client.js, sign in
		// with it (redirect: false).
		{Name: "remove1", Op: "click", Selector: "button.remove", Wait: "load"},
		{Name: "removed1", Op: "text", Selector: "#passkey-none"},
		{Name: "testPage3", Op: "testPage"},
		{Name: "clientJSRegister", Op: "eval", JS: `import("/api/auth/client.js").then((m) => m.useSession().registerPasskey({name: "From client.js"}))`},
		signOut("signOut4"),
		{Name: "clientJSRegisterSignedOut", Op: "eval", JS: `import("/api/auth/client.js").then((m) => m.useSession().registerPasskey({name: "x"})).then((r) => r, (e) => e.name)`},
		{Name: "clientJSSignIn2", Op: "eval", JS: `import("/api/auth/client.js").then((m) => m.useSession().signIn("passkey", {redirect: false}))`},
		{Name: "sessionClientJS2", Op: "eval", JS: session},
		{Name: "passkeysPage2", Op: "goto", URL: passkeysPage},
		{Name: "listed2", Op: "waitText", Selector: ".passkey-name", Equals: "From client.js"},
		// Remove it: signing in with it is refused.
		{Name: "remove", Op: "click", Selector: "button.remove", Wait: "load"},
		{Name: "removed", Op: "text", Selector: "#passkey-none"},
		signOut("signOut5"),
		{Name: "signinPage3", Op: "goto", URL: "/api/auth/signin/passkey?callbackUrl=" + passkeysPage},
		{Name: "refusedPage", Op: "waitURL", URL: "/api/auth/signin?error=WebAuthnVerificationError"},
		{Name: "refusedURL", Op: "url"},
		{Name: "refusedMessage", Op: "text", Selector: ".error p"},
		{Name: "sessionRefused", Op: "eval", JS: session},
	})
	t.Logf("passkey browser test: %v in all", time.Since(begun).Round(time.Millisecond))

	if got := string(res.Results["demoLinks"]); got != "[true,false]" {
		t.Errorf("demo links shown (passkeys, two-factor) = %s; want [true,false]", got)
	}
	var creds []struct {
		IsResidentCredential bool   `json:"isResidentCredential"`
		RPID                 string `json:"rpId"`
	}
	res.get(t, "credentials", &creds)
	if len(creds) != 1 || !creds[0].IsResidentCredential || creds[0].RPID != "localhost" {
		t.Errorf("virtual authenticator credentials = %+v; want one resident credential for localhost", creds)
	}
	var reg, signIn2 signInResponse
	res.get(t, "clientJSRegister", &reg)
	res.get(t, "clientJSSignIn2", &signIn2)
	if !reg.OK || reg.Error != nil {
		t.Errorf("client.js registerPasskey() = %s; want ok", res.Results["clientJSRegister"])
	}
	if got := string(res.Results["clientJSRegisterSignedOut"]); got != `"SessionRequired"` {
		t.Errorf("client.js registerPasskey() signed out = %s; want a SessionRequired error", got)
	}
	if !signIn2.OK || signIn2.Error != nil || signIn2.Status != 200 {
		t.Errorf("client.js signIn(\"passkey\", {redirect: false}) = %v; want ok", signIn2)
	}
	for _, name := range []string{"sessionBuiltin", "sessionNextAuth", "sessionClientJS", "sessionClientJS2"} {
		checkSession(t, name, res.Results[name])
	}
	for _, name := range []string{"sessionSignedOut", "sessionRefused"} {
		if got := string(res.Results[name]); got != "{}" {
			t.Errorf("%s: session = %s; want {}", name, got)
		}
	}
	var replay struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
	}
	res.get(t, "replayBuiltin", &replay)
	var replayURL struct {
		URL string `json:"url"`
	}
	json.Unmarshal([]byte(replay.Body), &replayURL)
	if replay.Status != 401 || !strings.Contains(replayURL.URL, "error=WebAuthnVerificationError") {
		t.Errorf("replayed assertion: %d %s; want 401 and the WebAuthnVerificationError URL", replay.Status, replay.Body)
	}
	var refusedURL, refusedMessage string
	res.get(t, "refusedURL", &refusedURL)
	res.get(t, "refusedMessage", &refusedMessage)
	if !strings.Contains(refusedURL, "/api/auth/signin?error=WebAuthnVerificationError") || !strings.Contains(refusedMessage, "passkey failed") {
		t.Errorf("sign-in with a removed passkey ended at %s saying %q; want the sign-in page with the passkey error", refusedURL, refusedMessage)
	}
	if log := srv.stderr.String(); !strings.Contains(log, "replay") {
		t.Errorf("the server log does not say the replay was refused as one:\n%s", log)
	}
}

// TestBrowserNuxtAuthPasskey: @sidebase/nuxt-auth (authjs provider,
// unchanged) signs in with a passkey: its signIn("passkey") goes to
// Latch's hosted page, which runs the ceremony with Chromium's virtual
// authenticator and returns to the app, signed in.
func TestBrowserNuxtAuthPasskey(t *testing.T) {
	k := needBrowser(t)
	k.extraArgs = []string{"--host-resolver-rules=MAP localhost 127.0.0.1"}
	k.staticDir = nuxtApp(t, k, "")
	srv := newLatch(t, k.buildLatch(t), "passkeys: {}\n")
	srv.setOrigin("http://localhost:" + strconv.Itoa(srv.port))
	srv.start()
	passkeysPage := srv.origin + "/api/auth/passkeys"
	ready := `new Promise(r => { const w = () => window.nuxtAuth ? r(true) : setTimeout(w, 20); w() })`
	res := k.browse(t, srv, "", "", "", []step{
		{Name: "authenticator", Op: "webauthn"},
		{Name: "home", Op: "goto", URL: "/"},
		{Name: "ready", Op: "eval", JS: ready},
		{Name: "password", Op: "eval", JS: js(`nuxtAuth.signIn("credentials", {email: %s, password: %s, redirect: false})`, browserUserEmail, browserUserPassword)},
		{Name: "passkeysPage", Op: "goto", URL: passkeysPage},
		{Name: "add", Op: "click", Selector: "#passkey-register button", Wait: "load"},
		{Name: "listed", Op: "waitText", Selector: ".passkey-name", Equals: "Passkey"},
		{Name: "home2", Op: "goto", URL: "/"},
		{Name: "ready2", Op: "eval", JS: ready},
		{Name: "signOut", Op: "eval", JS: `nuxtAuth.signOut({redirect: false}).then(() => true)`},
		{Name: "signedOut", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "signIn", Op: "evalNavigate", JS: js(`nuxtAuth.signIn("passkey", {callbackUrl: %s})`, srv.origin+"/")},
		{Name: "back", Op: "waitURL", URL: "/"},
		{Name: "ready3", Op: "eval", JS: ready},
		{Name: "signedIn", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "session", Op: "eval", JS: `nuxtAuth.getSession()`},
	})
	checkSession(t, "nuxt-auth passkey sign-in", res.Results["session"])
	var via struct{ URL string }
	res.get(t, "signIn", &via)
	if !strings.Contains(via.URL, "/api/auth/signin/passkey") && !strings.HasPrefix(via.URL, srv.origin+"/") {
		t.Errorf("nuxt-auth signIn(\"passkey\") went to %s", via.URL)
	}
}
