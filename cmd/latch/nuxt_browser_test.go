package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// nuxtApp generates the Nuxt app of internal/compat/nuxt (the real
// @sidebase/nuxt-auth, authjs provider) as static files and returns their
// folder. authURL is Latch's full auth URL for an app on another origin,
// "" for one on Latch's origin; env adds build settings (the local
// provider: LATCH_NUXT_PROVIDER=local). It skips the test (fails it when
// LATCH_TEST_STRICT=1) when the app's node packages are missing.
func nuxtApp(t *testing.T, k *browserKit, authURL string, env ...string) string {
	t.Helper()
	project := filepath.Join(k.pkgDir, "..", "..", "internal", "compat", "nuxt")
	nuxi := filepath.Join(project, "node_modules", "@nuxt", "cli", "bin", "nuxi.mjs")
	if _, err := os.Stat(nuxi); err != nil {
		msg := "nuxt-auth test: the Nuxt app's packages are not installed; install them with: cd internal/compat/nuxt && npm ci"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatalf("%s (LATCH_TEST_STRICT=1)", msg)
		}
		t.Skipf("%s (set LATCH_TEST_STRICT=1 to make this a failure)", msg)
	}
	work := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.node, nuxi, "generate", project)
	cmd.Dir = project
	cmd.Env = append(os.Environ(), "NUXT_TELEMETRY_DISABLED=1",
		"LATCH_NUXT_BUILD_DIR="+filepath.Join(work, "build"), "LATCH_NUXT_OUTPUT_DIR="+filepath.Join(work, "output"),
		"LATCH_NUXT_AUTH_URL="+authURL)
	cmd.Env = append(cmd.Env, env...)
	begun := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nuxi generate: %v\n%s", err, out)
	}
	t.Logf("nuxi generate: %v", time.Since(begun).Round(time.Millisecond))
	public := filepath.Join(work, "output", "public")
	if _, err := os.Stat(filepath.Join(public, "index.html")); err != nil {
		t.Fatalf("nuxi generate made no index.html: %v", err)
	}
	return public
}

// TestBrowserNuxtAuth: in Chromium, a Nuxt app using the real
// @sidebase/nuxt-auth (authjs provider) against latch serve: useAuth()'s
// status, data and lastRefreshedAt, getCsrfToken, getProviders, signIn
// with wrong and right credentials, getSession and signOut.
func TestBrowserNuxtAuth(t *testing.T) {
	k := needBrowser(t)
	k.staticDir = nuxtApp(t, k, "")
	srv := startLatch(t, k.buildLatch(t))
	res := k.browse(t, srv, "", "", "", nuxtAuthSteps("/"))
	checkNuxtAuth(t, res, srv.origin)
}

// TestBrowserNuxtAuthCrossOrigin: the Nuxt app on its own origin, with
// auth.baseURL set to Latch's full URL (disableInternalRouting), against
// latch serve listing the app's origin in trustedOrigins (CORS with
// credentials).
func TestBrowserNuxtAuthCrossOrigin(t *testing.T) {
	k := needBrowser(t)
	bin := k.buildLatch(t)
	// The app is on another port of the same host: another origin, and
	// the same site, so Latch's SameSite=Lax cookies go with its requests.
	// Its address is in Latch's configuration, and Latch's in its build.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appOrigin := "http://" + ln.Addr().String()
	p := newLatch(t, bin, "trustedOrigins: ["+appOrigin+"]\n")
	app := httptest.NewUnstartedServer(spa(nuxtApp(t, k, p.origin+"/api/auth")))
	app.Listener.Close()
	app.Listener = ln
	app.Start()
	t.Cleanup(app.Close)
	p.start()
	k.allowOrigins = []string{app.URL}
	res := k.browse(t, p, "", "", "", nuxtAuthSteps(app.URL+"/"))
	checkNuxtAuth(t, res, p.origin)
}

// spa serves the static files of dir, and index.html for paths that are
// not files.
func spa(dir string) http.Handler {
	files := http.FileServer(http.Dir(dir))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(path.Clean(r.URL.Path)))); err != nil || fi.IsDir() {
			r.URL.Path = "/"
		}
		files.ServeHTTP(w, r)
	})
}

// nuxtAuthSteps drive useAuth() of the Nuxt app at page.
func nuxtAuthSteps(page string) []step {
	return []step{
		{Name: "home", Op: "goto", URL: page},
		{Name: "ready", Op: "eval", JS: `new Promise(r => { const w = () => window.nuxtAuth ? r(true) : setTimeout(w, 20); w() })`},
		{Name: "signedOut", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "csrf", Op: "eval", JS: `nuxtAuth.getCsrfToken()`},
		{Name: "providers", Op: "eval", JS: `nuxtAuth.getProviders()`},
		{Name: "wrong", Op: "eval", JS: fmt.Sprintf(`nuxtAuth.signIn("credentials", {email: %q, password: "wrong password", redirect: false})`, browserUserEmail)},
		{Name: "stillSignedOut", Op: "text", Selector: "#status"},
		{Name: "right", Op: "eval", JS: fmt.Sprintf(`nuxtAuth.signIn("credentials", {email: %q, password: %q, redirect: false})`, browserUserEmail, browserUserPassword)},
		{Name: "signedIn", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "data", Op: "text", Selector: "#data"},
		{Name: "lastRefreshed", Op: "text", Selector: "#last-refreshed"},
		{Name: "getSession", Op: "eval", JS: `nuxtAuth.getSession()`},
		{Name: "signOut", Op: "eval", JS: `nuxtAuth.signOut({redirect: false}).then(() => true)`},
		{Name: "signedOutAgain", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "dataAfter", Op: "text", Selector: "#data"},
		{Name: "serverSession", Op: "eval", JS: `nuxtAuth.getSession()`},
	}
}

// checkNuxtAuth checks the results of nuxtAuthSteps against Latch at
// origin.
func checkNuxtAuth(t *testing.T, res *browserResult, origin string) {
	t.Helper()
	var csrf string
	res.get(t, "csrf", &csrf)
	if len(csrf) != 64 {
		t.Errorf("getCsrfToken() = %q; want a 64-hex token", csrf)
	}
	var providers map[string]struct{ ID, Type, SigninURL string }
	res.get(t, "providers", &providers)
	if p := providers["credentials"]; p.Type != "credentials" || p.SigninURL != origin+"/api/auth/signin/credentials" {
		t.Errorf("getProviders() = %+v; want the credentials provider", providers)
	}
	var wrong, right struct {
		Error  *string
		OK     bool
		Status int
		URL    *string
	}
	res.get(t, "wrong", &wrong)
	if wrong.Error == nil || *wrong.Error != "CredentialsSignin" {
		t.Errorf("signIn with a wrong password = %+v; want error CredentialsSignin", wrong)
	}
	var status string
	res.get(t, "stillSignedOut", &status)
	if status != "unauthenticated" {
		t.Errorf("status after a wrong password = %q; want unauthenticated", status)
	}
	res.get(t, "right", &right)
	if right.Error != nil || !right.OK || right.URL == nil {
		t.Errorf("signIn with the right password = %+v; want ok, no error, a URL", right)
	}
	var data string
	res.get(t, "data", &data)
	checkSession(t, "useAuth().data", json.RawMessage(data))
	var last string
	res.get(t, "lastRefreshed", &last)
	if last == "" {
		t.Error("lastRefreshedAt is empty after signing in")
	}
	var got json.RawMessage
	res.get(t, "getSession", &got)
	checkSession(t, "getSession()", got)
	res.get(t, "dataAfter", &data)
	if data != "null" {
		t.Errorf("useAuth().data after signOut = %s; want null", data)
	}
	var after any
	res.get(t, "serverSession", &after)
	if m, ok := after.(map[string]any); after != nil && !(ok && len(m) == 0) {
		t.Errorf("getSession() after signOut = %v; want no session", after)
	}
}

// TestBrowserNuxtAuthLocal: in Chromium, the Nuxt app on nuxt-auth's
// local provider (refresh on, rotation on) against latch serve with
// short-lived access tokens: sign up, a wrong password (the 401 the app
// reads), sign in, data, a reload keeping the session, the access token
// expiring and refresh keeping the user signed in, two refreshes racing
// with one refresh token, sign-out, and the old refresh token refused.
func TestBrowserNuxtAuthLocal(t *testing.T) {
	k := needBrowser(t)
	k.staticDir = nuxtApp(t, k, "", "LATCH_NUXT_PROVIDER=local", "LATCH_NUXT_REFRESH=rotate")
	p := newLatch(t, k.buildLatch(t), "local:\n  signUp: true\n  accessTokenTTL: 2s\n  refresh: {rotate: true}\n")
	p.start()
	res := k.browse(t, p, "", "", "", nuxtLocalSteps("/", true))
	checkNuxtLocal(t, res, true)
}

// TestBrowserNuxtAuthLocalNoRefresh: the same app with refresh off
// (nuxt-auth's refresh.isEnabled: false): signing in, data and a reload
// work as with refresh, and when the access token expires the app sees
// the user signed out instead of a broken session.
func TestBrowserNuxtAuthLocalNoRefresh(t *testing.T) {
	k := needBrowser(t)
	k.staticDir = nuxtApp(t, k, "", "LATCH_NUXT_PROVIDER=local", "LATCH_NUXT_REFRESH=off")
	p := newLatch(t, k.buildLatch(t), "local:\n  signUp: true\n  accessTokenTTL: 2s\n")
	p.start()
	res := k.browse(t, p, "", "", "", nuxtLocalSteps("/", false))
	checkNuxtLocal(t, res, false)
}

// TestBrowserNuxtAuthLocalTwoInstances: the rotating-refresh app against
// two latch serve instances sharing PostgreSQL behind a round-robin proxy,
// so that sign-up, sign-in, the session, each refresh (and the two racing
// with one refresh token) and sign-out land on alternating instances.
func TestBrowserNuxtAuthLocalTwoInstances(t *testing.T) {
	k := needBrowser(t)
	dsn, _, _ := sharedBackends(t)
	k.staticDir = nuxtApp(t, k, "", "LATCH_NUXT_PROVIDER=local", "LATCH_NUXT_REFRESH=rotate")
	bin := k.buildLatch(t)
	secret := make([]byte, 32)
	rand.Read(secret)
	var targets []*url.URL
	var nodes []*latchProcess
	proxyPort := freePort(t)
	origin := "http://127.0.0.1:" + strconv.Itoa(proxyPort)
	for i := range 2 {
		p := &latchProcess{t: t, bin: bin, dir: t.TempDir(), port: freePort(t)}
		os.WriteFile(filepath.Join(p.dir, "latch.yaml"), []byte("local:\n  signUp: true\n  accessTokenTTL: 2s\n  refresh: {rotate: true}\n"), 0o600)
		p.env = append(cleanEnv(), "LATCH_DATABASE="+dsn, "LATCH_SECRET="+hex.EncodeToString(secret))
		p.setOrigin(origin)
		t.Cleanup(func() {
			p.kill()
			if t.Failed() {
				t.Logf("instance %d log:\n%s", i, p.stderr.String())
			}
		})
		p.start()
		u, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(p.port))
		targets = append(targets, u)
		nodes = append(nodes, p)
	}
	var next, onSecond atomic.Int64
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		i := next.Add(1) % 2
		onSecond.Add(i)
		pr.SetURL(targets[i])
		pr.Out.Host = pr.In.Host
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(proxyPort))
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: proxy}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	res := k.browse(t, &latchProcess{origin: origin}, "", "", "", nuxtLocalSteps("/", true))
	checkNuxtLocal(t, res, true)
	if n, second := next.Load(), onSecond.Load(); second == 0 || second == n {
		t.Errorf("%d of %d requests reached the second instance; want both to serve", second, n)
	}
}

// nuxtLocalSteps drives the local-provider app; refresh says whether the
// app refreshes (then the steps go on to refreshes, a race and sign-out)
// or not (then they end with the expired session).
func nuxtLocalSteps(page string, refresh bool) []step {
	const user = `{email: "nia@example.com", password: "correct horse battery", name: "Nia"}`
	ready := step{Op: "eval", JS: `new Promise(r => { const w = () => window.nuxtAuth ? r(true) : setTimeout(w, 20); w() })`}
	// expired waits until Latch refuses the current access token.
	const expired = `(async () => {
		for (;;) {
			const res = await fetch("/api/auth/local/session", {headers: {Authorization: nuxtAuth.token.value}})
			if (res.status === 401) return (await res.json()).error
			await new Promise(r => setTimeout(r, 100))
		}
	})()`
	withName := func(s step, name string) step { s.Name = name; return s }
	steps := []step{
		{Name: "home", Op: "goto", URL: page},
		withName(ready, "ready"),
		{Name: "signedOut", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "signUp", Op: "eval", JS: `nuxtAuth.signUp(` + user + `, {preventLoginFlow: true})`},
		{Name: "wrong", Op: "eval", JS: `nuxtAuth.signIn({email: "nia@example.com", password: "wrong password"}, {redirect: false}).then(() => "no error", e => ({status: e.statusCode, data: e.data}))`},
		{Name: "right", Op: "eval", JS: `nuxtAuth.signIn(` + user + `, {redirect: false}).then(r => Object.keys(r).sort())`},
		{Name: "signedIn", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "data", Op: "text", Selector: "#data"},
		{Name: "reload", Op: "goto", URL: page},
		withName(ready, "readyAgain"),
		{Name: "signedInAfterReload", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "dataAfterReload", Op: "text", Selector: "#data"},
		{Name: "expired", Op: "eval", JS: expired},
	}
	if !refresh {
		return append(steps,
			step{Name: "expiredSession", Op: "eval", JS: `nuxtAuth.getSession().then(() => [nuxtAuth.status.value, nuxtAuth.data.value], e => ["error", String(e)])`},
			step{Name: "signedOutAfterExpiry", Op: "waitText", Selector: "#status", Equals: "unauthenticated"})
	}
	return append(steps, []step{
		{Name: "refresh", Op: "eval", JS: `nuxtAuth.refresh().then(() => [nuxtAuth.status.value, nuxtAuth.data.value && nuxtAuth.data.value.email])`},
		{Name: "race", Op: "eval", JS: `Promise.all([nuxtAuth.refresh(), nuxtAuth.refresh()]).then(() => [nuxtAuth.status.value, nuxtAuth.data.value && nuxtAuth.data.value.email])`},
		{Name: "afterRace", Op: "eval", JS: `nuxtAuth.refresh().then(() => [nuxtAuth.status.value, nuxtAuth.data.value && nuxtAuth.data.value.email])`},
		{Name: "signOut", Op: "eval", JS: `(async () => {
			window.oldRefreshToken = nuxtAuth.refreshToken.value
			await nuxtAuth.signOut({redirect: false})
			return true
		})()`},
		{Name: "signedOutAgain", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "oldRefreshToken", Op: "eval", JS: `fetch("/api/auth/local/refresh", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({refreshToken: window.oldRefreshToken})}).then(r => r.status)`},
	}...)
}

func checkNuxtLocal(t *testing.T, res *browserResult, refresh bool) {
	t.Helper()
	var signUp map[string]any
	res.get(t, "signUp", &signUp)
	if signUp["email"] != "nia@example.com" || signUp["name"] != "Nia" {
		t.Errorf("signUp() = %v; want the new user", signUp)
	}
	var wrong struct {
		Status int
		Data   map[string]string
	}
	res.get(t, "wrong", &wrong)
	if wrong.Status != 401 || wrong.Data["error"] != "CredentialsSignin" || wrong.Data["message"] == "" {
		t.Errorf("signIn with a wrong password = %+v; want a 401 with error CredentialsSignin and a message", wrong)
	}
	var keys []string
	res.get(t, "right", &keys)
	if fmt.Sprint(keys) != "[refreshToken token]" {
		t.Errorf("signIn answer keys = %v; want [refreshToken token]", keys)
	}
	for _, name := range []string{"data", "dataAfterReload"} {
		var data string
		res.get(t, name, &data)
		var u map[string]any
		if err := json.Unmarshal([]byte(data), &u); err != nil || u["email"] != "nia@example.com" || u["name"] != "Nia" || u["id"] == "" {
			t.Errorf("%s: useAuth().data = %s; want the flat user", name, data)
		}
	}
	var code string
	res.get(t, "expired", &code)
	if code != "SessionRequired" {
		t.Errorf("expired access token: %q; want SessionRequired", code)
	}
	if !refresh {
		var got []any
		res.get(t, "expiredSession", &got)
		if fmt.Sprint(got) != "[unauthenticated <nil>]" {
			t.Errorf("getSession() with the access token expired and no refresh: [status, data] = %v; want [unauthenticated <nil>]", got)
		}
		return
	}
	for _, name := range []string{"refresh", "race", "afterRace"} {
		var got []any
		res.get(t, name, &got)
		if fmt.Sprint(got) != "[authenticated nia@example.com]" {
			t.Errorf("%s: [status, email] = %v; want [authenticated nia@example.com]", name, got)
		}
	}
	var status int
	res.get(t, "oldRefreshToken", &status)
	if status != 401 {
		t.Errorf("refresh with the signed-out refresh token: %d; want 401", status)
	}
}
