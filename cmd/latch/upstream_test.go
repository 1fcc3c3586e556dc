package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// seen is what the upstream app saw of a request.
type seen struct {
	Method, Path, Host, Body           string
	Cookie, Authorization              string
	User, Email, Name                  string
	ForwardedFor, ForwardedHost, Proto string
	// Other are headers an app might read as an identity header too
	// (X_Forwarded_User, ...).
	Other []string
}

// echoApp is an upstream app that answers what it saw, as JSON.
func echoApp(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		var other []string
		for k := range r.Header {
			switch strings.ReplaceAll(strings.ToLower(k), "_", "-") {
			case "x-forwarded-user", "x-forwarded-email", "x-forwarded-name":
				if !strings.HasPrefix(k, "X-Forwarded-") {
					other = append(other, k)
				}
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-App", "echo")
		json.NewEncoder(w).Encode(seen{
			Method: r.Method, Path: r.URL.RequestURI(), Host: r.Host, Body: string(body),
			Cookie: r.Header.Get("Cookie"), Authorization: r.Header.Get("Authorization"), Other: other,
			User: r.Header.Get("X-Forwarded-User"), Email: r.Header.Get("X-Forwarded-Email"), Name: r.Header.Get("X-Forwarded-Name"),
			ForwardedFor: r.Header.Get("X-Forwarded-For"), ForwardedHost: r.Header.Get("X-Forwarded-Host"), Proto: r.Header.Get("X-Forwarded-Proto"),
		})
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

// TestUpstream runs latch serve in front of an app: it lets signed-in
// requests through with who is signed in, keeps everybody else out, and
// does not let a client claim an identity or pass Latch's cookies on.
func TestUpstream(t *testing.T) {
	app, calls := echoApp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("access: {knownUsers: true}\nmetrics: {token: "+testMetricsToken+"}\nupstream:\n  url: "+app.URL+"\n  public: [/assets/]\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann Ünal"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, _, _ := serveInProcess(t)
	baseURL, _ := url.Parse(base)
	spoof := map[string]string{
		"X-Forwarded-User": "admin", "X-Forwarded-Email": "admin@example.com", "X-Forwarded-Name": "Admin",
		"X_Forwarded_User": "admin", "x-forwarded_email": "admin@example.com",
	}
	do := func(method, path, accept string, headers map[string]string, body string) (*http.Response, seen) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var s seen
		if res.Header.Get("X-App") == "echo" {
			json.NewDecoder(res.Body).Decode(&s)
		}
		return res, s
	}

	// Signed out: a browser is sent to sign in, an API call gets 401, and
	// the app hears of neither.
	res, _ := do("GET", "/app/page?tab=1", "text/html", nil, "")
	if want := "/api/auth/signin?callbackUrl=" + url.QueryEscape(base+"/app/page?tab=1"); res.StatusCode != http.StatusFound || res.Header.Get("Location") != want {
		t.Errorf("signed-out page: %d %q; want 302 to %s", res.StatusCode, res.Header.Get("Location"), want)
	}
	if res, _ := do("POST", "/app/api", "application/json", spoof, `{}`); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out API call with forged identity headers: %d; want 401", res.StatusCode)
	}
	// A dot-segment or backslash cannot lead out of a public prefix.
	for _, p := range []string{"/assets/..%2fapp/page", "/assets/%2e%2e%2fapp/page", "/assets/..%5capp/page", "/assets//../app/page", "/assets/..;/app/page"} {
		if res, _ := do("GET", p, "", nil, ""); res.StatusCode == http.StatusOK {
			t.Errorf("%s: %d; want no answer from the app", p, res.StatusCode)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("the app got %d requests from signed-out clients; want 0", n)
	}
	// Public paths need no session, and forged identities are removed.
	res, got := do("GET", "/assets/app.css", "", spoof, "")
	if res.StatusCode != http.StatusOK || got.Path != "/assets/app.css" || got.User != "" || got.Email != "" || got.Name != "" || len(got.Other) > 0 {
		t.Errorf("public path: %d, app saw %+v; want 200 without identity", res.StatusCode, got)
	}

	signInAnn(t, c, base)
	c.Jar.SetCookies(baseURL, []*http.Cookie{{Name: "theme", Value: "dark"}})
	res, got = do("POST", "/app/form?x=1", "text/html", spoof, "a=1&b=2")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("signed-in POST: %d; want 200 from the app", res.StatusCode)
	}
	if got.Method != "POST" || got.Path != "/app/form?x=1" || got.Body != "a=1&b=2" {
		t.Errorf("app saw %s %s %q; want POST /app/form?x=1 with the body", got.Method, got.Path, got.Body)
	}
	if got.User == "" || got.User == "admin" || got.Email != "ann@example.com" || got.Name != "Ann Ünal" || len(got.Other) > 0 {
		t.Errorf("app saw user %q, email %q, name %q, other identity headers %q; want Ann's ID, ann@example.com, Ann Ünal and no others", got.User, got.Email, got.Name, got.Other)
	}
	if got.Cookie != "theme=dark" {
		t.Errorf("app saw Cookie %q; want the app's own cookie only (no Latch cookies)", got.Cookie)
	}
	if got.Host != baseURL.Host || got.ForwardedHost != baseURL.Host || got.Proto != "http" || got.ForwardedFor != "127.0.0.1" {
		t.Errorf("app saw Host %q, X-Forwarded-Host %q, -Proto %q, -For %q; want %s, %s, http, 127.0.0.1", got.Host, got.ForwardedHost, got.Proto, got.ForwardedFor, baseURL.Host, baseURL.Host)
	}
	_, again := do("GET", "/app/page", "text/html", map[string]string{"Authorization": "Basic YXBwOmtleQ=="}, "")
	if again.User != got.User || again.Authorization != "Basic YXBwOmtleQ==" {
		t.Errorf("second request: user %q (first %q), Authorization %q; want the same user and the app's own credentials passed on", again.User, got.User, again.Authorization)
	}
	// A session sent as a bearer token is not passed on to the app.
	var token string
	for _, ck := range c.Jar.Cookies(baseURL) {
		if ck.Name == "next-auth.session-token" {
			token = ck.Value
		}
	}
	req, _ := http.NewRequest("GET", base+"/app/api", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var bearer seen
	json.NewDecoder(res.Body).Decode(&bearer)
	res.Body.Close()
	if token == "" || res.StatusCode != http.StatusOK || bearer.Email != "ann@example.com" || bearer.Authorization != "" {
		t.Errorf("bearer session: %d, app saw email %q, Authorization %q; want 200, Ann, and no token", res.StatusCode, bearer.Email, bearer.Authorization)
	}

	// Latch's own paths stay Latch's.
	res, _ = do("GET", "/healthz", "", nil, "")
	var sess struct{ User struct{ Email string } }
	res2, _ := c.Get(base + "/api/auth/session")
	json.NewDecoder(res2.Body).Decode(&sess)
	if res.StatusCode != http.StatusOK || res.Header.Get("X-App") != "" || sess.User.Email != "ann@example.com" {
		t.Errorf("/healthz %d (X-App %q), session %+v; want Latch's answers", res.StatusCode, res.Header.Get("X-App"), sess)
	}

	// The app is down: a clear 502.
	app.Close()
	res, _ = do("GET", "/app/page", "text/html", nil, "")
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadGateway {
		t.Errorf("app down: %d %q; want 502", res.StatusCode, body)
	}
	metrics := scrape(t, base+"/metrics", testMetricsToken)
	for _, want := range []string{`latch_upstream_requests_total{code="200"}`, `latch_upstream_requests_total{code="401"}`, `latch_upstream_requests_total{code="502"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestUpstreamConfigErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"relative URL", "upstream:\n  url: 127.0.0.1:8080\n", "latch.yaml:2:8: upstream.url"},
		{"query", "upstream:\n  url: http://127.0.0.1:8080/?a=1\n", "upstream.url"},
		{"public without slash", "upstream:\n  url: http://127.0.0.1:8080\n  public: [assets/]\n", "upstream.public[0]"},
		{"demo too", "demo: true\nupstream:\n  url: http://127.0.0.1:8080\n", "demo and upstream"},
		{"timeout", "upstream:\n  url: http://127.0.0.1:8080\n  timeout: soon\n", "latch.yaml:3:12: upstream.timeout"},
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

// TestUpstreamWebSocket: an Upgrade request with a session reaches the
// app, which switches protocols; bytes then flow both ways. Without a
// session the upgrade is refused before the app hears of it.
func TestUpstreamWebSocket(t *testing.T) {
	var upgrades atomic.Int32
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || r.Header.Get("X-Forwarded-Email") == "" {
			http.Error(w, "want an upgrade from a signed-in user", http.StatusBadRequest)
			return
		}
		upgrades.Add(1)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
		line, _ := rw.ReadString('\n')
		rw.WriteString("echo " + r.Header.Get("X-Forwarded-Email") + ": " + line)
		rw.Flush()
	}))
	t.Cleanup(app.Close)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("access: {knownUsers: true}\nmetrics: {token: "+testMetricsToken+"} # the guard behind the metrics wrapper\nupstream:\n  url: "+app.URL+"\n"), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, _, _ := serveInProcess(t)
	baseURL, _ := url.Parse(base)

	upgrade := func(cookie string) (string, *bufio.Reader, net.Conn) {
		t.Helper()
		conn, err := net.Dial("tcp", baseURL.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: %s\r\n\r\n", baseURL.Host, cookie)
		r := bufio.NewReader(conn)
		status, _ := r.ReadString('\n')
		return status, r, conn
	}
	if status, _, _ := upgrade(""); !strings.Contains(status, " 401 ") {
		t.Errorf("upgrade without a session: %q; want 401", status)
	}
	signInAnn(t, c, base)
	var cookies []string
	for _, ck := range c.Jar.Cookies(baseURL) {
		cookies = append(cookies, ck.Name+"="+ck.Value)
	}
	status, r, conn := upgrade(strings.Join(cookies, "; "))
	if !strings.Contains(status, " 101 ") {
		t.Fatalf("upgrade with a session: %q; want 101", status)
	}
	for line, _ := r.ReadString('\n'); line != "\r\n" && line != ""; line, _ = r.ReadString('\n') {
	}
	fmt.Fprintf(conn, "hello\n")
	if got, _ := r.ReadString('\n'); got != "echo ann@example.com: hello\n" {
		t.Errorf("through the upgraded connection: %q; want the app's echo", got)
	}
	if upgrades.Load() != 1 {
		t.Errorf("the app saw %d upgrades; want 1", upgrades.Load())
	}
}
