package clientjs_test

// Browser tests: headless Chromium, driven by playwright-core through
// testdata/driver.mjs, loads client.js from a Latch handler on an httptest
// server and uses it as a page would.
//
// They need node, the packages of internal/compat/node (npm ci there) and a
// Chromium (LATCH_CHROMIUM, default /usr/bin/chromium; no browser is ever
// downloaded). When one is missing the tests are skipped, or fail when
// LATCH_TEST_STRICT=1.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/clientjs"
)

const (
	testSecret   = "clientjs-test-secret-0123456789abcdef"
	userEmail    = "j@example.com"
	userPassword = "secret"
)

var chromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run",
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// --- the server ---

// testServer is Latch at /api/auth/ plus the test pages, on 127.0.0.1. It
// counts the session requests it sees and can fail them.
type testServer struct {
	URL   string // http://127.0.0.1:PORT
	Other string // another origin (port) whose page loads client.js from URL

	sessionGets, sessionPosts, updates atomic.Int64
	failSession                        atomic.Bool // drop the connection of session requests

	mu   sync.Mutex
	logs bytes.Buffer
}

func (s *testServer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logs.Write(p)
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	s := &testServer{}
	main := httptest.NewUnstartedServer(nil)
	other := httptest.NewUnstartedServer(nil)
	s.URL = "http://" + main.Listener.Addr().String()
	s.Other = "http://" + other.Listener.Addr().String()
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want 127.0.0.1", s.URL)
	}
	auth, err := latch.New(latch.Config{
		URL:     s.URL + "/api/auth",
		Secrets: []string{testSecret},
		Providers: []latch.Provider{&latch.Credentials{
			Fields: []latch.CredentialField{{Name: "username"}, {Name: "password", Type: "password"}},
			Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
				if c["username"] == "jsmith" && c["password"] == userPassword {
					return &latch.User{ID: "1", Name: "J Smith", Email: userEmail}, nil
				}
				return nil, nil
			},
		}},
		Callbacks: latch.Callbacks{
			// JWT copies the name of a session update into the token.
			JWT: func(_ context.Context, p *latch.JWTParams) (latch.Token, error) {
				if p.Trigger == "update" {
					s.updates.Add(1)
					var d struct {
						Name string `json:"name"`
					}
					if json.Unmarshal(p.UpdateData, &d) == nil && d.Name != "" {
						p.Token["name"] = d.Name
					}
				}
				return p.Token, nil
			},
		},
		TrustedOrigins: []string{s.Other},
		Logger:         slog.New(slog.NewTextHandler(s, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/api/auth/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/auth/session" {
			if r.Method == http.MethodPost {
				s.sessionPosts.Add(1)
			} else {
				s.sessionGets.Add(1)
			}
			if s.failSession.Load() {
				if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
					conn.Close()
					return
				}
			}
		}
		auth.ServeHTTP(w, r)
	}))
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>latch client.js test</title></head><body>\n%s\n</body></html>\n", body)
		}
	}
	mux.HandleFunc("GET /{$}", page(indexPage("/api/auth/client.js")))
	mux.HandleFunc("GET /protected", page(protectedPage))
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	versioned := "/api/auth/client.js?v=" + clientjs.Version()
	mux.HandleFunc("GET /sri", page(sriPage(versioned, clientjs.Integrity)))
	mux.HandleFunc("GET /sri-bad", page(sriPage(versioned, "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")))
	main.Config.Handler = mux
	main.Start()
	t.Cleanup(main.Close)

	otherMux := http.NewServeMux()
	otherMux.HandleFunc("GET /{$}", page(indexPage(s.URL+"/api/auth/client.js")))
	otherMux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	other.Config.Handler = otherMux
	other.Start()
	t.Cleanup(other.Close)
	return s
}

// indexPage keeps the shared session object in window.auth and every state
// it reported in window.states. ?nobc removes BroadcastChannel first.
func indexPage(module string) string {
	return `<p id="status"></p>
<script>if (location.search.includes("nobc")) delete window.BroadcastChannel;</script>
<script type="module">
import { useSession } from "` + module + `";
const auth = useSession();
window.useSession = useSession;
window.auth = auth;
window.states = [];
window.changes = 0;
auth.subscribe((s) => { states.push(s); document.getElementById("status").textContent = s.status; });
auth.addEventListener("change", (e) => { if (e.detail && e.detail.status === auth.status) changes++; });
</script>`
}

const protectedPage = `<p id="who"></p>
<script type="module">
import { useSession } from "/api/auth/client.js";
window.auth = useSession();
const session = await auth.getSession({ required: true });
if (session) document.getElementById("who").textContent = session.user.email;
</script>`

// sriPage imports the versioned module through an import map that pins its
// integrity. (json.Marshal escapes "<", so the map cannot end the script.)
func sriPage(src, integrity string) string {
	m, _ := json.Marshal(map[string]any{
		"imports":   map[string]string{"latch": src},
		"integrity": map[string]string{src: integrity},
	})
	return `<script type="importmap">` + string(m) + `</script>
<script type="module" onerror="window.failed = true">
import { useSession } from "latch";
window.auth = useSession();
</script>`
}

// --- the browser ---

type driver struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr bytes.Buffer
}

// needBrowser starts driver.mjs, or skips the test (fails it when
// LATCH_TEST_STRICT=1) when node, playwright-core or Chromium are missing.
func needBrowser(t *testing.T) *driver {
	t.Helper()
	missing := func(format string, args ...any) {
		t.Helper()
		msg := "browser test needs " + fmt.Sprintf(format, args...)
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatalf("%s (LATCH_TEST_STRICT=1)", msg)
		}
		t.Skipf("%s; skipped (LATCH_TEST_STRICT=1 makes this a failure)", msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node on PATH")
	}
	nodeDir, err := filepath.Abs(filepath.Join("..", "compat", "node"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "playwright-core", "package.json")); err != nil {
		missing("playwright-core in %s/node_modules (run npm ci there)", nodeDir)
	}
	chromium := os.Getenv("LATCH_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	if fi, err := os.Stat(chromium); err != nil || fi.IsDir() {
		missing("Chromium at %s (set LATCH_CHROMIUM)", chromium)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "driver.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(map[string]any{"chromium": chromium, "args": chromiumArgs, "timeoutMs": 10000})

	d := &driver{lines: make(chan string, 1)}
	d.cmd = exec.Command(node, script, string(cfg))
	d.cmd.Dir = nodeDir
	d.cmd.Stderr = &d.stderr
	if d.stdin, err = d.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := d.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			d.lines <- sc.Text()
		}
		close(d.lines)
	}()
	t.Cleanup(func() {
		d.stdin.Close()
		done := make(chan error, 1)
		go func() { done <- d.cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			d.cmd.Process.Kill()
			<-done
		}
	})
	return d
}

// call sends one command and returns its value.
func (d *driver) call(cmd map[string]any) (json.RawMessage, error) {
	b, _ := json.Marshal(cmd)
	if _, err := d.stdin.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("driver: %v; stderr:\n%s", err, d.stderr.String())
	}
	select {
	case line, ok := <-d.lines:
		if !ok {
			return nil, fmt.Errorf("driver exited; stderr:\n%s", d.stderr.String())
		}
		var res struct {
			OK    bool            `json:"ok"`
			Value json.RawMessage `json:"value"`
			Error string          `json:"error"`
		}
		if err := json.Unmarshal([]byte(line), &res); err != nil {
			return nil, fmt.Errorf("driver said %q: %v", line, err)
		}
		if !res.OK {
			return nil, errors.New(res.Error)
		}
		return res.Value, nil
	case <-time.After(40 * time.Second):
		return nil, fmt.Errorf("driver: no answer to %s; stderr:\n%s", b, d.stderr.String())
	}
}

func (d *driver) do(t *testing.T, out any, cmd map[string]any) {
	t.Helper()
	v, err := d.call(cmd)
	if err != nil {
		t.Fatalf("%s %s: %v", cmd["op"], cmd["js"], err)
	}
	if out != nil {
		if err := json.Unmarshal(v, out); err != nil {
			t.Fatalf("%s %s: result %s: %v", cmd["op"], cmd["js"], v, err)
		}
	}
}

// eval evaluates js in page and decodes its value into out (if not nil).
func (d *driver) eval(t *testing.T, page, js string, out any) {
	t.Helper()
	d.do(t, out, map[string]any{"op": "eval", "page": page, "js": js})
}

// waitFor waits until js is truthy in page.
func (d *driver) waitFor(t *testing.T, page, js string) {
	t.Helper()
	d.do(t, nil, map[string]any{"op": "waitFor", "page": page, "js": js})
}

func (d *driver) open(t *testing.T, page, context, url string) {
	t.Helper()
	var res struct{ Status int }
	d.do(t, &res, map[string]any{"op": "open", "page": page, "context": context, "url": url})
	if res.Status != http.StatusOK {
		t.Fatalf("open %s: HTTP %d", url, res.Status)
	}
}

func (d *driver) goTo(t *testing.T, page, url string) {
	t.Helper()
	d.do(t, nil, map[string]any{"op": "goto", "page": page, "url": url})
}

// evalNavigate runs js, which must navigate, and returns where the page went.
func (d *driver) evalNavigate(t *testing.T, page, js string) *url.URL {
	t.Helper()
	var res struct{ URL string }
	d.do(t, &res, map[string]any{"op": "evalNavigate", "page": page, "js": js})
	u, err := url.Parse(res.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// loaded waits until page's session object has finished its first fetch.
func (d *driver) loaded(t *testing.T, page string) {
	t.Helper()
	d.waitFor(t, page, `window.auth && auth.status !== "loading"`)
}

func (d *driver) status(t *testing.T, page string) string {
	t.Helper()
	var s string
	d.eval(t, page, "auth.status", &s)
	return s
}

// signInResult is what signIn resolves to with redirect: false.
type signInResult struct {
	Error  *string `json:"error"`
	Status int     `json:"status"`
	OK     bool    `json:"ok"`
	URL    *string `json:"url"`
}

func signInJS(password string) string {
	return fmt.Sprintf(`auth.signIn("credentials", {redirect: false, username: "jsmith", password: %q})`, password)
}

const visibleJS = `Object.defineProperty(document, "visibilityState", {value: "visible", configurable: true});
document.dispatchEvent(new Event("visibilitychange"))`

// eventually polls cond for up to 5 s.
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

func TestBrowser(t *testing.T) {
	d := needBrowser(t)
	s := newTestServer(t)
	t.Cleanup(func() {
		if t.Failed() {
			if v, err := d.call(map[string]any{"op": "logs"}); err == nil {
				t.Logf("browser logs: %s", v)
			}
			s.mu.Lock()
			t.Logf("server logs:\n%s", s.logs.String())
			s.mu.Unlock()
		}
	})
	step := func(name string, f func(t *testing.T)) {
		if !t.Run(name, f) {
			t.FailNow() // later steps build on this one
		}
	}

	step("initial state", func(t *testing.T) {
		d.open(t, "A", "main", s.URL+"/")
		d.loaded(t, "A")
		var states []struct {
			Status string
			Data   string
			At     string
		}
		d.eval(t, "A", `states.map((s) => ({
			status: s.status,
			data: s.data === undefined ? "undefined" : JSON.stringify(s.data),
			at: s.lastRefreshedAt ? s.lastRefreshedAt.toISOString() : ""}))`, &states)
		var seq []string
		for _, st := range states {
			if len(seq) == 0 || seq[len(seq)-1] != st.Status {
				seq = append(seq, st.Status)
			}
		}
		if strings.Join(seq, ",") != "loading,unauthenticated" {
			t.Errorf("status sequence %v, want loading then unauthenticated; states %+v", seq, states)
		}
		if len(states) == 0 || states[0].Data != "undefined" {
			t.Errorf("data before the first answer: %+v, want undefined", states)
		}
		last := states[len(states)-1]
		if last.Data != "null" || last.At == "" {
			t.Errorf("after the first answer: data %s, lastRefreshedAt %q; want null and a date", last.Data, last.At)
		}
		if at, err := time.Parse(time.RFC3339, last.At); err != nil || time.Since(at) > time.Minute || time.Since(at) < -time.Minute {
			t.Errorf("lastRefreshedAt %q is not now", last.At)
		}
		if n := s.sessionGets.Load(); n != 1 {
			t.Errorf("the page sent %d session requests, want 1", n)
		}

		var misc struct {
			Same, SameByPath, SameByURL, IsTarget bool
			Changes                               int
			Csrf                                  string
			Providers                             map[string]struct{ ID, Type string }
			Keys                                  []string
		}
		d.eval(t, "A", `(async () => ({
			same: useSession() === auth,
			sameByPath: useSession({basePath: "/api/auth"}) === auth,
			sameByURL: useSession({basePath: location.origin + "/api/auth/"}) === auth,
			isTarget: auth instanceof EventTarget,
			changes,
			csrf: await auth.getCsrfToken(),
			providers: await auth.getProviders(),
		}))()`, &misc)
		if !misc.Same || !misc.SameByPath || !misc.SameByURL {
			t.Errorf("useSession() calls for one base path do not share one object: %+v", misc)
		}
		if !misc.IsTarget || misc.Changes == 0 {
			t.Errorf("EventTarget %v, change events %d", misc.IsTarget, misc.Changes)
		}
		if len(misc.Csrf) != 64 {
			t.Errorf("getCsrfToken() = %q", misc.Csrf)
		}
		if p := misc.Providers["credentials"]; p.ID != "credentials" || p.Type != "credentials" {
			t.Errorf("getProviders() = %+v", misc.Providers)
		}
	})

	step("session required while signed out", func(t *testing.T) {
		var called string
		d.eval(t, "A", `new Promise((resolve) => auth.getSession({required: true, onUnauthenticated: () => resolve("called")}))`, &called)
		if called != "called" {
			t.Errorf("onUnauthenticated: %q", called)
		}

		u := d.evalNavigate(t, "A", `auth.getSession({required: true, callbackUrl: "/protected"})`)
		if u.Path != "/api/auth/signin" || u.RawQuery != "callbackUrl=%2Fprotected" {
			t.Errorf("getSession({required}) went to %s, want /api/auth/signin?callbackUrl=%%2Fprotected", u)
		}
		d.goTo(t, "A", s.URL+"/")
		d.loaded(t, "A")
		u = d.evalNavigate(t, "A", `auth.signIn()`)
		if u.Path != "/api/auth/signin" || u.Query().Get("callbackUrl") != s.URL+"/" {
			t.Errorf("signIn() went to %s, want the sign-in page with callbackUrl=%s/", u, s.URL)
		}
		d.goTo(t, "A", s.URL+"/")
		d.loaded(t, "A")
		u = d.evalNavigate(t, "A", `auth.signIn("nope", {callbackUrl: "/x"})`)
		if u.Path != "/api/auth/signin" || u.Query().Get("callbackUrl") != "/x" {
			t.Errorf("signIn(unknown) went to %s", u)
		}

		d.open(t, "P", "main", s.URL+"/protected")
		var res struct{ URL string }
		d.do(t, &res, map[string]any{"op": "waitURL", "page": "P", "url": `/api/auth/signin\?`})
		if u, _ := url.Parse(res.URL); u.Query().Get("callbackUrl") != s.URL+"/protected" {
			t.Errorf("/protected signed out went to %s, want the sign-in page with callbackUrl=%s/protected", res.URL, s.URL)
		}
		d.goTo(t, "A", s.URL+"/")
		d.loaded(t, "A")
	})

	step("signIn wrong password", func(t *testing.T) {
		var r signInResult
		d.eval(t, "A", signInJS("wrong"), &r)
		if r.Error == nil || *r.Error != "CredentialsSignin" || r.Status != 401 || r.OK || r.URL != nil {
			t.Errorf("signIn(wrong) = %s, want {error: CredentialsSignin, status: 401, ok: false, url: null}", js(r))
		}
		if st := d.status(t, "A"); st != "unauthenticated" {
			t.Errorf("status %s after a failed sign-in", st)
		}
	})

	step("signIn", func(t *testing.T) {
		n := len(evalStates(t, d, "A"))
		var r signInResult
		d.eval(t, "A", signInJS(userPassword), &r)
		if r.Error != nil || r.Status != 200 || !r.OK || r.URL == nil || *r.URL != s.URL+"/" {
			t.Errorf("signIn(right) = %s, want {error: null, status: 200, ok: true, url: %q}", js(r), s.URL+"/")
		}
		var got struct {
			Status string
			Email  string
		}
		d.eval(t, "A", `({status: auth.status, email: auth.data && auth.data.user.email})`, &got)
		if got.Status != "authenticated" || got.Email != userEmail {
			t.Errorf("after signIn: %+v", got)
		}
		for _, st := range evalStates(t, d, "A")[n:] {
			if st == "loading" {
				t.Errorf("status went back to loading during a refetch")
			}
		}
		d.goTo(t, "P", s.URL+"/protected")
		d.waitFor(t, "P", `document.getElementById("who").textContent === "`+userEmail+`"`)
	})

	step("tabs stay in sync", func(t *testing.T) {
		d.open(t, "B", "main", s.URL+"/")
		d.loaded(t, "B")
		if st := d.status(t, "B"); st != "authenticated" {
			t.Fatalf("second tab: %s", st)
		}
		d.eval(t, "B", `window.marker = "no reload"`, nil)
		var out struct{ URL string }
		d.eval(t, "A", `auth.signOut({redirect: false})`, &out)
		if out.URL != s.URL+"/" {
			t.Errorf("signOut({redirect: false}) = %+v, want {url: %q}", out, s.URL+"/")
		}
		if st := d.status(t, "A"); st != "unauthenticated" {
			t.Errorf("tab A after signOut: %s", st)
		}
		d.waitFor(t, "B", `auth.status === "unauthenticated" && auth.data === null`)
		var marker string
		d.eval(t, "B", `window.marker`, &marker)
		if marker != "no reload" {
			t.Errorf("tab B reloaded")
		}

		var r signInResult
		d.eval(t, "B", signInJS(userPassword), &r)
		if !r.OK {
			t.Fatalf("signIn in tab B: %s", js(r))
		}
		d.waitFor(t, "A", `auth.status === "authenticated" && auth.data.user.email === "`+userEmail+`"`)
	})

	step("tabs without BroadcastChannel", func(t *testing.T) {
		d.open(t, "C1", "fallback", s.URL+"/?nobc")
		d.open(t, "C2", "fallback", s.URL+"/?nobc")
		d.loaded(t, "C1")
		d.loaded(t, "C2")
		var hasBC bool
		d.eval(t, "C1", `typeof BroadcastChannel === "function"`, &hasBC)
		if hasBC {
			t.Fatal("?nobc did not remove BroadcastChannel")
		}
		var r signInResult
		d.eval(t, "C1", signInJS(userPassword), &r)
		if !r.OK {
			t.Fatalf("signIn: %s", js(r))
		}
		d.waitFor(t, "C2", `auth.status === "authenticated"`)
		var msg struct {
			Event string
			Data  struct{ Trigger string }
			Time  any `json:"timestamp"`
		}
		d.eval(t, "C1", `JSON.parse(localStorage.getItem("nextauth.message"))`, &msg)
		if ts, ok := msg.Time.(float64); msg.Event != "session" || msg.Data.Trigger != "signIn" || !ok || ts < 1e9 || ts > 1e10 {
			t.Errorf("nextauth.message = %+v, want {event: session, data: {trigger: signIn}, timestamp: <unix seconds>}", msg)
		}
		d.eval(t, "C2", `auth.signOut({redirect: false})`, nil)
		d.waitFor(t, "C1", `auth.status === "unauthenticated"`)
	})

	step("refetch on focus", func(t *testing.T) {
		var before int64
		d.eval(t, "A", `auth.lastRefreshedAt.getTime()`, &before)
		gets := s.sessionGets.Load()
		n := len(evalStates(t, d, "A"))
		time.Sleep(5 * time.Millisecond)
		d.eval(t, "A", visibleJS, nil)
		d.waitFor(t, "A", fmt.Sprintf(`auth.lastRefreshedAt.getTime() > %d`, before))
		if !eventually(func() bool { return s.sessionGets.Load() > gets }) {
			t.Errorf("no session request after visibilitychange")
		}
		d.waitFor(t, "A", `states.length > `+fmt.Sprint(n+1))
		for _, st := range evalStates(t, d, "A")[n:] {
			if st != "authenticated" {
				t.Errorf("status %s during a refetch on focus", st)
			}
		}

		// Signed out (tab C1): no refetch.
		d.eval(t, "C1", `auth.lastRefreshedAt.getTime()`, &before)
		gets = s.sessionGets.Load()
		d.eval(t, "C1", visibleJS, nil)
		time.Sleep(300 * time.Millisecond)
		var after int64
		d.eval(t, "C1", `auth.lastRefreshedAt.getTime()`, &after)
		if after != before || s.sessionGets.Load() != gets {
			t.Errorf("a signed-out page refetched on focus")
		}
	})

	step("failed refetch keeps the session", func(t *testing.T) {
		s.failSession.Store(true)
		var res string
		d.eval(t, "A", `auth.getSession().then(() => "resolved", (e) => "rejected: " + e.message)`, &res)
		if !strings.HasPrefix(res, "rejected") {
			t.Errorf("getSession() while the server drops connections: %s", res)
		}
		var before int64
		d.eval(t, "A", `auth.lastRefreshedAt.getTime()`, &before)
		time.Sleep(5 * time.Millisecond)
		d.eval(t, "A", visibleJS, nil)
		d.waitFor(t, "A", fmt.Sprintf(`auth.lastRefreshedAt.getTime() > %d`, before))
		time.Sleep(200 * time.Millisecond)
		s.failSession.Store(false)
		var got struct{ Status, Email string }
		d.eval(t, "A", `({status: auth.status, email: auth.data && auth.data.user.email})`, &got)
		if got.Status != "authenticated" || got.Email != userEmail {
			t.Errorf("after failed refetches: %+v, want the last known session", got)
		}
	})

	step("update", func(t *testing.T) {
		var sess struct {
			User struct{ Name, Email string }
		}
		d.eval(t, "A", `auth.update({name: "New Name"})`, &sess)
		if sess.User.Name != "New Name" || sess.User.Email != userEmail {
			t.Errorf("update() = %+v", sess)
		}
		if s.updates.Load() != 1 || s.sessionPosts.Load() != 1 {
			t.Errorf("JWT callback saw %d updates; server saw %d session POSTs; want 1 and 1", s.updates.Load(), s.sessionPosts.Load())
		}
		var name string
		d.eval(t, "A", `auth.data.user.name`, &name)
		if name != "New Name" {
			t.Errorf("data.user.name = %q after update", name)
		}
		d.waitFor(t, "B", `auth.data && auth.data.user.name === "New Name"`)
		d.eval(t, "A", `auth.getSession().then((s) => s.user.name)`, &name)
		if name != "New Name" {
			t.Errorf("a later session read says name %q: the update did not stick", name)
		}
	})

	step("signOut with redirect", func(t *testing.T) {
		u := d.evalNavigate(t, "A", `auth.signOut({callbackUrl: "/?bye"})`)
		if u.String() != s.URL+"/?bye" {
			t.Errorf("signOut() went to %s, want %s/?bye", u, s.URL)
		}
		d.loaded(t, "A")
		if st := d.status(t, "A"); st != "unauthenticated" {
			t.Errorf("after signOut: %s", st)
		}
		d.waitFor(t, "B", `auth.status === "unauthenticated"`)
	})

	step("polling", func(t *testing.T) {
		d.open(t, "Q", "poll", s.URL+"/")
		d.loaded(t, "Q")
		var same bool
		d.eval(t, "Q", `useSession({refetchInterval: 100}) === auth`, &same)
		if !same {
			t.Error("useSession({refetchInterval}) returned another object")
		}
		gets := s.sessionGets.Load()
		time.Sleep(400 * time.Millisecond)
		if n := s.sessionGets.Load() - gets; n != 0 {
			t.Errorf("polled %d times while signed out", n)
		}
		var r signInResult
		d.eval(t, "Q", signInJS(userPassword), &r)
		// Polls come, at most one per interval: wait for 5 (however
		// slowly a loaded machine runs the page's timers), then check
		// they did not come faster than the interval allows.
		gets = s.sessionGets.Load()
		begun := time.Now()
		deadline := begun.Add(30 * time.Second)
		for s.sessionGets.Load()-gets < 5 {
			if time.Now().After(deadline) {
				t.Fatalf("%d session requests in 30 s with refetchInterval 100 ms; want polling", s.sessionGets.Load()-gets)
			}
			time.Sleep(10 * time.Millisecond)
		}
		elapsed := time.Since(begun)
		if n := s.sessionGets.Load() - gets; n > int64(elapsed/(100*time.Millisecond))+3 {
			t.Errorf("%d session requests in %v with refetchInterval 100 ms: faster than the interval", n, elapsed)
		}
		if st := d.status(t, "Q"); st != "authenticated" {
			t.Errorf("status %s while polling", st)
		}
		d.eval(t, "Q", `auth.signOut({redirect: false})`, nil)
		// Polls already under way may still land: wait until the page
		// knows it is signed out, and a little more, before counting.
		d.waitFor(t, "Q", `auth.status === "unauthenticated"`)
		time.Sleep(300 * time.Millisecond)
		gets = s.sessionGets.Load()
		time.Sleep(500 * time.Millisecond)
		if n := s.sessionGets.Load() - gets; n != 0 {
			t.Errorf("polled %d times after signing out", n)
		}
	})

	step("versioned URL with integrity", func(t *testing.T) {
		d.open(t, "S", "main", s.URL+"/sri")
		d.waitFor(t, "S", `window.auth || window.failed`)
		var failed bool
		d.eval(t, "S", `!!window.failed`, &failed)
		if failed {
			t.Fatal("the import map with Integrity refused the module")
		}
		d.loaded(t, "S")
		if st := d.status(t, "S"); st != "unauthenticated" {
			t.Errorf("status %s (base path from a ?v= URL)", st)
		}
		d.open(t, "S2", "main", s.URL+"/sri-bad")
		d.waitFor(t, "S2", `window.auth || window.failed`)
		d.eval(t, "S2", `!!window.failed`, &failed)
		if !failed {
			t.Error("a wrong integrity was not enforced, so the check above proves nothing")
		}
	})

	step("another origin", func(t *testing.T) {
		d.open(t, "X", "other", s.Other+"/")
		d.loaded(t, "X")
		if st := d.status(t, "X"); st != "unauthenticated" {
			t.Fatalf("status %s", st)
		}
		var r signInResult
		d.eval(t, "X", signInJS(userPassword), &r)
		if r.Error != nil || !r.OK || r.URL == nil || *r.URL != s.Other+"/" {
			t.Errorf("signIn from %s = %s", s.Other, js(r))
		}
		var got struct{ Status, Email string }
		d.eval(t, "X", `({status: auth.status, email: auth.data && auth.data.user.email})`, &got)
		if got.Status != "authenticated" || got.Email != userEmail {
			t.Fatalf("after signIn from another origin: %+v", got)
		}
		var name string
		d.eval(t, "X", `auth.update({name: "Other Origin"}).then((s) => s.user.name)`, &name)
		if name != "Other Origin" {
			t.Errorf("update from another origin: name %q", name)
		}
		d.eval(t, "X", `auth.signOut({redirect: false})`, nil)
		if st := d.status(t, "X"); st != "unauthenticated" {
			t.Errorf("after signOut: %s", st)
		}
	})
}

func evalStates(t *testing.T, d *driver, page string) []string {
	t.Helper()
	var st []string
	d.eval(t, page, `states.map((s) => s.status)`, &st)
	return st
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
