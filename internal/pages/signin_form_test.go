package pages

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// passwordForm is the page of the built-in user database alone.
func passwordForm() SignIn {
	return SignIn{CSRFToken: "c", Providers: []Provider{{ID: "credentials", Name: "Password", Type: "credentials",
		CallbackURL: "https://example.com/api/auth/callback/credentials",
		Fields:      []Field{{Name: "email", Label: "Email", Type: "email"}, {Name: "password", Label: "Password", Type: "password"}}}}}
}

// The cursor starts in the email; after a wrong password the address is
// kept and the cursor is in the password. Password managers get their
// autocomplete hints.
func TestSignInAutofocusAndKeptEmail(t *testing.T) {
	d := passwordForm()
	got := renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, d) })
	for _, want := range []string{
		`<input id="input-email-for-credentials-provider" type="email" name="email" autocomplete="username" autofocus>`,
		`<input id="input-password-for-credentials-provider" type="password" name="password" autocomplete="current-password">`,
		`<label for="input-email-for-credentials-provider">Email</label>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("fresh page: no %q in\n%s", want, got)
		}
	}
	d.Error, d.Email = "CredentialsSignin", "ann@example.com"
	got = renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, d) })
	for _, want := range []string{
		`<input id="input-email-for-credentials-provider" type="email" name="email" value="ann@example.com" autocomplete="username">`,
		`<input id="input-password-for-credentials-provider" type="password" name="password" autocomplete="current-password" autofocus>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("after a wrong password: no %q in\n%s", want, got)
		}
	}
	if n := strings.Count(got, "autofocus"); n != 1 {
		t.Errorf("%d autofocus attributes; want 1", n)
	}
	// With passkeys, the address field offers them too.
	d.Passkey = &Passkey{}
	if got := renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, d) }); !strings.Contains(got, `autocomplete="username webauthn"`) {
		t.Errorf("with passkeys: no passkey autofill hint")
	}
}

// A rate limit says how long to wait.
func TestSignInRateLimitWait(t *testing.T) {
	for _, tt := range []struct {
		wait time.Duration
		want string
	}{
		{0, "Too many attempts. Please wait a moment and try again."},
		{1 * time.Second, "Too many attempts. Try again in 1 second."},
		{42 * time.Second, "Too many attempts. Try again in 42 seconds."},
		{14*time.Minute + 10*time.Second, "Too many attempts. Try again in 15 minutes."},
		{60 * time.Second, "Too many attempts. Try again in 1 minute."},
		{3 * time.Hour, "Too many attempts. Try again in 3 hours."},
	} {
		d := passwordForm()
		d.Error, d.RetryAfter = "TooManyRequests", tt.wait
		if got := renderString(t, func(b *bytes.Buffer) error { return RenderSignIn(b, d) }); !strings.Contains(got, tt.want) {
			t.Errorf("wait %v: no %q in the page", tt.wait, tt.want)
		}
	}
}
