package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/metrics"
)

// testMetricsToken is the metrics.token of the tests.
const testMetricsToken = "metrics-token-0123456789abcdef"

// scrape GETs the metrics at u with the bearer token (none when "").
func scrape(t *testing.T, u, token string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", u, res.StatusCode, b)
	}
	return string(b)
}

// received is what the dump app saw of a request: every header and
// trailer, as the app's server parsed them.
type received struct {
	Header, Trailer http.Header
}

// dumpApp is an upstream app that answers the headers it received.
func dumpApp(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-App", "dump")
		json.NewEncoder(w).Encode(received{Header: r.Header, Trailer: r.Trailer})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// startGuard runs latch serve in front of app, with the configuration
// yaml and the upstream block (url, public: [/assets/] and the lines
// upstream), and ann@example.com as a user.
func startGuard(t *testing.T, yaml, upstream, app string) (string, *http.Client, *syncBuffer) {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(yaml+"access: {knownUsers: true}\nupstream:\n  url: "+app+"\n  public: [/assets/]\n"+upstream), 0o600)
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
		t.Fatal(stderr)
	}
	base, c, stderr, _ := serveInProcess(t)
	return base, c, stderr
}

// sessionToken signs ann in and returns her session token.
func sessionToken(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	signInAnn(t, c, base)
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "next-auth.session-token" {
			return ck.Value
		}
	}
	t.Fatal("no session cookie after signing in")
	return ""
}

// TestUpstreamNeverPassesSessionTokens: whatever cookies and
// Authorization headers a client sends along with its session, on a
// guarded or a public path, with JWT or database sessions, the app
// receives no session token (nor a chunk of one) in any header.
func TestUpstreamNeverPassesSessionTokens(t *testing.T) {
	for _, strategy := range []string{"jwt", "database"} {
		t.Run(strategy, func(t *testing.T) {
			app := dumpApp(t)
			base, c, _ := startGuard(t, "sessionStrategy: "+strategy+"\n", "", app.URL)
			tok := sessionToken(t, c, base)
			t0, t1 := tok[:len(tok)/2], tok[len(tok)/2:]
			pct := fmt.Sprintf("%%%02X", tok[0]) + tok[1:] // the first byte percent-encoded
			const session = "next-auth.session-token="
			tests := []struct {
				name    string
				headers []string // "Name: value", in order; a name may repeat
				signed  bool     // Latch reads a session from them
			}{
				{"cookie", []string{"Cookie: " + session + tok}, true},
				{"cookie among app cookies", []string{"Cookie: theme=dark; " + session + tok + "; lang=en"}, true},
				{"quoted cookie", []string{`Cookie: ` + session + `"` + tok + `"`}, true},
				{"chunks", []string{"Cookie: next-auth.session-token.0=" + t0 + "; next-auth.session-token.1=" + t1}, true},
				{"chunks in two Cookie headers", []string{"Cookie: next-auth.session-token.1=" + t1 + "; theme=dark", "Cookie: next-auth.session-token.0=" + t0}, true},
				{"cookie in the second Cookie header", []string{"Cookie: theme=dark", "Cookie: " + session + tok}, true},
				{"bearer", []string{"Authorization: Bearer " + tok}, true},
				{"bearer, percent-encoded", []string{"Authorization: Bearer " + pct}, true},
				{"bearer, two spaces", []string{"Authorization: Bearer  " + tok}, true},
				{"bearer and an empty session cookie", []string{"Cookie: " + session, "Authorization: Bearer " + tok}, true},
				{"bearer and session-tokenX", []string{"Cookie: next-auth.session-tokenX=1", "Authorization: Bearer " + tok}, true},
				{"bearer and session-token.x", []string{"Cookie: next-auth.session-token.x=1", "Authorization: Bearer " + tok}, true},
				{"bearer and a lone chunk", []string{"Cookie: next-auth.session-token.1=" + t1, "Authorization: Bearer " + tok}, true},
				{"bearer and a CSRF cookie", []string{"Cookie: next-auth.csrf-token=abc%7Cdef", "Authorization: Bearer " + tok}, true},
				{"bearer and junk cookies", []string{"Cookie: theme=dark; ;;=;x; next-auth.=; =next-auth.session-token", "Authorization: Bearer " + tok}, true},
				{"bearer and another token's cookie", []string{"Cookie: " + session + "junk", "Authorization: Bearer " + tok}, false},
				{"cookie and bearer", []string{"Cookie: " + session + tok, "Authorization: Bearer " + tok}, true},
				{"cookie and lower-case bearer", []string{"Cookie: " + session + tok, "Authorization: bearer " + tok}, true},
				{"cookie and BEARER with a tab", []string{"Cookie: " + session + tok, "Authorization: BEARER\t" + tok}, true},
				{"cookie, Basic, then bearer", []string{"Cookie: " + session + tok, "Authorization: Basic YXBwOmtleQ==", "Authorization: Bearer " + tok}, true},
				{"cookie and five Authorization headers", []string{"Cookie: " + session + tok, "Authorization: Basic YXBwOmtleQ==", "Authorization: Bearer x", "Authorization: Bearer y", "Authorization: Bearer z", "Authorization: Bearer " + tok}, true},
				{"__Secure- cookie and bearer", []string{"Cookie: __Secure-next-auth.session-token=" + tok, "Authorization: Bearer " + tok}, true},
				{"__Host- authjs chunks and bearer", []string{"Cookie: __Host-authjs.session-token.0=" + t0 + "; authjs.session-token.1=" + t1, "Authorization: Bearer " + tok}, true},
				{"authjs cookie and bearer", []string{"Cookie: authjs.session-token=" + tok + "; __Secure-authjs.session-token=" + tok, "Authorization: Bearer " + tok}, true},
				{"other case and spaces", []string{"Cookie: Next-Auth.Session-Token =" + tok, "Authorization: Bearer " + tok}, true},
				{"PHP's spelling", []string{"Cookie: next-auth_session-token=" + tok + "; __Secure-next-auth_session-token=" + tok, "Authorization: Bearer " + tok}, true},
				{"after a comma", []string{"Cookie: theme=dark; lang=en, " + session + tok, "Authorization: Bearer " + tok}, true},
			}
			for _, tc := range tests {
				for _, path := range []string{"/app/page", "/assets/app.css"} {
					req, _ := http.NewRequest("GET", base+path, nil)
					for _, h := range tc.headers {
						k, v, _ := strings.Cut(h, ": ")
						req.Header[k] = append(req.Header[k], v)
					}
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					var got received
					json.NewDecoder(res.Body).Decode(&got)
					res.Body.Close()
					public := strings.HasPrefix(path, "/assets/")
					if want := tc.signed || public; want != (res.StatusCode == http.StatusOK) {
						t.Errorf("%s, %s: %d; want the app's answer: %v", tc.name, path, res.StatusCode, want)
					}
					if tc.signed && got.Header.Get("X-Forwarded-Email") != "ann@example.com" && res.StatusCode == http.StatusOK {
						t.Errorf("%s, %s: the app saw the user %q; want ann@example.com", tc.name, path, got.Header.Get("X-Forwarded-Email"))
					}
					for _, hs := range []http.Header{got.Header, got.Trailer} {
						for k, vs := range hs {
							for _, v := range append(vs, k) {
								if strings.Contains(v, t0) || strings.Contains(v, t1) || strings.Contains(v, tok[1:]) {
									t.Errorf("%s, %s: the app received a session token in %s: %.60q", tc.name, path, k, v)
								}
							}
						}
					}
					if strings.Contains(strings.Join(tc.headers, "\n"), "theme=dark") && !strings.Contains(got.Header.Get("Cookie"), "theme=dark") && res.StatusCode == http.StatusOK {
						t.Errorf("%s, %s: the app's cookie was dropped: Cookie %q", tc.name, path, got.Header.Get("Cookie"))
					}
				}
			}
		})
	}
}

// TestUpstreamClientHeaders: whatever identity, client address or
// routing override a client sends, in whatever spelling, the app sees
// only what the guard sets; headers of the app's own pass.
func TestUpstreamClientHeaders(t *testing.T) {
	app := dumpApp(t)
	base, c, _ := startGuard(t, "", "", app.URL)
	baseURL, _ := url.Parse(base)
	signInAnn(t, c, base)
	names := []string{
		"X-Forwarded-User", "X-Forwarded-Email", "X-Forwarded-Name", "X-Forwarded-Groups", "X-Forwarded-Preferred-Username",
		"X-Forwarded-Access-Token", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port", "X-Forwarded-Prefix",
		"X-Forwarded-For", "X-Forwarded-Server", "X-Forwarded-Ssl", "X-Forwarded", "Forwarded", "Forwarded-For",
		"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Groups", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Access-Token",
		"X-Remote-User", "Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups",
		"X-Real-IP", "X-Client-IP", "True-Client-IP", "CF-Connecting-IP", "X-Cluster-Client-IP", "Fastly-Client-IP", "Client-IP",
		"X-Original-URL", "X-Rewrite-URL", "X-Webauth-User", "X-WEBAUTH-EMAIL", "X-Auth-User", "X-Authenticated-User",
		"Proxy-Authorization", "X-User", "Cf-Access-Authenticated-User-Email", "X-Goog-Authenticated-User-Email", "X-Amzn-Oidc-Identity",
		"X-Ms-Client-Principal-Name", "X-Pomerium-Claim-Email",
	}
	var spellings []string
	for _, n := range names {
		spellings = append(spellings, n, strings.ToLower(n), strings.ReplaceAll(n, "-", "_"), strings.ReplaceAll(n, "-", "."), strings.ToUpper(strings.ReplaceAll(n, "-", "_")))
	}
	tests := []struct{ path, cookies string }{{"/app/page", "signed in"}, {"/assets/app.css", ""}}
	for _, tc := range tests {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		for i, k := range spellings {
			req.Header[k] = []string{fmt.Sprintf("spoof%d", i)}
		}
		req.Header.Set("X-App-Version", "7")
		if tc.cookies != "" {
			for _, ck := range c.Jar.Cookies(baseURL) {
				req.AddCookie(ck)
			}
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got received
		json.NewDecoder(res.Body).Decode(&got)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d; want the app's answer", tc.path, res.StatusCode)
		}
		for k, vs := range got.Header {
			for _, v := range vs {
				if strings.Contains(v, "spoof") {
					t.Errorf("%s: the app received the client's %s: %q", tc.path, k, v)
				}
			}
		}
		h := got.Header
		wantUser := ""
		if tc.cookies != "" {
			wantUser = "ann@example.com"
		}
		if h.Get("X-Forwarded-Email") != wantUser || h.Get("X-App-Version") != "7" {
			t.Errorf("%s: X-Forwarded-Email %q, X-App-Version %q; want %q and 7", tc.path, h.Get("X-Forwarded-Email"), h.Get("X-App-Version"), wantUser)
		}
		want := map[string]string{
			"X-Forwarded-For": "127.0.0.1", "X-Real-Ip": "127.0.0.1", "X-Forwarded-Host": baseURL.Host, "X-Forwarded-Proto": "http",
			"Forwarded": `for="127.0.0.1";host="` + baseURL.Host + `";proto=http`, "X-Forwarded-Port": "", "X-Forwarded-Prefix": "",
		}
		for k, v := range want {
			if got := strings.Join(h.Values(k), ", "); got != v {
				t.Errorf("%s: the app saw %s %q; want %q", tc.path, k, got, v)
			}
		}
	}
}

// TestUpstreamMetricsAccess: in front of an app, /metrics needs the
// metrics token or is served on an address of its own; "metrics: true"
// alone is a configuration error there, and still serves /metrics to all
// without an upstream app.
func TestUpstreamMetricsAccess(t *testing.T) {
	t.Run("config errors", func(t *testing.T) {
		tests := []struct{ yaml, want string }{
			{"metrics: true\nupstream:\n  url: http://127.0.0.1:8080\n", "latch.yaml:1:10: metrics: with upstream"},
			{"metrics: true\nupstream:\n  url: http://127.0.0.1:8080\n", "set metrics.addr"},
			{"metrics: {token: short}\n", "latch.yaml:1:18: metrics.token: want at least 16"},
			{"metrics: 3\n", "metrics"},
			{"metrics: {adr: 127.0.0.1:9090}\n", `unknown field "adr"`},
		}
		for _, tc := range tests {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tc.yaml), 0o600)
			if code, _, stderr := run(t, dir, "", "migrate"); code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("%q: exit %d, %q; want an error containing %q", tc.yaml, code, stderr, tc.want)
			}
		}
	})
	t.Run("token", func(t *testing.T) {
		app, _ := echoApp(t)
		base, _, _ := startGuard(t, "metrics: {token: "+testMetricsToken+"}\n", "", app.URL)
		for _, auth := range []string{"", "Bearer ", "Bearer wrong-token-0123456789abcdef", "Basic " + testMetricsToken, "Bearer " + testMetricsToken + "x"} {
			req, _ := http.NewRequest("GET", base+"/metrics", nil)
			if auth != "" {
				req.Header.Set("Authorization", auth)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusUnauthorized || res.Header.Get("X-App") != "" {
				t.Errorf("/metrics with Authorization %q: %d (X-App %q); want 401 from Latch", auth, res.StatusCode, res.Header.Get("X-App"))
			}
		}
		if res, err := http.Get(base + "/app"); err == nil {
			res.Body.Close()
		}
		if m := scrape(t, base+"/metrics", testMetricsToken); !strings.Contains(m, `latch_upstream_requests_total{code="401"} 1`) {
			t.Errorf("/metrics with the token lacks the 401 of a signed-out request")
		}
	})
	t.Run("addr", func(t *testing.T) {
		app, _ := echoApp(t)
		base, _, stderr := startGuard(t, "metrics: {addr: \"127.0.0.1:0\"}\n", "", app.URL)
		res, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("/metrics on the main address: %d; want the app's answer to a signed-out request, not the metrics", res.StatusCode)
		}
		addr := regexp.MustCompile(`msg="serving metrics" addr=(\S+)`).FindStringSubmatch(stderr.String())
		if addr == nil {
			t.Fatalf("no metrics address in the log: %s", stderr.String())
		}
		if m := scrape(t, "http://"+addr[1]+"/metrics", ""); !strings.Contains(m, "latch_upstream_requests_total") {
			t.Errorf("/metrics on %s lacks latch_upstream_requests_total", addr[1])
		}
	})
	t.Run("no upstream", func(t *testing.T) {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("metrics: true\n"), 0o600)
		t.Chdir(dir)
		base, _, _, _ := serveInProcess(t)
		if m := scrape(t, base+"/metrics", ""); !strings.Contains(m, "go_goroutines") {
			t.Errorf("/metrics without upstream: %.200s", m)
		}
	})
}

// TestUpstreamTimeout: an app that does not answer gets a 504 after
// upstream.timeout; one that answers its headers in time may then stream
// for longer.
func TestUpstreamTimeout(t *testing.T) {
	release := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/events" {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: one\n\n")
			w.(http.Flusher).Flush()
			// The second event comes well after the timeout.
			time.Sleep(600 * time.Millisecond)
			fmt.Fprint(w, "data: two\n\n")
			return
		}
		select { // never answers
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(app.Close)
	t.Cleanup(func() { close(release) })
	base, c, stderr := startGuard(t, "", "  timeout: 200ms\n", app.URL)
	signInAnn(t, c, base)

	start := time.Now()
	res, err := c.Get(base + "/slow")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusGatewayTimeout || !strings.Contains(string(body), "did not answer within 200ms") {
		t.Errorf("app without an answer: %d %q; want 504 saying it did not answer within 200ms", res.StatusCode, body)
	}
	if d := time.Since(start); d < 200*time.Millisecond {
		t.Errorf("504 after %s; want it after the timeout (200ms)", d)
	}
	if !strings.Contains(stderr.String(), "level=ERROR") {
		t.Errorf("no ERROR line for the app that did not answer: %s", stderr.String())
	}

	res, err = c.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "data: one\n\ndata: two\n\n" {
		t.Errorf("event stream: %d %q; want both events", res.StatusCode, body)
	}
}

// testGuard serves the guard in front of target, every path public, with
// metrics, logging to a buffer at level Info as latch serve does.
func testGuard(t *testing.T, target string, timeout time.Duration) (srv *httptest.Server, m *metrics.Metrics, logs *syncBuffer) {
	t.Helper()
	auth, err := latch.New(latch.Config{URL: "http://127.0.0.1/api/auth", Secrets: []string{strings.Repeat("s", 32)}})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(target)
	logs = &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	m = metrics.New()
	proxy, err := guard.NewProxy(guard.ProxyConfig{Target: u, Public: []string{"/"}, Auth: auth, ClientIP: func(*http.Request) string { return "127.0.0.1" }, Timeout: timeout, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(m.Upstream(proxy))
	t.Cleanup(srv.Close)
	return srv, m, logs
}

// upstreamCounts are the guard's request counts by code.
func upstreamCounts(m *metrics.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var lines []string
	for line := range strings.SplitSeq(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "latch_upstream_requests_total{") {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// TestUpstreamClientLeaves: a client that gives up before the app
// answers is counted as 499, not as a 502 of the app, and logs no ERROR.
func TestUpstreamClientLeaves(t *testing.T) {
	arrived := make(chan struct{}, 1)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(app.Close)
	srv, m, logs := testGuard(t, app.URL, time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/page", nil)
	done := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the request did not reach the app")
	}
	cancel()
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(upstreamCounts(m), `{code="499"} 1`) {
		if time.Now().After(deadline) {
			t.Fatalf("upstream counts after the client left: %q; want code 499 once", upstreamCounts(m))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if counts := upstreamCounts(m); strings.Contains(counts, `"502"`) {
		t.Errorf("upstream counts: %q; want no 502 for a client that left", counts)
	}
	if strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("a client that left was logged as an error: %s", logs.String())
	}
}

// TestUpstreamDownLogsOnce: an app that is down, hit 1000 times, gives
// 1000 answers 502 and one or two ERROR lines, not 1000.
func TestUpstreamDownLogsOnce(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	srv, m, logs := testGuard(t, down, time.Minute)
	var wg sync.WaitGroup
	codes := make(chan int, 1000)
	for range 8 {
		wg.Go(func() {
			for range 125 {
				res, err := srv.Client().Get(srv.URL + "/page")
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				codes <- res.StatusCode
			}
		})
	}
	wg.Wait()
	close(codes)
	n := 0
	for code := range codes {
		if code != http.StatusBadGateway {
			t.Fatalf("app down: %d; want 502", code)
		}
		n++
	}
	errorLines := strings.Count(logs.String(), "level=ERROR")
	if n != 1000 || errorLines < 1 || errorLines > 2 {
		t.Errorf("%d requests made %d ERROR lines; want 1000 requests and 1 or 2 lines:\n%.2000s", n, errorLines, logs.String())
	}
	if !strings.Contains(upstreamCounts(m), `{code="502"} 1000`) {
		t.Errorf("upstream counts: %q; want 1000 times 502", upstreamCounts(m))
	}
}

// TestUpstreamForwardedOrigin: the app is told the origin Latch answers
// on, which a trusted proxy names among the allowed hosts; a client's own
// X-Forwarded-* headers, and hosts that are not allowed, change nothing.
func TestUpstreamForwardedOrigin(t *testing.T) {
	app := dumpApp(t)
	base, _, _ := startGuard(t, "allowedHosts: [example.org]\ntrustForwardedHeaders: true\ntrustedProxies: [127.0.0.1, '::1']\n", "", app.URL)
	// No url: a request for any other host is answered on the first
	// allowed one.
	tests := []struct {
		name, proto, host string
		wantProto         string
		wantHost          string
	}{
		{"from the trusted proxy", "https", "example.org", "https", "example.org"},
		{"a host that is not allowed", "https", "attacker.example", "https", "example.org"},
		{"no forwarded headers", "", "", "http", "example.org"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", base+"/assets/x", nil)
			if tt.proto != "" {
				req.Header.Set("X-Forwarded-Proto", tt.proto)
				req.Header.Set("X-Forwarded-Host", tt.host)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var got received
			json.NewDecoder(res.Body).Decode(&got)
			res.Body.Close()
			if p, h := got.Header.Get("X-Forwarded-Proto"), got.Header.Get("X-Forwarded-Host"); p != tt.wantProto || h != tt.wantHost {
				t.Errorf("app saw X-Forwarded-Proto %q, -Host %q; want %q, %q", p, h, tt.wantProto, tt.wantHost)
			}
		})
	}
}
