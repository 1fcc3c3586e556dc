package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// nuxtServer builds the Nuxt app of internal/compat/nuxt as a server
// (server-side rendering, nuxi build) with env added to the build, starts
// it on a free port with runEnv, and returns its origin.
func nuxtServer(t *testing.T, k *browserKit, buildEnv, runEnv []string) string {
	t.Helper()
	project := filepath.Join(k.pkgDir, "..", "..", "internal", "compat", "nuxt")
	nuxi := filepath.Join(project, "node_modules", "@nuxt", "cli", "bin", "nuxi.mjs")
	if _, err := os.Stat(nuxi); err != nil {
		msg := "nuxt-auth SSR test: the Nuxt app's packages are not installed; install them with: cd internal/compat/nuxt && npm ci"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatalf("%s (LATCH_TEST_STRICT=1)", msg)
		}
		t.Skipf("%s (set LATCH_TEST_STRICT=1 to make this a failure)", msg)
	}
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, k.node, nuxi, "build", project)
	build.Dir = project
	build.Env = append(append(os.Environ(), "NUXT_TELEMETRY_DISABLED=1", "LATCH_NUXT_SSR=1",
		"LATCH_NUXT_BUILD_DIR="+filepath.Join(work, "build"), "LATCH_NUXT_OUTPUT_DIR="+filepath.Join(work, "output")), buildEnv...)
	begun := time.Now()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("nuxi build: %v\n%s", err, out)
	}
	t.Logf("nuxi build: %v", time.Since(begun).Round(time.Millisecond))

	port := freePort(t)
	srv := exec.Command(k.node, filepath.Join(work, "output", "server", "index.mjs"))
	srv.Env = append(append(os.Environ(), "HOST=127.0.0.1", "PORT="+strconv.Itoa(port), "NITRO_HOST=127.0.0.1", "NITRO_PORT="+strconv.Itoa(port)), runEnv...)
	var logs lockedBuffer
	srv.Stdout, srv.Stderr = &logs, &logs
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		srv.Process.Kill()
		srv.Wait()
		if t.Failed() {
			t.Logf("nuxt server log:\n%s", logs.String())
		}
	})
	origin := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if conn, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			conn.Close()
			return origin
		}
		if time.Now().After(deadline) {
			t.Fatalf("the Nuxt server did not listen within 30 s:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrowserNuxtAuthLocalSSR: the local-provider app rendered on a Nuxt
// server, as most Nuxt apps run, behind one origin with latch serve
// (/api/auth/ to Latch, the rest to Nuxt): after sign-in, the page the
// server renders already shows the user (the server read the token cookie
// and asked Latch), a reload keeps the session, and once the access token
// has expired the server refreshes it with the refresh token and still
// renders the user.
func TestBrowserNuxtAuthLocalSSR(t *testing.T) {
	k := needBrowser(t)
	p := newLatch(t, k.buildLatch(t), "local:\n  signUp: true\n  accessTokenTTL: 2s\n")
	proxyPort := freePort(t)
	origin := "http://127.0.0.1:" + strconv.Itoa(proxyPort)
	p.setOrigin(origin)
	p.start()
	latchURL, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(p.port))
	nuxt := nuxtServer(t, k, []string{"LATCH_NUXT_PROVIDER=local", "LATCH_NUXT_REFRESH=on"},
		[]string{"AUTH_ORIGIN=" + origin + "/api/auth/local"}) // the server calls Latch through the front too
	nuxtURL, _ := url.Parse(nuxt)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		if strings.HasPrefix(pr.In.URL.Path, "/api/auth/") {
			pr.SetURL(latchURL)
		} else {
			pr.SetURL(nuxtURL)
		}
		pr.Out.Host = pr.In.Host
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(proxyPort))
	if err != nil {
		t.Fatal(err)
	}
	front := &http.Server{Handler: proxy}
	go front.Serve(ln)
	t.Cleanup(func() { front.Close() })

	const user = `{email: "sol@example.com", password: "correct horse battery", name: "Sol"}`
	// rendered fetches the page as the server renders it (the cookies go
	// along), without running its scripts.
	const rendered = `fetch(location.href).then(r => r.text()).then(html => {
		const doc = new DOMParser().parseFromString(html, "text/html")
		return [doc.querySelector("#status").textContent, doc.querySelector("#data").textContent]
	})`
	ready := `new Promise(r => { const w = () => window.nuxtAuth ? r(true) : setTimeout(w, 20); w() })`
	steps := []step{
		{Name: "home", Op: "goto", URL: "/"},
		{Name: "ready", Op: "eval", JS: ready},
		{Name: "renderedSignedOut", Op: "eval", JS: rendered},
		{Name: "signUp", Op: "eval", JS: `nuxtAuth.signUp(` + user + `, {preventLoginFlow: true})`},
		{Name: "signIn", Op: "eval", JS: `nuxtAuth.signIn(` + user + `, {redirect: false}).then(() => true)`},
		{Name: "signedIn", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "renderedSignedIn", Op: "eval", JS: rendered},
		{Name: "reload", Op: "goto", URL: "/"},
		{Name: "signedInAfterReload", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "readyAgain", Op: "eval", JS: ready},
		{Name: "expired", Op: "eval", JS: `(async () => {
			const statuses = []
			for (;;) {
				const res = await fetch("/api/auth/local/session", {headers: {Authorization: nuxtAuth.token.value}})
				statuses.push(res.status)
				if (res.status === 401) return [statuses[0], (await res.json()).error]
				await new Promise(r => setTimeout(r, 100))
			}
		})()`},
		{Name: "renderedAfterExpiry", Op: "eval", JS: rendered},
	}
	res := k.browse(t, &latchProcess{origin: origin}, "", "", "", steps)
	for _, c := range []struct {
		name   string
		status string
		email  bool
	}{
		{"renderedSignedOut", "unauthenticated", false},
		{"renderedSignedIn", "authenticated", true},
		{"renderedAfterExpiry", "authenticated", true},
	} {
		var got []string
		res.get(t, c.name, &got)
		if len(got) != 2 || got[0] != c.status || strings.Contains(got[1], "sol@example.com") != c.email {
			t.Errorf("%s: the server rendered status and data %q; want %s (with the user: %v)", c.name, got, c.status, c.email)
		}
	}
	var expired []any
	res.get(t, "expired", &expired)
	if fmt.Sprint(expired) != "[200 SessionRequired]" {
		t.Errorf("access token: first answer and error once expired = %v; want [200 SessionRequired]", expired)
	}
}
