package pages

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const hostile = `"><script>alert(1)</script>`

// sampleSignIn has one provider of each type and an error.
func sampleSignIn() SignIn {
	return SignIn{
		Theme:       Theme{BrandColor: "#0a7", LogoURL: "https://example.com/logo.png", AppName: "Acme"},
		CSRFToken:   "csrf-123",
		CallbackURL: "https://example.com/dashboard?tab=1&x=2",
		Error:       "CredentialsSignin",
		Email:       "jane@example.com",
		Providers: []Provider{
			{
				ID: "github", Name: "GitHub", Type: "oauth",
				SigninURL:   "https://example.com/api/auth/signin/github",
				CallbackURL: "https://example.com/api/auth/callback/github",
			},
			{
				ID: "email", Name: "Email", Type: "email",
				SigninURL:   "https://example.com/api/auth/signin/email",
				CallbackURL: "https://example.com/api/auth/callback/email",
			},
			{
				ID: "credentials", Name: "Credentials", Type: "credentials",
				SigninURL:   "https://example.com/api/auth/signin/credentials",
				CallbackURL: "https://example.com/api/auth/callback/credentials",
				Fields: []Field{
					{Name: "username", Label: "Username", Placeholder: "jsmith"},
					{Name: "password", Type: "password"},
				},
			},
		},
	}
}

func renderString(t *testing.T, render func(*bytes.Buffer) error) string {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatalf("render: got error %v; want nil", err)
	}
	return buf.String()
}

func TestGolden(t *testing.T) {
	errPage := func(code string) func(*bytes.Buffer) error {
		return func(b *bytes.Buffer) error {
			return RenderError(b, Error{
				Code:      code,
				HomeURL:   "https://example.com",
				SignInURL: "https://example.com/api/auth/signin",
			})
		}
	}
	tests := []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"signin", func(b *bytes.Buffer) error { return RenderSignIn(b, sampleSignIn()) }},
		{"signout", func(b *bytes.Buffer) error {
			return RenderSignOut(b, SignOut{ActionURL: "https://example.com/api/auth/signout", CSRFToken: "csrf-123"})
		}},
		{"error-configuration", errPage("Configuration")},
		{"error-accessdenied", errPage("AccessDenied")},
		{"error-verification", errPage("Verification")},
		{"error-default", errPage("Default")},
		{"verify-request", func(b *bytes.Buffer) error {
			return RenderVerifyRequest(b, VerifyRequest{HomeURL: "https://example.com", Host: "example.com"})
		}},
		{"verify-request-code", func(b *bytes.Buffer) error { return RenderVerifyRequest(b, sampleCodeForm()) }},
		{"email-signin", func(b *bytes.Buffer) error { return RenderEmailSignIn(b, sampleEmailSignIn()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderString(t, tt.render)
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden: %v (run go test -update)", err)
			}
			if got != string(want) {
				t.Errorf("%s: got\n%s\nwant\n%s", tt.name, got, want)
			}
		})
	}
}

func TestSignInForms(t *testing.T) {
	got := renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, sampleSignIn()) })
	wants := []string{
		`<html lang="en">`,
		`<title>Sign In | Acme</title>`,
		`<h1>Sign in to Acme</h1>`,
		`<div class="error" role="alert"><p>Sign in failed. Check the details you provided are correct.</p></div>`,
		// oauth
		`<form action="https://example.com/api/auth/signin/github" method="POST">`,
		`<input type="hidden" name="csrfToken" value="csrf-123">`,
		`<input type="hidden" name="callbackUrl" value="https://example.com/dashboard?tab=1&amp;x=2">`,
		`Sign in with GitHub</button>`,
		// email
		`<form action="https://example.com/api/auth/signin/email" method="POST">`,
		`<label for="input-email-for-email-provider">Email for a sign-in link</label>`,
		`<input id="input-email-for-email-provider" type="email" name="email" value="jane@example.com"`,
		` required autofocus>`,
		`Sign in with Email</button>`,
		// credentials
		`<form action="https://example.com/api/auth/callback/credentials" method="POST">`,
		`<label for="input-username-for-credentials-provider">Username</label>`,
		`<input id="input-username-for-credentials-provider" type="text" name="username" placeholder="jsmith" autocomplete="username">`,
		`<label for="input-password-for-credentials-provider">password</label>`,
		`<input id="input-password-for-credentials-provider" type="password" name="password" autocomplete="current-password">`,
		`Sign in with Credentials</button>`,
	}
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("sign-in page: got no %q; want it present", want)
		}
	}
	for _, tt := range []struct {
		what string
		want int
	}{
		{`name="csrfToken"`, 3},
		{`name="callbackUrl"`, 2}, // oauth and credentials
		{`<p class="divider">or</p>`, 2},
		{`<section class="provider"`, 3},
		{`role="alert"`, 1},
	} {
		if n := strings.Count(got, tt.what); n != tt.want {
			t.Errorf("count of %q: got %d; want %d", tt.what, n, tt.want)
		}
	}
}

func TestSignInOptional(t *testing.T) {
	d := sampleSignIn()
	d.CallbackURL = ""
	d.Error = ""
	d.Providers = append(d.Providers, Provider{ID: "x", Name: "Unknown", Type: "webauthn"})
	got := renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, d) })
	for _, tt := range []struct {
		what string
		want int
	}{
		{`name="callbackUrl"`, 0},
		{`role="alert"`, 0},
		{`Sign in with Unknown`, 0},
		{`<p class="divider">or</p>`, 2},
	} {
		if n := strings.Count(got, tt.what); n != tt.want {
			t.Errorf("count of %q: got %d; want %d", tt.what, n, tt.want)
		}
	}
}

func TestEscaping(t *testing.T) {
	d := sampleSignIn()
	d.CallbackURL = hostile
	d.Email = hostile
	d.Error = hostile
	d.CSRFToken = hostile
	d.Theme.AppName = hostile
	for i := range d.Providers {
		d.Providers[i].Name = hostile
		d.Providers[i].ID = hostile
	}
	d.Providers[2].Fields[0].Label = hostile
	d.Providers[2].Fields[0].Placeholder = hostile
	tests := []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"signin", func(b *bytes.Buffer) error { return RenderSignIn(b, d) }},
		{"signout", func(b *bytes.Buffer) error {
			return RenderSignOut(b, SignOut{Theme: Theme{AppName: hostile}, ActionURL: hostile, CSRFToken: hostile})
		}},
		{"error", func(b *bytes.Buffer) error {
			return RenderError(b, Error{Code: hostile, HomeURL: hostile, SignInURL: hostile})
		}},
		{"error-accessdenied", func(b *bytes.Buffer) error {
			return RenderError(b, Error{Code: "accessdenied", HomeURL: hostile, SignInURL: hostile})
		}},
		{"verify-request", func(b *bytes.Buffer) error {
			return RenderVerifyRequest(b, VerifyRequest{HomeURL: hostile, Host: hostile})
		}},
		{"verify-request-code", func(b *bytes.Buffer) error {
			return RenderVerifyRequest(b, VerifyRequest{HomeURL: hostile, Host: hostile, Code: true, ActionURL: hostile, CSRFToken: hostile, Provider: hostile, Email: hostile, Error: hostile})
		}},
		{"email-signin", func(b *bytes.Buffer) error {
			return RenderEmailSignIn(b, EmailSignIn{Theme: Theme{AppName: hostile}, ActionURL: hostile, CSRFToken: hostile, Email: hostile})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderString(t, tt.render)
			for _, bad := range []string{hostile, "<script>", "</script>"} {
				if strings.Contains(got, bad) {
					t.Errorf("%s page: got unescaped %q; want it escaped", tt.name, bad)
				}
			}
		})
	}
}

func TestErrorCodeNotEchoed(t *testing.T) {
	const code = "SomeUnknownCode42"
	pages := map[string]func(*bytes.Buffer) error{
		"signin": func(b *bytes.Buffer) error { return RenderSignIn(b, SignIn{Error: code}) },
		"error":  func(b *bytes.Buffer) error { return RenderError(b, Error{Code: code}) },
	}
	for name, render := range pages {
		if got := renderString(t, render); strings.Contains(got, code) {
			t.Errorf("%s page: got the raw code %q in the page; want it absent", name, code)
		}
	}
}

func TestBrandColor(t *testing.T) {
	tests := []struct {
		in, brand, onBrand string
	}{
		{"", "#346df1", "#ffffff"},
		{"#346df1", "#346df1", "#ffffff"},
		{"  #ABC ", "#abc", "#111111"},
		{"#ffff00", "#ffff00", "#111111"},
		{"#000000", "#000000", "#ffffff"},
		{"rgb(250, 250, 0)", "rgb(250, 250, 0)", "#111111"},
		{"rgba(0,0,128,0.5)", "rgba(0,0,128,0.5)", "#ffffff"},
		{"rgb(100% 100% 100% / 50%)", "rgb(100% 100% 100% / 50%)", "#111111"},
		{"rebeccapurple", "rebeccapurple", "#ffffff"},
		{"red;}</style><script>", "#346df1", "#ffffff"},
		{"red;background:url(x)", "#346df1", "#ffffff"},
		{"#12345", "#346df1", "#ffffff"},
		{"#1234567", "#346df1", "#ffffff"},
		{"rgb(1,2)", "#346df1", "#ffffff"},
		{"rgb(1,2,3);x", "#346df1", "#ffffff"},
		{"expression(alert(1))", "#346df1", "#ffffff"},
		{"var(--x)", "#346df1", "#ffffff"},
	}
	for _, tt := range tests {
		got := renderString(t, func(b *bytes.Buffer) error {
			return RenderSignOut(b, SignOut{Theme: Theme{BrandColor: tt.in}})
		})
		want := "--brand:" + tt.brand + ";--on-brand:" + tt.onBrand + "}"
		if !strings.Contains(got, want) {
			t.Errorf("BrandColor %q: got no %q; want it present", tt.in, want)
		}
		if strings.Contains(got, "<script>") {
			t.Errorf("BrandColor %q: got <script> in page; want none", tt.in)
		}
	}
}

func TestLogoURL(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" means no logo
	}{
		{"", ""},
		{"https://cdn.example.com/logo.svg", `<img class="logo" src="https://cdn.example.com/logo.svg" alt="Latch">`},
		{"http://example.com/l.png?a=1&b=2", `<img class="logo" src="http://example.com/l.png?a=1&amp;b=2" alt="Latch">`},
		{"/static/logo.png", `<img class="logo" src="/static/logo.png" alt="Latch">`},
		{"javascript:alert(1)", ""},
		{"JavaScript:alert(1)", ""},
		{"data:image/svg+xml,<svg/onload=alert(1)>", ""},
		{"//evil.example/logo.png", ""},
		{"/\\evil.example/logo.png", ""},
		{"logo.png", ""},
		{"https:///nohost", ""},
	}
	for _, tt := range tests {
		got := renderString(t, func(b *bytes.Buffer) error {
			return RenderVerifyRequest(b, VerifyRequest{Theme: Theme{LogoURL: tt.in}})
		})
		if tt.want == "" {
			if strings.Contains(got, "<img") {
				t.Errorf("LogoURL %q: got an <img>; want none", tt.in)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("LogoURL %q: got no %q; want it present", tt.in, tt.want)
		}
	}
}

func TestSignOutPage(t *testing.T) {
	got := renderString(t, func(b *bytes.Buffer) error {
		return RenderSignOut(b, SignOut{ActionURL: "https://example.com/api/auth/signout", CSRFToken: "tok"})
	})
	for _, want := range []string{
		`<title>Sign Out | Latch</title>`,
		`<h1>Signout</h1>`,
		`Are you sure you want to sign out?`,
		`<form action="https://example.com/api/auth/signout" method="POST">`,
		`<input type="hidden" name="csrfToken" value="tok">`,
		`<button type="submit">Sign out</button>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("sign-out page: got no %q; want it present", want)
		}
	}
}

func TestErrorPage(t *testing.T) {
	const signin = `<a class="button" href="https://example.com/api/auth/signin">Sign in</a>`
	tests := []struct {
		code  string
		wants []string
	}{
		{"Configuration", []string{"<h1>Server error</h1>", "There is a problem with the server configuration.", "Check the server logs for more information."}},
		{"configuration", []string{"<h1>Server error</h1>"}},
		{"AccessDenied", []string{"<h1>Access Denied</h1>", "You do not have permission to sign in.", signin}},
		{"Verification", []string{"<h1>Unable to sign in</h1>", "The sign in link is no longer valid.", "It may have been used already or it may have expired.", signin}},
		{"", []string{"<h1>Unable to sign in</h1>", "Something went wrong while signing in.", "the server's log says what went wrong", `<a class="button" href="https://example.com/api/auth/signin">Try again</a>`, `<a class="site" href="https://example.com:8443">example.com:8443</a>`}},
		{"SomeUnknownCode42", []string{"<h1>Unable to sign in</h1>", "Something went wrong while signing in.", `<a class="button" href="https://example.com/api/auth/signin">Try again</a>`}},
		{"OAuthSignin", []string{"<h1>Unable to sign in</h1>", "The sign-in provider could not be reached. Try again later, or sign in another way.", `<a class="button" href="https://example.com/api/auth/signin">Try again</a>`, `<a class="site" href="https://example.com:8443">example.com:8443</a>`}},
	}
	for _, tt := range tests {
		got := renderString(t, func(b *bytes.Buffer) error {
			return RenderError(b, Error{Code: tt.code, HomeURL: "https://example.com:8443", SignInURL: "https://example.com/api/auth/signin"})
		})
		for _, want := range tt.wants {
			if !strings.Contains(got, want) {
				t.Errorf("error page %q: got no %q; want it present", tt.code, want)
			}
		}
	}
}

func TestVerifyRequestHostDefault(t *testing.T) {
	got := renderString(t, func(b *bytes.Buffer) error {
		return RenderVerifyRequest(b, VerifyRequest{HomeURL: "https://app.example.com"})
	})
	want := `<a class="site" href="https://app.example.com">app.example.com</a>`
	if !strings.Contains(got, want) {
		t.Errorf("verify-request page: got no %q; want it present", want)
	}
}

func TestErrorStatus(t *testing.T) {
	tests := []struct {
		code string
		want int
	}{
		{"Configuration", 500},
		{"configuration", 500},
		{"CONFIGURATION", 500},
		{"AccessDenied", 403},
		{"accessdenied", 403},
		{"Verification", 403},
		{"verification", 403},
		{"", 200},
		{"Default", 200},
		{"OAuthSignin", 200},
		{"access_denied", 200},
	}
	for _, tt := range tests {
		if got := ErrorStatus(tt.code); got != tt.want {
			t.Errorf("ErrorStatus(%q): got %d; want %d", tt.code, got, tt.want)
		}
	}
}

func TestSignInMessage(t *testing.T) {
	const different = "Try signing in with a different account."
	tests := []struct {
		code, want string
	}{
		{"", ""},
		{"Signin", different},
		{"OAuthSignin", "The sign-in provider could not be reached. Try again later, or sign in another way."},
		{"OAuthCallback", different},
		{"OAuthCreateAccount", different},
		{"EmailCreateAccount", different},
		{"Callback", different},
		{"OAuthAccountNotLinked", "To confirm your identity, sign in with the same account you used originally."},
		{"EmailSignin", "The e-mail could not be sent."},
		{"CredentialsSignin", "Sign in failed. Check the details you provided are correct."},
		{"SessionRequired", "Please sign in to access this page."},
		{"TooManyRequests", "Too many attempts. Please wait a moment and try again."},
		{"credentialssignin", "Unable to sign in."},
		{"default", "Unable to sign in."},
		{hostile, "Unable to sign in."},
	}
	for _, tt := range tests {
		if got := SignInMessage(tt.code); got != tt.want {
			t.Errorf("SignInMessage(%q): got %q; want %q", tt.code, got, tt.want)
		}
	}
}

func sampleCodeForm() VerifyRequest {
	return VerifyRequest{
		HomeURL: "https://example.com", Host: "example.com", Link: true, Code: true,
		ActionURL: "https://example.com/api/auth/verify-request", CSRFToken: "csrf-123", Provider: "email",
		Email: "jane@example.com", Error: "That code did not work.",
	}
}

func sampleEmailSignIn() EmailSignIn {
	return EmailSignIn{
		ActionURL: "https://example.com/api/auth/callback/email?callbackUrl=https%3A%2F%2Fexample.com%2F&token=abc&email=jane%40example.com",
		CSRFToken: "csrf-123", Email: "jane@example.com",
	}
}

func TestVerifyRequestModes(t *testing.T) {
	tests := []struct {
		link, code bool
		sent       string
		form       bool
	}{
		{false, false, "A sign in link has been sent to your email address.", false},
		{true, false, "A sign in link has been sent to your email address.", false},
		{true, true, "A sign in link and a code have been sent to your email address.", true},
		{false, true, "A sign in code has been sent to your email address.", true},
	}
	for _, tt := range tests {
		d := sampleCodeForm()
		d.Link, d.Code, d.Error = tt.link, tt.code, ""
		got := renderString(t, func(b *bytes.Buffer) error { return RenderVerifyRequest(b, d) })
		if !strings.Contains(got, "<p>"+tt.sent+"</p>") {
			t.Errorf("link %v, code %v: got no %q", tt.link, tt.code, tt.sent)
		}
		if hasForm := strings.Contains(got, "<form"); hasForm != tt.form {
			t.Errorf("link %v, code %v: form %v; want %v", tt.link, tt.code, hasForm, tt.form)
		}
		if strings.Contains(got, "role=\"alert\"") || strings.Contains(got, "aria-invalid") {
			t.Errorf("link %v, code %v: an error shown without one", tt.link, tt.code)
		}
	}
}

func TestVerifyRequestCodeForm(t *testing.T) {
	got := renderString(t, func(b *bytes.Buffer) error { return RenderVerifyRequest(b, sampleCodeForm()) })
	for _, want := range []string{
		`<div class="error" role="alert" id="code-error"><p>That code did not work.</p></div>`,
		`<form action="https://example.com/api/auth/verify-request" method="POST">`,
		`<input type="hidden" name="csrfToken" value="csrf-123">`,
		`<input type="hidden" name="provider" value="email">`,
		`<label for="input-email-for-code">Email</label>`,
		`<input id="input-email-for-code" type="email" name="email" value="jane@example.com"`,
		`<label for="input-code">Code</label>`,
		`name="code" autocomplete="one-time-code"`,
		`aria-describedby="code-hint code-error" aria-invalid="true">`,
		`<button type="submit">Sign in</button>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("code form: got no %q", want)
		}
	}
	if strings.Contains(got, "<script") {
		t.Errorf("code form: has a script; want none")
	}
}

func TestEmailSignInPage(t *testing.T) {
	got := renderString(t, func(b *bytes.Buffer) error { return RenderEmailSignIn(b, sampleEmailSignIn()) })
	for _, want := range []string{
		`<meta name="robots" content="noindex">`,
		`<title>Sign In | Latch</title>`,
		`<h1>Sign in to Latch</h1>`,
		`<p>You are signing in as <strong>jane@example.com</strong>.</p>`,
		`<form action="https://example.com/api/auth/callback/email?callbackUrl=https%3A%2F%2Fexample.com%2F&amp;token=abc&amp;email=jane%40example.com" method="POST">`,
		`<input type="hidden" name="csrfToken" value="csrf-123">`,
		`<button type="submit">Sign in</button>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("email sign-in page: got no %q", want)
		}
	}
	for _, bad := range []string{"<script", "onload", "http-equiv"} {
		if strings.Contains(got, bad) {
			t.Errorf("email sign-in page: has %q; want no way to submit it without a click", bad)
		}
	}
	// Only this page is kept out of search engines.
	other := renderString(t, func(b *bytes.Buffer) error { return RenderSignOut(b, SignOut{}) })
	if strings.Contains(other, "robots") {
		t.Errorf("sign-out page: has a robots meta tag; want none")
	}
}
