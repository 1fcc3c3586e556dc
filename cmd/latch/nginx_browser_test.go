package main

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestBrowserNginxForwardAuth: in Chromium, behind Debian's nginx with
// auth_request, a person opens a page of app one on one.latch.localhost,
// is sent to Latch's sign-in page on auth.latch.localhost, signs in and
// lands back on the page, which greets them by the name nginx copied from
// Latch's answer; app two on a sibling subdomain greets them too without
// another sign-in (the session cookie is for latch.localhost); after
// signing out on Latch, both apps send them to sign in again.
func TestBrowserNginxForwardAuth(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	port := freePort(t)
	origin := func(sub string) string { return fmt.Sprintf("http://%s.latch.localhost:%d", sub, port) }
	app := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>App %s</title></head>
<body><h1 id="hello">Hello %s</h1><p id="email">%s</p><p id="path">%s</p></body></html>`, name,
				html.EscapeString(r.Header.Get("Remote-Name")), html.EscapeString(r.Header.Get("X-Auth-Request-Email")), html.EscapeString(r.URL.RequestURI()))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	one, two := app("one"), app("two")
	p := newLatch(t, bin, fmt.Sprintf(`cookies: {domain: latch.localhost}
trustedProxies: [127.0.0.1]
forwardAuth:
  sites:
    - url: %s
    - url: %s
`, origin("one"), origin("two")))
	p.setOrigin(origin("auth"))
	p.start()
	latchAddr := fmt.Sprintf("127.0.0.1:%d", p.port)
	listen := fmt.Sprintf("127.0.0.1:%d", port)
	startNginx(t, port, `
  server {
    listen `+listen+` default_server;
    server_name auth.latch.localhost;
    location / {
      proxy_pass http://`+latchAddr+`;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
    }
  }
`+nginxSite(listen, "one.latch.localhost", latchAddr, one.URL)+nginxSite(listen, "two.latch.localhost", latchAddr, two.URL))

	k.allowOrigins = []string{origin("one"), origin("two")}
	k.extraArgs = []string{"--host-resolver-rules=MAP *.latch.localhost 127.0.0.1"}
	res := k.browse(t, p, "", "", "", []step{
		{Name: "open", Op: "goto", URL: origin("one") + "/reports?year=2026"},
		{Name: "fillEmail", Op: "fill", Selector: `input[name="email"]`, Value: browserUserEmail},
		{Name: "fillPassword", Op: "fill", Selector: `input[name="password"]`, Value: browserUserPassword},
		{Name: "submit", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
		{Name: "hello", Op: "text", Selector: "#hello"},
		{Name: "path", Op: "text", Selector: "#path"},
		{Name: "two", Op: "goto", URL: origin("two") + "/"},
		{Name: "helloTwo", Op: "text", Selector: "#hello"},
		{Name: "emailTwo", Op: "text", Selector: "#email"},
		{Name: "cookies", Op: "cookies"},
		{Name: "toSignout", Op: "goto", URL: "/api/auth/signout"},
		{Name: "confirm", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
		{Name: "reopenOne", Op: "goto", URL: origin("one") + "/reports"},
		{Name: "reopenTwo", Op: "goto", URL: origin("two") + "/"},
	})
	var open, submit, reopenOne, reopenTwo struct{ URL string }
	res.get(t, "open", &open)
	if want := origin("auth") + "/api/auth/signin?callbackUrl=" + url.QueryEscape(origin("one")+"/reports?year=2026"); open.URL != want {
		t.Errorf("signed out, app one led to %s; want %s", open.URL, want)
	}
	res.get(t, "submit", &submit)
	var hello, path, helloTwo, emailTwo string
	res.get(t, "hello", &hello)
	res.get(t, "path", &path)
	if submit.URL != origin("one")+"/reports?year=2026" || hello != "Hello "+browserUserName || path != "/reports?year=2026" {
		t.Errorf("after signing in: %s says %q at %q; want app one's /reports?year=2026 greeting %s", submit.URL, hello, path, browserUserName)
	}
	res.get(t, "helloTwo", &helloTwo)
	res.get(t, "emailTwo", &emailTwo)
	if helloTwo != "Hello "+browserUserName || emailTwo != browserUserEmail {
		t.Errorf("app two says %q, %q; want the same user without signing in again", helloTwo, emailTwo)
	}
	var cookies []struct{ Name, Domain string }
	res.get(t, "cookies", &cookies)
	shared := false
	for _, c := range cookies {
		if c.Name == "next-auth.session-token" && strings.TrimPrefix(c.Domain, ".") == "latch.localhost" {
			shared = true
		}
	}
	if !shared {
		t.Errorf("cookies %+v; want the session cookie for latch.localhost", cookies)
	}
	res.get(t, "reopenOne", &reopenOne)
	res.get(t, "reopenTwo", &reopenTwo)
	for _, u := range []string{reopenOne.URL, reopenTwo.URL} {
		if !strings.HasPrefix(u, origin("auth")+"/api/auth/signin?") {
			t.Errorf("after signing out, an app led to %s; want the sign-in page", u)
		}
	}
}
