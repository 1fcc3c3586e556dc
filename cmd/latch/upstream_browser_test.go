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

// TestBrowserUpstream: in Chromium, a person opens a page of an app that
// latch serve guards, is sent to the built-in sign-in page, signs in and
// lands back on the app's page, which greets them by the name Latch told
// it; after signing out, the app is closed again.
func TestBrowserUpstream(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>App</title></head>
<body><h1 id="hello">Hello %s</h1><p id="path">%s</p><p id="cookies">%s</p>
<form action="/api/auth/signout" method="get"><button id="signout">Sign out</button></form></body></html>`,
			html.EscapeString(r.Header.Get("X-Forwarded-Name")), html.EscapeString(r.URL.RequestURI()), html.EscapeString(r.Header.Get("Cookie")))
	}))
	t.Cleanup(app.Close)

	p := newLatch(t, bin, "access: {knownUsers: true}\nupstream:\n  public: [/assets/]\n", "LATCH_UPSTREAM="+app.URL)
	p.start()

	bundle := k.bundle(t, p.origin+"/api/auth")
	res := k.browse(t, p, bundle, "", "", []step{
		{Name: "open", Op: "goto", URL: "/reports?year=2026"},
		{Name: "fillEmail", Op: "fill", Selector: `input[name="email"]`, Value: browserUserEmail},
		{Name: "fillPassword", Op: "fill", Selector: `input[name="password"]`, Value: browserUserPassword},
		{Name: "submit", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
		{Name: "hello", Op: "text", Selector: "#hello"},
		{Name: "path", Op: "text", Selector: "#path"},
		{Name: "cookies", Op: "text", Selector: "#cookies"},
		{Name: "toSignout", Op: "click", Selector: "#signout", Wait: "url"},
		{Name: "confirm", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
		{Name: "reopen", Op: "goto", URL: "/reports"},
	})
	var open, reopen struct{ URL string }
	res.get(t, "open", &open)
	if want := p.origin + "/api/auth/signin?callbackUrl=" + url.QueryEscape(p.origin+"/reports?year=2026"); open.URL != want {
		t.Errorf("signed out, /reports led to %s; want %s", open.URL, want)
	}
	var hello, path, cookies string
	res.get(t, "hello", &hello)
	res.get(t, "path", &path)
	res.get(t, "cookies", &cookies)
	if hello != "Hello "+browserUserName || path != "/reports?year=2026" {
		t.Errorf("after signing in the app says %q at %q; want %q at /reports?year=2026", hello, path, "Hello "+browserUserName)
	}
	if strings.Contains(cookies, "next-auth") {
		t.Errorf("the app received Latch's cookies: %q", cookies)
	}
	res.get(t, "reopen", &reopen)
	if !strings.HasPrefix(reopen.URL, p.origin+"/api/auth/signin?") {
		t.Errorf("after signing out, /reports led to %s; want the sign-in page", reopen.URL)
	}
}
