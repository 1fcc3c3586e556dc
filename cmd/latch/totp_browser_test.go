package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// TestBrowserTwoFactor turns on TOTP in headless Chromium on the hosted
// page (the test reads the secret from the page and computes the codes),
// then signs in through the built-in page with the password and a code,
// through next-auth/react (SecondFactorRequired, then the code), with a
// recovery code (used up after), and with wrong codes until the limit.
func TestBrowserTwoFactor(t *testing.T) {
	k := needBrowser(t)
	srv := newLatch(t, k.buildLatch(t), "twoFactor: {issuer: Example}\n")
	srv.start()
	base := srv.origin + "/api/auth"
	page := base + "/two-factor"
	state := filepath.Join(t.TempDir(), "state.json")
	// The built-in pages allow no scripts of their own (CSP): the session
	// and the sign-out go through pages.
	session := func(name string) []step {
		return []step{
			{Name: name + "Goto", Op: "goto", URL: "/api/auth/session"},
			{Name: name, Op: "eval", JS: `JSON.parse(document.body.innerText)`},
		}
	}
	signOut := func(name string) []step {
		return []step{
			{Name: name, Op: "goto", URL: "/api/auth/signout"},
			{Name: name + "Click", Op: "click", Selector: "form button", Wait: "url"},
		}
	}
	// passwordSteps signs in with the password on the built-in page, on the
	// way to callbackUrl; the second step follows.
	passwordSteps := func(prefix, callbackURL string) []step {
		return []step{
			{Name: prefix + "Page", Op: "goto", URL: "/api/auth/signin?callbackUrl=" + callbackURL},
			{Name: prefix + "Email", Op: "fill", Selector: `input[name=email]`, Value: browserUserEmail},
			{Name: prefix + "Password", Op: "fill", Selector: `input[name=password]`, Value: browserUserPassword},
			{Name: prefix + "Submit", Op: "click", Selector: `form[action$="/callback/credentials"] button`, Wait: "url"},
		}
	}

	// Run 1: sign in, start the enrolment, read the secret.
	steps := passwordSteps("signIn", page)
	steps = append(steps,
		step{Name: "onPage", Op: "waitURL", URL: page},
		step{Name: "off", Op: "text", Selector: "#totp-off"},
		step{Name: "start", Op: "click", Selector: "#totp-start button", Wait: "load"},
		step{Name: "secret", Op: "text", Selector: "#totp-secret"},
		step{Name: "uri", Op: "text", Selector: "#totp-uri"},
		step{Name: "qr", Op: "eval", JS: `(() => { const i = document.querySelector("#totp-qr"); return i.complete && i.naturalWidth > 0 && i.src.startsWith("data:image/png;base64,"); })()`},
	)
	res := k.browse(t, srv, "", "", state, steps)
	var secret, uri string
	var qr bool
	res.get(t, "secret", &secret)
	res.get(t, "uri", &uri)
	res.get(t, "qr", &qr)
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) || !strings.HasPrefix(uri, "otpauth://totp/Example:") || !strings.Contains(uri, "secret="+secret) {
		t.Fatalf("secret %q, URI %q: want a base32 secret and its otpauth URI", secret, uri)
	}
	if !qr {
		t.Errorf("the QR code is not a PNG image the browser shows")
	}

	// Run 2: confirm with a first code, read the recovery codes, sign in
	// with the password and the next code.
	now := time.Now()
	first, _ := totp.GenerateCode(secret, now)
	next, _ := totp.GenerateCode(secret, now.Add(30*time.Second)) // within the accepted skew
	steps = []step{
		{Name: "pending", Op: "goto", URL: page},
		{Name: "code", Op: "fill", Selector: "#totp-code", Value: first},
		{Name: "confirm", Op: "click", Selector: "#totp-confirm button", Wait: "load"},
		{Name: "on", Op: "text", Selector: "#totp-on"},
		{Name: "codes", Op: "eval", JS: `[...document.querySelectorAll("#recovery-codes code")].map((c) => c.textContent)`},
	}
	steps = append(steps, signOut("signOut1")...)
	steps = append(steps, passwordSteps("withCode", page)...)
	steps = append(steps,
		step{Name: "secondStep", Op: "waitURL", URL: "/api/auth/signin?error=SecondFactorRequired"},
		step{Name: "fillCode", Op: "fill", Selector: "#input-code", Value: next},
		step{Name: "verify", Op: "click", Selector: "#second-factor button", Wait: "url"},
		step{Name: "signedIn", Op: "waitURL", URL: page},
		step{Name: "codesLeft", Op: "text", Selector: "#codes-left"},
	)
	steps = append(steps, session("sessionCode")...)
	steps = append(steps, signOut("signOut2")...)
	res = k.browse(t, srv, "", state, state, steps)
	var codes []string
	res.get(t, "codes", &codes)
	if len(codes) != 10 {
		t.Fatalf("recovery codes on the page: %q; want 10", codes)
	}
	checkSession(t, "password and code", res.Results["sessionCode"])

	// Run 3: next-auth/react's signIn("credentials", {redirect: false})
	// gets SecondFactorRequired, then signs in with a recovery code in
	// "code"; the built-in page takes another; one is used up after; wrong
	// codes until the limit.
	signIn := func(extra string) string {
		return js(`window.nextAuth.signIn("credentials", {redirect: false, email: %s, password: %s`+extra+`})`, browserUserEmail, browserUserPassword)
	}
	steps = []step{
		{Name: "testPage", Op: "testPage"},
		{Name: "nextAuthNoCode", Op: "eval", JS: signIn("")},
		{Name: "nextAuthCode", Op: "eval", JS: signIn(js(`, code: %s`, codes[2]))},
		{Name: "nextAuthSession", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "nextAuthSignOut", Op: "eval", JS: `window.nextAuth.signOut({redirect: false})`},
	}
	steps = append(steps, passwordSteps("recovery", page)...)
	steps = append(steps,
		step{Name: "recoveryStep", Op: "waitURL", URL: "/api/auth/signin?error=SecondFactorRequired"},
		step{Name: "fillRecovery", Op: "fill", Selector: "#input-code", Value: codes[0]},
		step{Name: "verifyRecovery", Op: "click", Selector: "#second-factor button", Wait: "url"},
		step{Name: "recoverySignedIn", Op: "waitURL", URL: page},
		step{Name: "codesLeft", Op: "text", Selector: "#codes-left"},
	)
	steps = append(steps, signOut("signOut3")...)
	steps = append(steps, session("sessionSignedOut")...)
	steps = append(steps, passwordSteps("again", page)...)
	steps = append(steps,
		step{Name: "againStep", Op: "waitURL", URL: "/api/auth/signin?error=SecondFactorRequired"},
		step{Name: "fillUsed", Op: "fill", Selector: "#input-code", Value: codes[0]},
		step{Name: "verifyUsed", Op: "click", Selector: "#second-factor button", Wait: "url"},
		step{Name: "usedRefused", Op: "waitText", Selector: ".error p", Equals: "That code is wrong or was used already. Try again."},
	)
	// Four more wrong codes reach the limit of five; the sixth try is
	// refused whatever it is.
	for i := range 5 {
		code := "000000"
		want := "That code is wrong or was used already. Try again."
		if i == 4 {
			code, want = codes[1], "Too many attempts. Please wait a moment and try again."
		}
		n := string(rune('a' + i))
		steps = append(steps,
			step{Name: "fillWrong" + n, Op: "fill", Selector: "#input-code", Value: code},
			step{Name: "verifyWrong" + n, Op: "click", Selector: "#second-factor button", Wait: "load"},
			step{Name: "wrong" + n, Op: "waitText", Selector: ".error p", Equals: want},
		)
	}
	steps = append(steps, session("sessionRefused")...)
	res = k.browse(t, srv, k.bundle(t, base), state, "", steps)
	var noCode, withCode signInResponse
	res.get(t, "nextAuthNoCode", &noCode)
	res.get(t, "nextAuthCode", &withCode)
	if noCode.Error == nil || *noCode.Error != "SecondFactorRequired" || noCode.OK || noCode.Status != 401 {
		t.Errorf("next-auth/react signIn without a code = %v; want {error: SecondFactorRequired, status: 401, ok: false}", noCode)
	}
	if withCode.Error != nil || !withCode.OK {
		t.Errorf("next-auth/react signIn with a recovery code = %v; want ok", withCode)
	}
	checkSession(t, "next-auth/react with a recovery code", res.Results["nextAuthSession"])
	var left string
	res.get(t, "codesLeft", &left)
	if left != "8" {
		t.Errorf("recovery codes left after using two = %q; want 8", left)
	}
	for _, name := range []string{"sessionSignedOut", "sessionRefused"} {
		if got := string(res.Results[name]); got != "{}" {
			t.Errorf("%s: session = %s; want {}", name, got)
		}
	}
}
