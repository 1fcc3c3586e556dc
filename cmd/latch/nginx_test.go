package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// nginxBin is Debian's nginx.
const nginxBin = "/usr/sbin/nginx"

// identityNames are the headers nginx copies from Latch's answer to the
// app, and that a client tries to forge.
var identityNames = []string{
	"Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups",
	"X-Auth-Request-User", "X-Auth-Request-Email", "X-Auth-Request-Preferred-Username", "X-Auth-Request-Groups",
	"X-Latch-Assertion",
}

// nginxSite is the server block of a site that nginx guards with
// auth_request against Latch at latch (host:port), in front of app. It
// is the configuration the README gives.
func nginxSite(listen, name, latch, app string) string {
	var set, pass strings.Builder
	for _, h := range identityNames {
		v := "$latch_" + strings.ToLower(strings.ReplaceAll(h, "-", "_"))
		fmt.Fprintf(&set, "      auth_request_set %s $upstream_http_%s;\n", v, strings.ToLower(strings.ReplaceAll(h, "-", "_")))
		fmt.Fprintf(&pass, "      proxy_set_header %s %s;\n", h, v)
	}
	// The site written out, never the client's Host: a request can name
	// one host in its request line (which picks the server block) and
	// another in Host.
	origin := "http://" + name + listen[strings.LastIndex(listen, ":"):]
	return `
  server {
    listen ` + listen + `;
    server_name ` + name + `;
    location = /_latch {
      internal;
      proxy_pass http://` + latch + `/api/auth/auth-request;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL ` + origin + `$request_uri;
      proxy_set_header X-Original-Method $request_method;
    }
    location / {
      auth_request /_latch;
      auth_request_set $latch_location $upstream_http_location;
      error_page 401 =302 $latch_location;
      auth_request_set $latch_cookie $upstream_http_set_cookie;
      add_header Set-Cookie $latch_cookie;
` + set.String() + pass.String() + `      proxy_pass ` + app + `;
    }
  }
`
}

// startNginx runs nginx with the http block body conf until the test
// ends, and waits until it accepts connections on port.
func startNginx(t *testing.T, port int, conf string) {
	t.Helper()
	if _, err := os.Stat(nginxBin); err != nil {
		msg := "nginx is not installed (" + nginxBin + ")"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatalf("%s (LATCH_TEST_STRICT=1)", msg)
		}
		t.Skipf("%s (set LATCH_TEST_STRICT=1 to make this a failure)", msg)
	}
	dir := t.TempDir()
	var temps strings.Builder
	for _, k := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		fmt.Fprintf(&temps, "  %s_temp_path %s;\n", k, filepath.Join(dir, k))
	}
	full := "worker_processes 1;\n" + userDirective() + "events { worker_connections 256; }\nhttp {\n  access_log off;\n" + temps.String() + conf + "}\n"
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(full), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	cmd := exec.Command(nginxBin, "-p", dir, "-c", "nginx.conf", "-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("nginx log:\n%s", logs.String())
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-exited:
			t.Fatalf("nginx exited: %s", logs.String())
		default:
		}
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx does not listen on %d: %s", port, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// userDirective keeps nginx's workers as the test's user when it runs as
// root (the default, nobody, could not use the test's folders).
func userDirective() string {
	if os.Geteuid() == 0 {
		return "user root;\n"
	}
	return ""
}

// identityApp is an app behind nginx that answers what it was told
// about the user: the identity headers, every value of each, and its
// name.
func identityApp(t *testing.T, name string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := map[string][]string{"App": {name}, "Path": {r.URL.RequestURI()}, "Method": {r.Method}}
		for k, v := range r.Header {
			if n := normalName(k); strings.HasPrefix(n, "remote-") || strings.HasPrefix(n, "x-auth-request-") || strings.HasPrefix(n, "x-latch-") {
				got[k] = v
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(got)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// verifyAssertion checks the assertion a with the JWKS at jwksURL, as an
// app does, and returns its claims.
func verifyAssertion(t *testing.T, c *http.Client, jwksURL, a string) map[string]any {
	t.Helper()
	res, err := c.Get(jwksURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil || res.StatusCode != 200 {
		t.Fatalf("JWKS: %d %v", res.StatusCode, err)
	}
	jws, err := jose.ParseSigned(a, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		t.Fatalf("assertion %q: %v", a, err)
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		t.Fatalf("no JWKS key for the assertion's kid")
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("the assertion does not verify: %v", err)
	}
	var claims map[string]any
	json.Unmarshal(payload, &claims)
	return claims
}

// normalName is a header name as an app might read it.
func normalName(k string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(k))
}

// TestNginxForwardAuth runs Debian's nginx with auth_request in front of
// two apps on sibling subdomains, and latch serve with forwardAuth:
// a browser without a session is sent to sign in and back; one sign-in
// (a cookie for the parent domain) reaches both apps with who is signed
// in, never with the identity a client forges; a user the second app does
// not allow gets 403; signing out ends both.
func TestNginxForwardAuth(t *testing.T) {
	if _, err := os.Stat(nginxBin); err != nil && os.Getenv("LATCH_TEST_STRICT") != "1" {
		t.Skip("nginx is not installed (" + nginxBin + "); set LATCH_TEST_STRICT=1 to make this a failure")
	}
	for _, strategy := range []string{"jwt", "database"} {
		t.Run(strategy, func(t *testing.T) { testNginxForwardAuth(t, strategy) })
	}
}

func testNginxForwardAuth(t *testing.T, strategy string) {
	port := freePort(t)
	host := func(sub string) string { return fmt.Sprintf("%s.latch.localhost:%d", sub, port) }
	app1, app2 := identityApp(t, "one"), identityApp(t, "two")

	dir := t.TempDir()
	yaml := fmt.Sprintf(`url: http://%s/api/auth
sessionStrategy: %s
secrets: ["nginx-test-secret-0123456789abcdef0123"]
cookies: {domain: latch.localhost}
trustedProxies: [127.0.0.1]
session: {updateAge: 1s}
forwardAuth:
  assertion: true
  sites:
    - url: http://%s
      public: [/assets/]
    - url: http://%s
      allow: {emailDomains: [example.com]}
      paths:
        - prefix: /admin/
          allow: {emails: [root@example.com]}
`, host("auth"), strategy, host("one"), host("two"))
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(yaml), 0o600)
	for _, u := range []string{"ann@example.com", "bo@other.example"} {
		if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", u, "--name", "Ann"); code != 0 {
			t.Fatal(stderr)
		}
	}
	_, _, logs, stop := serveInProcess(t)
	// The startup line names url's origin; the log says where Latch listens.
	var latchAddr string
	waitFor(t, func() bool {
		m := regexp.MustCompile(`msg=serving addr=(\S+)`).FindStringSubmatch(logs.String())
		if m != nil {
			latchAddr = m[1]
		}
		return m != nil
	})

	listen := fmt.Sprintf("127.0.0.1:%d", port)
	conf := `
  server {
    listen ` + listen + ` default_server;
    server_name auth.latch.localhost;
    location / {
      proxy_pass http://` + latchAddr + `;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
` + nginxSite(listen, "one.latch.localhost", latchAddr, app1.URL) + nginxSite(listen, "two.latch.localhost", latchAddr, app2.URL)
	startNginx(t, port, conf)

	// A browser: every *.latch.localhost name is nginx.
	newClient := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		dialer := &net.Dialer{Timeout: 5 * time.Second}
		return &http.Client{
			Jar: jar, Timeout: 10 * time.Second,
			Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return dialer.DialContext(ctx, network, listen)
			}},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	get := func(c *http.Client, u string, h ...string) (*http.Response, map[string][]string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Accept", "text/html")
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Add(h[i], h[i+1])
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		var got map[string][]string
		if res.StatusCode == 200 {
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("GET %s: %s", u, b)
			}
		}
		return res, got
	}
	signIn := func(c *http.Client, email, callback string) string {
		t.Helper()
		res, err := c.Get("http://" + host("auth") + "/api/auth/csrf")
		if err != nil {
			t.Fatal(err)
		}
		var csrf struct{ CsrfToken string }
		json.NewDecoder(res.Body).Decode(&csrf)
		res.Body.Close()
		res, err = c.PostForm("http://"+host("auth")+"/api/auth/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken},
			"email": {email}, "password": {"correct horse battery"}, "callbackUrl": {callback}, "json": {"true"}})
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("sign-in of %s: %v %v", email, res.Status, err)
		}
		var to struct{ URL string }
		json.NewDecoder(res.Body).Decode(&to)
		res.Body.Close()
		return to.URL
	}
	forged := []string{}
	for _, h := range identityNames {
		forged = append(forged, h, "forged-"+h)
	}
	forged = append(forged, "Remote_User", "forged-underscore", "X-Original-URL", "http://"+host("one")+"/assets/x")

	ann := newClient()
	res, _ := get(ann, "http://"+host("one")+"/page?x=1", forged...)
	wantLoc := "http://" + host("auth") + "/api/auth/signin?callbackUrl=" + url.QueryEscape("http://"+host("one")+"/page?x=1")
	if res.StatusCode != http.StatusFound || res.Header.Get("Location") != wantLoc {
		t.Fatalf("signed out: %d Location %q; want 302 %q", res.StatusCode, res.Header.Get("Location"), wantLoc)
	}
	// The public path needs no session, and carries no forged identity.
	res, got := get(ann, "http://"+host("one")+"/assets/app.css", forged...)
	if res.StatusCode != 200 {
		t.Fatalf("public path: %d", res.StatusCode)
	}
	for k, v := range got {
		if k != "App" && k != "Path" && k != "Method" {
			t.Errorf("public path: the app saw %s %q; want no identity header", k, v)
		}
	}

	// A request line for site two with the Host of site one (whose
	// /assets/ is public) is checked as site two: not let through.
	conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET http://%s/assets/x HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host("two"), host("one"))
	status, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.Contains(status, " 302 ") {
		t.Errorf("request line for site two, Host of site one: %q; want 302 to sign in (site two's rules)", status)
	}

	if to := signIn(ann, "ann@example.com", "http://"+host("one")+"/page?x=1"); to != "http://"+host("one")+"/page?x=1" {
		t.Fatalf("sign-in sends ann to %q; want back to app one", to)
	}
	if out := signIn(newClient(), "ann@example.com", "http://evil.example/"); out != "http://"+host("auth") {
		t.Errorf("sign-in with an outside callbackUrl sends to %q; want Latch's origin", out)
	}
	for _, app := range []string{"one", "two"} {
		res, got := get(ann, "http://"+host(app)+"/page?x=1", forged...)
		if res.StatusCode != 200 || got["App"][0] != app {
			t.Fatalf("app %s signed in: %d %v", app, res.StatusCode, got)
		}
		want := map[string]string{"Remote-Email": "ann@example.com", "X-Auth-Request-Email": "ann@example.com",
			"Remote-Name": "Ann", "X-Auth-Request-Preferred-Username": "Ann"}
		for _, h := range identityNames {
			v := got[h]
			if w, ok := want[h]; ok && (len(v) != 1 || v[0] != w) {
				t.Errorf("app %s: %s = %q; want %q", app, h, v, w)
			}
			if strings.Join(v, ",") != "" && strings.Contains(strings.Join(v, ","), "forged") {
				t.Errorf("app %s: %s = %q: a forged value reached the app", app, h, v)
			}
		}
		if u := got["Remote-User"]; len(u) != 1 || u[0] == "" || got["X-Auth-Request-User"][0] != u[0] {
			t.Errorf("app %s: Remote-User %q, X-Auth-Request-User %q; want the same user ID", app, u, got["X-Auth-Request-User"])
		}
		if a := got["X-Latch-Assertion"]; len(a) != 1 {
			t.Errorf("app %s: X-Latch-Assertion %q; want one", app, a)
		} else if claims := verifyAssertion(t, ann, "http://"+host("auth")+"/api/auth/forward-auth/jwks.json", a[0]); claims["aud"] != "http://"+host(app) ||
			claims["email"] != "ann@example.com" || claims["sub"] != got["Remote-User"][0] || claims["iss"] != "http://"+host("auth") {
			t.Errorf("app %s: assertion claims %v; want aud %s, ann, iss Latch", app, claims, "http://"+host(app))
		}
		for k, v := range got {
			if strings.Contains(strings.Join(v, ","), "forged") {
				t.Errorf("app %s: %s = %q reached the app", app, k, v)
			}
		}
	}

	// An active user's session slides: once updateAge has passed, the
	// check's new session cookie reaches the browser through nginx.
	waitFor(t, func() bool {
		res, _ := get(ann, "http://"+host("two")+"/")
		sc := res.Header.Get("Set-Cookie")
		if sc != "" && (!strings.HasPrefix(sc, "next-auth.session-token=") || !strings.Contains(sc, "Domain=latch.localhost")) {
			t.Fatalf("Set-Cookie through nginx: %q; want the session cookie for Domain=latch.localhost", sc)
		}
		return res.StatusCode == 200 && sc != ""
	})

	// A form POST is checked too (nginx's subrequest is a GET, with the
	// original method in X-Original-Method) and reaches the app as a POST.
	res, err = ann.PostForm("http://"+host("one")+"/form", url.Values{"a": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	var posted map[string][]string
	json.NewDecoder(res.Body).Decode(&posted)
	res.Body.Close()
	if res.StatusCode != 200 || posted["Method"][0] != "POST" || posted["Remote-Email"][0] != "ann@example.com" {
		t.Errorf("POST /form signed in: %d %v; want 200, a POST as ann", res.StatusCode, posted)
	}
	if res, err := newClient().PostForm("http://"+host("one")+"/form", url.Values{"a": {"1"}}); err != nil || res.StatusCode != http.StatusFound {
		t.Errorf("POST /form signed out: %v %v; want 302 to sign in", res.Status, err)
	}

	// A path rule of app two refuses ann, however the path is written.
	for _, p := range []string{"/admin/users", "/x/../admin/users", "/%61dmin/users", "/admin/./users"} {
		if res, _ := get(ann, "http://"+host("two")+p); res.StatusCode != http.StatusForbidden {
			t.Errorf("ann on app two %s: %d; want 403", p, res.StatusCode)
		}
	}

	bo := newClient()
	signIn(bo, "bo@other.example", "http://"+host("two")+"/")
	if res, _ := get(bo, "http://"+host("two")+"/"); res.StatusCode != http.StatusForbidden {
		t.Errorf("bo on app two: %d; want 403", res.StatusCode)
	}
	if res, got := get(bo, "http://"+host("one")+"/"); res.StatusCode != 200 || got["Remote-Email"][0] != "bo@other.example" {
		t.Errorf("bo on app one: %d %v; want 200 as bo", res.StatusCode, got)
	}

	// Signing out on Latch's host ends the session of both apps.
	res, err = ann.Get("http://" + host("auth") + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = ann.PostForm("http://"+host("auth")+"/api/auth/signout", url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}})
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("sign-out: %v %v", res.Status, err)
	}
	res.Body.Close()
	for _, app := range []string{"one", "two"} {
		if res, _ := get(ann, "http://"+host(app)+"/page"); res.StatusCode != http.StatusFound {
			t.Errorf("app %s after sign-out: %d; want 302 to sign in", app, res.StatusCode)
		}
	}
	stop()
	if l := logs.String(); strings.Contains(l, "level=ERROR") || strings.Contains(l, "not a trusted proxy") {
		t.Errorf("latch log:\n%s", l)
	}
}
