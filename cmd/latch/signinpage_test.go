package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The built-in sign-in page, as a browser without JavaScript sees it:
// the cursor in the email, the address kept after a wrong password with
// the cursor in the password, and the real wait once locked out.
func TestSignInPageKeepsEmailAndSaysTheWait(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com"); code != 0 {
		t.Fatal(stderr)
	}
	base, _, _, _ := serveInProcess(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second} // follows redirects
	page := func(res *http.Response, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	first := page(c.Get(base + "/api/auth/signin"))
	if !regexp.MustCompile(`<input id="input-email-for-credentials-provider" type="email" name="email"[^>]* autocomplete="username" autofocus>`).MatchString(first) ||
		!strings.Contains(first, `name="password" autocomplete="current-password">`) {
		t.Fatalf("sign-in page: no autofocus on the email or no autocomplete hints:\n%s", first)
	}
	csrf := regexp.MustCompile(`name="csrfToken" value="([^"]+)"`).FindStringSubmatch(first)[1]
	post := func(pw string) string {
		return page(c.PostForm(base+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf}, "email": {"ann@example.com"}, "password": {pw}}))
	}
	got := post("not the password")
	if !strings.Contains(got, "Sign in failed.") ||
		!strings.Contains(got, `name="email" value="ann@example.com"`) ||
		!strings.Contains(got, `name="password" autocomplete="current-password" autofocus>`) {
		t.Fatalf("after a wrong password: want the address kept and the cursor in the password:\n%s", got)
	}
	for i := 0; !strings.Contains(got, "Too many attempts"); i++ {
		if i > 20 {
			t.Fatalf("never rate limited:\n%s", got)
		}
		got = post("not the password")
	}
	if !regexp.MustCompile(`Too many attempts\. Try again in (1[0-5]) minutes\.`).MatchString(got) {
		t.Errorf("rate limited page: want the wait in minutes:\n%s", got)
	}
	// An unknown code gets a page that says what to do.
	got = page(c.Get(base + "/api/auth/error?error=SomethingNew"))
	if !strings.Contains(got, "Something went wrong while signing in.") || !strings.Contains(got, `href="`+base+`/api/auth/signin">Try again</a>`) {
		t.Errorf("unknown error page:\n%s", got)
	}
}
