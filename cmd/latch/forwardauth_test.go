package main

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

// TestForwardAuthConfigErrors: bad forwardAuth and cookies settings are
// errors naming the key and line.
func TestForwardAuthConfigErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"no sites", "forwardAuth: {sites: []}\n", "forwardAuth.sites: list the sites"},
		{"relative URL", "forwardAuth:\n  sites:\n    - url: app.example.com\n", "latch.yaml:3:12: forwardAuth.sites[0].url"},
		{"path", "forwardAuth:\n  sites:\n    - url: https://app.example.com/app\n", "forwardAuth.sites[0].url"},
		{"userinfo", "forwardAuth:\n  sites:\n    - url: https://u@app.example.com\n", "forwardAuth.sites[0].url"},
		{"twice", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n    - url: https://APP.example.com:443/\n", "listed twice"},
		{"public", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      public: [assets]\n", "forwardAuth.sites[0].public[0]"},
		{"empty allow", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      allow: {}\n", "list emails or emailDomains"},
		{"bad email", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      allow: {emails: [ann]}\n", "allow.emails[0]"},
		{"cookie domain", "cookies: {domain: localhost}\n", "cookies.domain"},
		{"path prefix", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      paths:\n        - prefix: admin/\n", "forwardAuth.sites[0].paths[0].prefix"},
		{"path twice", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      paths:\n        - prefix: /a/\n        - prefix: /a/\n", "listed twice"},
		{"path allow", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      paths:\n        - prefix: /a/\n          allow: {emailDomains: ['@']}\n", "forwardAuth.sites[0].paths[0].allow.emailDomains[0]"},
		{"assertionTTL", "forwardAuth:\n  assertionTTL: soon\n  sites:\n    - url: https://app.example.com\n", "forwardAuth.assertionTTL"},
		{"unknown key", "forwardAuth:\n  sites:\n    - url: https://app.example.com\n      allowed: {}\n", "allowed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tc.yaml), 0o600)
			code, _, stderr := run(t, dir, "", "migrate")
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, %q; want an error containing %q", code, stderr, tc.want)
			}
		})
	}
}

// TestForwardAuthNeedsTrustedProxies: without trustedProxies latch serve
// says at start that every check will be refused, refuses them with 403
// and logs what to configure; the endpoints answer only GET.
func TestForwardAuthNeedsTrustedProxies(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("url: http://auth.example.com/api/auth\nmetrics: true\nforwardAuth:\n  sites:\n    - url: http://app.example.com\n"), 0o600)
	t.Chdir(dir)
	_, c, logs, _ := serveInProcess(t)
	addr := ""
	waitFor(t, func() bool {
		for f := range strings.FieldsSeq(logs.String()) {
			if a, ok := strings.CutPrefix(f, "addr="); ok {
				addr = a
				return true
			}
		}
		return false
	})
	if !strings.Contains(logs.String(), "no trustedProxies, so every check is refused") {
		t.Errorf("startup log %q; want a warning about trustedProxies", logs.String())
	}
	for _, path := range []string{"/api/auth/auth-request", "/api/auth/forward-auth"} {
		req, _ := http.NewRequest("GET", "http://"+addr+path, nil)
		req.Header.Set("X-Original-URL", "http://app.example.com/")
		req.Header.Set("X-Forwarded-Proto", "http")
		req.Header.Set("X-Forwarded-Host", "app.example.com")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: %d %v; want 403, no-store", path, res.StatusCode, res.Header)
		}
		res, err = c.Post("http://"+addr+path, "text/plain", nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s: %d; want 400 (not an action)", path, res.StatusCode)
		}
	}
	m := scrape(t, "http://"+addr+"/metrics", "")
	for _, action := range []string{"auth-request", "forward-auth"} {
		if want := `latch_requests_total{action="` + action + `",code="403",method="GET"} 1`; !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	waitFor(t, func() bool {
		return strings.Contains(logs.String(), "list the address of your proxy (nginx, Traefik, Caddy) in trustedProxies") &&
			strings.Contains(logs.String(), "peer=127.0.0.1")
	})
}

// TestSiteRule: a site's allow and path rules, by email and email domain,
// case-insensitively.
func TestSiteRule(t *testing.T) {
	rule := siteRule(siteConfig{
		Allow: &allowConfig{Emails: []string{"Bo@Other.example"}, EmailDomains: []string{"example.com"}},
		Paths: []pathConfig{{Prefix: "/admin/", Allow: &allowConfig{Emails: []string{"ann@example.com"}}}, {Prefix: "/open/"}},
	})
	tests := []struct {
		email, path string
		want        bool
	}{
		{"ann@example.com", "/", true},
		{"ANN@EXAMPLE.COM", "/admin/x", true},
		{"cy@example.com", "/", true},
		{"cy@example.com", "/admin/x", false},
		{"cy@sub.example.com", "/", false},
		{"bo@other.example", "/", true},
		{"eve@evil.example", "/", false},
		{"eve@evil.example", "/open/x", true},
		{"eve@evil.example@example.com", "/", false},
		{"", "/", false},
		{"ann@example.com", "/x/../admin/", false},
	}
	for _, tt := range tests {
		s := &latch.Session{}
		s.User.Email = tt.email
		if got := rule(s, tt.path); got != tt.want {
			t.Errorf("%q on %s: %v; want %v", tt.email, tt.path, got, tt.want)
		}
	}
	if siteRule(siteConfig{}) != nil {
		t.Error("a site without rules has a rule")
	}
}

// TestCookieMisses: latch serve warns when the session cookie cannot
// reach a protected site.
func TestCookieMisses(t *testing.T) {
	tests := []struct {
		url, domain, site string
		miss              bool
	}{
		{"https://auth.example.com/api/auth", "", "https://auth.example.com", false},
		{"https://auth.example.com/api/auth", "", "https://app.example.com", true},
		{"https://auth.example.com/api/auth", "example.com", "https://app.example.com", false},
		{"https://auth.example.com/api/auth", ".example.com", "https://a.b.example.com:8443", false},
		{"https://auth.example.com/api/auth", "example.com", "https://app.example.org", true},
		{"https://auth.example.org/api/auth", "example.com", "https://app.example.com", true},
		{"https://auth.example.com/api/auth", "example.com", "https://notexample.com", true},
		{"", "", "https://app.example.com", false},
	}
	for _, tt := range tests {
		c := &config{}
		c.URL, c.Cookies.Domain = tt.url, tt.domain
		if got := c.cookieMisses(tt.site) != ""; got != tt.miss {
			t.Errorf("url %s, domain %q, site %s: miss %v; want %v", tt.url, tt.domain, tt.site, got, tt.miss)
		}
	}
}
