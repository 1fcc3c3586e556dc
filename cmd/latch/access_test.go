package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestAccessRules: with access rules, an email sign-in outside them gets
// AccessDenied before any link is sent, a password user outside them is
// refused with the right password, and those inside sign in.
func TestAccessRules(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("email: {from: Latch <no-reply@example.com>}\naccess: {domains: [example.com]}\n"), 0o600)
	for _, email := range []string{"ann@example.com", "bob@other.example"} {
		if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", email); code != 0 {
			t.Fatal(stderr)
		}
	}
	base, c, log, _ := serveInProcess(t)
	post := func(path string, form url.Values) string {
		t.Helper()
		res, err := c.Get(base + "/api/auth/csrf")
		if err != nil {
			t.Fatal(err)
		}
		var csrf struct{ CsrfToken string }
		json.NewDecoder(res.Body).Decode(&csrf)
		res.Body.Close()
		form.Set("csrfToken", csrf.CsrfToken)
		form.Set("json", "true")
		res, err = c.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out struct{ URL string }
		json.NewDecoder(res.Body).Decode(&out)
		return out.URL
	}

	if u := post("/api/auth/signin/email", url.Values{"email": {"eve@evil.example"}}); !strings.Contains(u, "error=AccessDenied") {
		t.Errorf("email sign-in outside the rules: %q; want AccessDenied", u)
	}
	if strings.Contains(log.String(), "eve@evil.example") {
		t.Errorf("a sign-in email went to an address the rules refuse:\n%s", log)
	}
	if u := post("/api/auth/signin/email", url.Values{"email": {"new@example.com"}}); !strings.Contains(u, "verify-request") {
		t.Errorf("email sign-in inside the rules: %q; want the verify-request page", u)
	}
	if u := post("/api/auth/callback/credentials", url.Values{"email": {"bob@other.example"}, "password": {"correct horse battery"}}); !strings.Contains(u, "error=AccessDenied") {
		t.Errorf("password user outside the rules: %q; want AccessDenied", u)
	}
	for _, ck := range c.Jar.Cookies(mustURL(t, base)) {
		if strings.Contains(ck.Name, "session-token") {
			t.Fatalf("a refused sign-in got a session cookie")
		}
	}
	if u := post("/api/auth/callback/credentials", url.Values{"email": {"ann@example.com"}, "password": {"correct horse battery"}}); strings.Contains(u, "error") {
		t.Errorf("password user inside the rules: %q; want signed in", u)
	}
	res, err := c.Get(base + "/api/auth/session")
	if err != nil {
		t.Fatal(err)
	}
	var s struct{ User struct{ Email string } }
	json.NewDecoder(res.Body).Decode(&s)
	if res.StatusCode != http.StatusOK || s.User.Email != "ann@example.com" {
		t.Errorf("session after the allowed sign-in: %+v", s)
	}
}

func TestAccessConfigErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"access: {}\n", "access lets nobody in"},
		{"access: {domains: ['@example.com']}\n", "latch.yaml:1:9: access: domain"},
		{"access: {emails: [ann]}\n", "access: email"},
		{"access: {everyone: true}\n", "everyone"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tc.yaml), 0o600)
		if code, _, stderr := run(t, dir, "", "migrate"); code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want an error containing %q", tc.yaml, code, stderr, tc.want)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestUpstreamNeedsAccess: latch serve does not guard an app until the
// config says who may reach it.
func TestUpstreamNeedsAccess(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("upstream: {url: 'http://127.0.0.1:8080'}\n"), 0o600)
	if code, _, stderr := run(t, dir, "", "migrate"); code == 0 || !strings.Contains(stderr, "latch.yaml:1:11: upstream: say who may reach the app") {
		t.Errorf("upstream without access: exit %d, %q; want a config error", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("upstream: {url: 'http://127.0.0.1:8080'}\naccess: {anyone: true}\n"), 0o600)
	if code, _, stderr := run(t, dir, "", "migrate"); code != 0 {
		t.Errorf("upstream with access: {anyone: true}: exit %d, %q", code, stderr)
	}
}

// TestUpstreamPathRules: upstream.paths guards a part of the app more
// tightly than the rest: ann reaches the app but not /admin/, root both.
func TestUpstreamPathRules(t *testing.T) {
	app, _ := echoApp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("access: {knownUsers: true}\nupstream:\n  url: "+app.URL+"\n  paths:\n    - prefix: /admin/\n      allow: {emails: [root@example.com]}\n"), 0o600)
	for _, email := range []string{"ann@example.com", "root@example.com"} {
		if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", email); code != 0 {
			t.Fatal(stderr)
		}
	}
	base, ann, _, _ := serveInProcess(t)
	signInAnn(t, ann, base)
	root := &http.Client{Jar: newJar(t), Timeout: 10 * time.Second}
	res, err := root.Get(base + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	if res, err = root.PostForm(base+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {"root@example.com"}, "password": {"correct horse battery"}, "json": {"true"}}); err != nil || res.StatusCode != 200 {
		t.Fatalf("root's sign-in: %v %v", res, err)
	}
	for _, tc := range []struct {
		who  string
		c    *http.Client
		path string
		want int
	}{
		{"ann", ann, "/page", 200},
		{"ann", ann, "/admin/users", 403},
		{"ann", ann, "/admin/", 403},
		{"ann", ann, "/x/..%2fadmin/users", 403},
		{"root", root, "/admin/users", 200},
		{"root", root, "/page", 200},
	} {
		res, err := tc.c.Get(base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.want {
			t.Errorf("%s GET %s: %d; want %d", tc.who, tc.path, res.StatusCode, tc.want)
		}
	}
}

// TestDefaultAddr: latch serve listens on :3456 by default, not on 3000,
// which the Next.js and Nuxt dev servers (the frontends Latch serves)
// take.
func TestDefaultAddr(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := loadConfig(&env{getenv: func(string) string { return "" }}, "")
	if err != nil || c.Addr != ":3456" {
		t.Errorf("default addr = %q, %v; want :3456", c.Addr, err)
	}
}

// TestSignUpNeedsEmail: the sign-up page proves addresses by email.
func TestSignUpNeedsEmail(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("signUp: true\n"), 0o600)
	if code, _, stderr := run(t, dir, "", "migrate"); code == 0 || !strings.Contains(stderr, "latch.yaml:1:9: signUp needs email") {
		t.Errorf("signUp without email: exit %d, %q", code, stderr)
	}
}
