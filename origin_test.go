package latch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/store/sqlite"
)

// originRequest sends a GET to the handler as a client at remoteAddr with
// the given Host and headers, and returns the credentials provider's
// signinUrl (which starts with the origin the request was answered on) and
// the response.
func originRequest(t *testing.T, a *latch.Auth, action, remoteAddr, host string, hdr map[string]string) (string, *httptest.ResponseRecorder) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/api/auth/"+action, nil)
	req.RemoteAddr = remoteAddr
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	var out map[string]struct{ SigninURL string }
	json.Unmarshal(w.Body.Bytes(), &out)
	return out["credentials"].SigninURL, w
}

const (
	proxyAddr  = "10.0.0.7:51000"  // the trusted proxy
	clientAddr = "192.0.2.1:40000" // anybody else
)

func TestForwardedHeadersOnlyFromTrustedProxies(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) {
		c.URL = "/api/auth"
		c.AllowedHosts = []string{"example.org", "example.org:8080", "app.local:3000"}
		c.TrustForwardedHeaders = true
		c.TrustedProxies = []string{"10.0.0.0/24"}
	})
	tests := []struct {
		name, remote, host string
		hdr                map[string]string
		want               string
		secure             bool
	}{
		{"proxy https", proxyAddr, "internal:8080", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.org"}, "https://example.org", true},
		// A proxy appends: the last value is the proxy's, earlier ones the client's.
		{"proxy list", proxyAddr, "internal:8080", map[string]string{"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "evil.example, example.org"}, "https://example.org", true},
		{"proxy http with port", proxyAddr, "internal:8080", map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Host": "example.org:8080"}, "http://example.org:8080", false},
		{"proxy default port", proxyAddr, "internal:8080", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "EXAMPLE.org:443"}, "https://example.org", true},
		{"host header only", proxyAddr, "app.local:3000", nil, "http://app.local:3000", false},
		{"proxy names a host not allowed", proxyAddr, "internal:8080", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "attacker.example"}, "https://example.org", true},
		{"client Host not allowed", clientAddr, "attacker.example", nil, "http://example.org", false},
		{"client sends forwarded headers", clientAddr, "app.local:3000", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.org"}, "http://app.local:3000", false},
		{"client sends forwarded host not allowed", clientAddr, "attacker.example", map[string]string{"X-Forwarded-Host": "attacker.example"}, "http://example.org", false},
		{"user info in host", proxyAddr, "internal", map[string]string{"X-Forwarded-Host": "example.org@attacker.example"}, "http://example.org", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := originRequest(t, h.auth, "providers", tt.remote, tt.host, tt.hdr)
			if want := tt.want + "/api/auth/signin/credentials"; got != want {
				t.Errorf("signinUrl: got %q; want %q", got, want)
			}
			_, w := originRequest(t, h.auth, "csrf", tt.remote, tt.host, tt.hdr)
			cookies := strings.Join(w.Header().Values("Set-Cookie"), "\n")
			if secure := strings.Contains(cookies, "__Host-next-auth.csrf-token=") && strings.Contains(cookies, "; Secure"); secure != tt.secure {
				t.Errorf("secure cookies: got %v (%q); want %v", secure, cookies, tt.secure)
			}
		})
	}
}

func TestForwardedHeadersIgnoredWithoutTrust(t *testing.T) {
	for _, tt := range []struct {
		name string
		opts func(*latch.Config)
	}{
		{"URL only", func(c *latch.Config) {}},
		{"URL and allowed hosts, forwarded headers not trusted", func(c *latch.Config) {
			c.AllowedHosts = []string{"www.example.org"}
			c.TrustedProxies = []string{"10.0.0.0/24"}
		}},
		{"trusted proxies but a URL", func(c *latch.Config) {
			c.TrustForwardedHeaders = true
			c.TrustedProxies = []string{"10.0.0.0/24"}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.opts)
			for _, remote := range []string{proxyAddr, clientAddr} {
				got, _ := originRequest(t, h.auth, "providers", remote, "localhost:3000", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "www.example.org"})
				if want := httpBase + "/signin/credentials"; got != want {
					t.Errorf("from %s: signinUrl %q; want %q", remote, got, want)
				}
			}
		})
	}
}

func TestAllowedHostsWithURL(t *testing.T) {
	h := newHarness(t, func(c *latch.Config) {
		c.URL = "https://example.com/api/auth"
		c.AllowedHosts = []string{"www.example.com"}
	})
	for host, want := range map[string]string{
		"example.com":      "https://example.com",
		"www.example.com":  "https://www.example.com", // URL's scheme: TLS ends at a proxy
		"attacker.example": "https://example.com",
		"":                 "https://example.com",
	} {
		got, _ := originRequest(t, h.auth, "providers", clientAddr, host, nil)
		if got != want+"/api/auth/signin/credentials" {
			t.Errorf("Host %q: signinUrl %q; want it on %s", host, got, want)
		}
	}
}

func TestOriginConfigErrors(t *testing.T) {
	for _, tt := range []struct {
		cfg  latch.Config
		want string
	}{
		{latch.Config{URL: "/api/auth", TrustForwardedHeaders: true, TrustedProxies: []string{"10.0.0.1"}}, "AllowedHosts"},
		{latch.Config{URL: "/api/auth", AllowedHosts: []string{"example.com"}, TrustForwardedHeaders: true}, "TrustedProxies"},
		{latch.Config{URL: "https://example.com", AllowedHosts: []string{"https://www.example.com"}}, `allowed host "https://www.example.com"`},
		{latch.Config{URL: "https://example.com", AllowedHosts: []string{"a.example/x"}}, `allowed host "a.example/x"`},
		{latch.Config{URL: "https://example.com", TrustedProxies: []string{"ten"}}, "TrustedProxies"},
	} {
		tt.cfg.Secrets = []string{testSecret}
		_, err := latch.New(tt.cfg)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v): got %v; want an error about %s", tt.cfg, err, tt.want)
		}
	}
}

// captured is an email Sender that keeps the messages.
type captured struct {
	mu   sync.Mutex
	msgs []email.Message
}

func (c *captured) Send(_ context.Context, m email.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
	return nil
}

// A client that names another host (in Host or X-Forwarded-Host) must not
// get a sign-in link on that host mailed to a victim, nor a callbackUrl on
// it accepted.
func TestEmailLinkOnConfiguredOrigin(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sent := &captured{}
	p, err := email.New(email.Config{From: "no-reply@example.com", Sender: sent})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *latch.Config) {
		c.URL = "/api/auth"
		c.AllowedHosts = []string{"example.com"}
		c.TrustForwardedHeaders = true
		c.TrustedProxies = []string{"10.0.0.0/24"}
		c.Store = st
		c.Providers = []latch.Provider{p}
	})
	for _, tt := range []struct {
		name, remote string
		hdr          map[string]string
	}{
		{"Host from a client", clientAddr, nil},
		{"forwarded host from a client", clientAddr, map[string]string{"X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "https"}},
		{"forwarded host from the proxy", proxyAddr, map[string]string{"X-Forwarded-Host": "attacker.example", "X-Forwarded-Proto": "https"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			send := func(method, path, body, cookie string) *httptest.ResponseRecorder {
				req := httptest.NewRequest(method, "http://attacker.example/api/auth/"+path, strings.NewReader(body))
				req.RemoteAddr = tt.remote
				for k, v := range tt.hdr {
					req.Header.Set(k, v)
				}
				if body != "" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				req.Header.Set("Cookie", cookie)
				w := httptest.NewRecorder()
				h.auth.ServeHTTP(w, req)
				return w
			}
			w := send(http.MethodGet, "csrf", "", "")
			var tok struct{ CSRFToken string }
			json.Unmarshal(w.Body.Bytes(), &tok)
			var cookies []string
			for _, line := range w.Header().Values("Set-Cookie") {
				c, _ := http.ParseSetCookie(line)
				cookies = append(cookies, c.Name+"="+c.Value)
			}
			form := url.Values{"csrfToken": {tok.CSRFToken}, "email": {"victim@example.com"}, "callbackUrl": {"https://attacker.example/"}, "json": {"true"}}
			w = send(http.MethodPost, "signin/email", form.Encode(), strings.Join(cookies, "; "))
			if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "verify-request") {
				t.Fatalf("POST signin/email: %d %s; want the verify-request URL", w.Code, w.Body)
			}
			sent.mu.Lock()
			msg := sent.msgs[len(sent.msgs)-1]
			sent.mu.Unlock()
			if strings.Contains(msg.Text+msg.HTML+msg.Subject, "attacker.example") {
				t.Fatalf("the email names the client's host:\n%s", msg.Text)
			}
			if !strings.Contains(msg.Text, "://example.com/api/auth/callback/email?") {
				t.Fatalf("the email's link is not on the configured origin:\n%s", msg.Text)
			}
			link := regexp.MustCompile(`https?://\S+`).FindString(msg.Text)
			u, err := url.Parse(link)
			if err != nil {
				t.Fatalf("link %q: %v", link, err)
			}
			if cb := u.Query().Get("callbackUrl"); !strings.HasPrefix(cb, u.Scheme+"://example.com") {
				t.Errorf("the link's callbackUrl is %q; want the configured origin, not the client's", cb)
			}
		})
	}
}
