package main

// Real-browser tests: the latch binary runs as its own process and headless
// Chromium, driven by playwright-core (testdata/browser/run.mjs), signs in
// through the real next-auth/react client and through the demo page.
//
// They need node, the packages of internal/compat/node (npm ci there) and a
// Chromium (LATCH_CHROMIUM, default /usr/bin/chromium; no browser is ever
// downloaded). When one is missing the tests are skipped, or fail when
// LATCH_TEST_STRICT=1.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// chromiumArgs are the flags Chromium runs with in these tests.
var chromiumArgs = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run",
}

const (
	browserUserEmail    = "ann@example.com"
	browserUserName     = "Ann Example"
	browserUserPassword = "correct horse battery staple"

	// browserRunTimeout bounds one run of run.mjs (Chromium start included).
	browserRunTimeout = 45 * time.Second
)

// browserKit is what the browser tests run: node with the packages of
// internal/compat/node, the scripts in testdata/browser and Chromium.
type browserKit struct {
	node        string
	nodeModules string // internal/compat/node/node_modules
	scripts     string // testdata/browser
	chromium    string
	pkgDir      string // this package's directory, for go build
	// allowOrigins are origins besides Latch's the page may reach.
	allowOrigins []string
	// extraArgs are Chromium flags besides chromiumArgs (e.g. host
	// resolver rules); ignoreHTTPSErrors accepts the test's own TLS
	// certificates.
	extraArgs         []string
	ignoreHTTPSErrors bool
	// staticDir is a static site served on Latch's origin for every path
	// outside /api/auth/ (see run.mjs).
	staticDir string
}

// needBrowser returns the kit, or skips the test (fails it when
// LATCH_TEST_STRICT=1) when node, the node packages or Chromium are missing.
func needBrowser(t *testing.T) *browserKit {
	t.Helper()
	k, err := findBrowserKit()
	if err != nil {
		msg := "browser test: " + err.Error()
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatalf("%s (LATCH_TEST_STRICT=1)", msg)
		}
		t.Skipf("%s (set LATCH_TEST_STRICT=1 to make this a failure)", msg)
	}
	return k
}

func findBrowserKit() (*browserKit, error) {
	pkgDir, err := filepath.Abs(".")
	if err != nil {
		return nil, err
	}
	k := &browserKit{
		pkgDir:      pkgDir,
		scripts:     filepath.Join(pkgDir, "testdata", "browser"),
		nodeModules: filepath.Join(pkgDir, "..", "..", "internal", "compat", "node", "node_modules"),
	}
	const npmHint = "install them with: cd internal/compat/node && npm ci"
	if k.node, err = exec.LookPath("node"); err != nil {
		return nil, fmt.Errorf("node is not on PATH (Node.js 20 or later is needed to drive Chromium through playwright-core)")
	}
	for _, pkg := range []string{"playwright-core", "esbuild", "next-auth", "react", "react-dom"} {
		if _, err := os.Stat(filepath.Join(k.nodeModules, pkg, "package.json")); err != nil {
			return nil, fmt.Errorf("the node package %s is not installed in %s; %s", pkg, k.nodeModules, npmHint)
		}
	}
	k.chromium = os.Getenv("LATCH_CHROMIUM")
	if k.chromium == "" {
		k.chromium = "/usr/bin/chromium"
	}
	fi, err := os.Stat(k.chromium)
	if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("no Chromium executable at %s (install Debian's chromium package, or set LATCH_CHROMIUM to a Chromium binary)", k.chromium)
	}
	return k, nil
}

// buildLatch builds this command into a temporary directory.
func (k *browserKit) buildLatch(t *testing.T) string {
	t.Helper()
	return buildLatchIn(t, k.pkgDir)
}

// buildLatchIn builds the latch command found in pkgDir.
func buildLatchIn(t *testing.T, pkgDir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go is not on PATH to build the latch binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "latch")
	start := time.Now()
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Dir = pkgDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", bin, time.Since(start).Round(time.Millisecond))
	return bin
}

// bundle bundles testdata/browser/client.js with the real next-auth/react
// for a server whose auth API is at authURL.
func (k *browserKit) bundle(t *testing.T, authURL string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "client.js")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.node, filepath.Join(k.scripts, "build.mjs"), out, authURL)
	cmd.Env = append(os.Environ(), "LATCH_NODE_MODULES="+k.nodeModules)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("esbuild bundle of client.js: %v\n%s", err, b)
	}
	return out
}

// lockedBuffer is a bytes.Buffer safe for a process writing while the test
// reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// latchProcess is `latch serve` running as a child process on a fixed
// port, with its own database and secret, so that it can be stopped and
// started again as the same server.
type latchProcess struct {
	t      *testing.T
	bin    string
	dir    string
	port   int
	origin string // http://127.0.0.1:PORT
	env    []string
	stderr lockedBuffer // every run's log, in order
	runs   int

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// startLatch starts a server with a new database holding the test user.
func startLatch(t *testing.T, bin string) *latchProcess {
	t.Helper()
	p := newLatch(t, bin, "")
	p.start()
	return p
}

// newLatch prepares `latch serve` on a free port of 127.0.0.1, not yet
// started: a new data folder with yaml as its latch.yaml ("" for none), a
// new database holding the test user, a new secret, and env added to the
// environment. Its public origin is http://127.0.0.1:PORT until setOrigin.
func newLatch(t *testing.T, bin, yaml string, env ...string) *latchProcess {
	t.Helper()
	p := &latchProcess{t: t, bin: bin, dir: t.TempDir(), port: freePort(t)}
	secret := make([]byte, 32)
	rand.Read(secret)
	p.env = append(append(cleanEnv(),
		"LATCH_DATABASE="+filepath.Join(p.dir, "latch.db"),
		"LATCH_SECRET="+hex.EncodeToString(secret),
	), env...)
	p.setOrigin("http://127.0.0.1:" + strconv.Itoa(p.port))
	if yaml != "" {
		if err := os.WriteFile(filepath.Join(p.dir, "latch.yaml"), []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("latch server log (stderr):\n%s", p.stderr.String())
		}
	})
	p.latch(browserUserPassword+"\n", "user", "add", "--email", browserUserEmail, "--name", browserUserName)
	return p
}

// setOrigin makes origin the server's public origin (LATCH_URL is
// origin/api/auth), e.g. that of a proxy in front of it.
func (p *latchProcess) setOrigin(origin string) {
	p.origin = origin
	p.env = slices.DeleteFunc(p.env, func(kv string) bool { return strings.HasPrefix(kv, "LATCH_URL=") })
	p.env = append(p.env, "LATCH_URL="+origin+"/api/auth")
}

// cleanEnv is the environment without any setting latch would read.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "LATCH_") || strings.HasPrefix(k, "NEXTAUTH_") || strings.HasPrefix(k, "AUTH_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// latch runs a non-server latch command with the server's settings.
func (p *latchProcess) latch(stdin string, args ...string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.bin, args...)
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		p.t.Fatalf("latch %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// start runs `latch serve` and waits for its first line.
func (p *latchProcess) start() {
	t := p.t
	t.Helper()
	p.runs++
	fmt.Fprintf(&p.stderr, "--- latch serve, run %d ---\n", p.runs)
	cmd := exec.Command(p.bin, "serve", "--addr", "127.0.0.1:"+strconv.Itoa(p.port))
	cmd.Dir, cmd.Env = p.dir, p.env
	cmd.Stderr = &p.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	begun := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start latch serve: %v", err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
	}()
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	select {
	case line := <-lines:
		want := fmt.Sprintf("Latch is listening on 127.0.0.1:%d — open %s/\n", p.port, p.origin)
		if line == "" {
			<-p.done
			t.Fatalf("latch serve exited (%v) before printing its address; log:\n%s", cmd.ProcessState, p.stderr.String())
		}
		if line != want {
			t.Errorf("first line of latch serve = %q, want %q", line, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("latch serve printed nothing in 15s; log:\n%s", p.stderr.String())
	}
	t.Logf("latch serve (run %d) listening on %s after %v", p.runs, p.origin, time.Since(begun).Round(time.Millisecond))
}

// stop ends the server as SIGINT does and expects a clean exit.
func (p *latchProcess) stop() {
	t := p.t
	t.Helper()
	if p.cmd == nil {
		return
	}
	begun := time.Now()
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			t.Errorf("latch serve exited with code %d on SIGINT, want 0", code)
		}
	case <-time.After(15 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Errorf("latch serve did not stop within 15s of SIGINT; killed")
	}
	t.Logf("latch serve (run %d) stopped in %v", p.runs, time.Since(begun).Round(time.Millisecond))
	p.cmd = nil
}

// restart stops the server and starts it again on the same port, database
// and secret.
func (p *latchProcess) restart() {
	p.t.Helper()
	p.stop()
	p.start()
}

func (p *latchProcess) kill() {
	if p.cmd == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
	p.cmd = nil
}

// step is one step of a run.mjs plan; see the comment at its top.
type step struct {
	Name     string `json:"name"`
	Op       string `json:"op"`
	JS       string `json:"js,omitempty"`
	URL      string `json:"url,omitempty"`
	Selector string `json:"selector,omitempty"`
	Value    string `json:"value,omitempty"`
	Equals   string `json:"equals,omitempty"`
	Wait     string `json:"wait,omitempty"` // click: "url" (to another URL) or "load" (any new document)
	Path     string `json:"path,omitempty"`
	FullPage bool   `json:"fullPage,omitempty"`
}

type browserPlan struct {
	Chromium        string   `json:"chromium"`
	Args            []string `json:"args"`
	Origin          string   `json:"origin"`
	AllowOrigins    []string `json:"allowOrigins,omitempty"`
	IgnoreHTTPS     bool     `json:"ignoreHTTPSErrors,omitempty"`
	StaticDir       string   `json:"staticDir,omitempty"`
	Bundle          string   `json:"bundle"`
	StorageStateIn  string   `json:"storageStateIn,omitempty"`
	StorageStateOut string   `json:"storageStateOut,omitempty"`
	TimeoutMs       int      `json:"timeoutMs"`
	Steps           []step   `json:"steps"`
}

type browserResult struct {
	OK      bool                       `json:"ok"`
	Results map[string]json.RawMessage `json:"results"`
	Timings map[string]int             `json:"timings"`
	Error   *struct {
		Step    string `json:"step"`
		Message string `json:"message"`
	} `json:"error"`
	Console    []string `json:"console"`
	PageErrors []string `json:"pageErrors"`
	Blocked    []string `json:"blocked"`
	FinalURL   string   `json:"finalURL"`
}

// get decodes the value of the named step into v.
func (r *browserResult) get(t *testing.T, name string, v any) {
	t.Helper()
	raw, ok := r.Results[name]
	if !ok {
		t.Fatalf("no result for step %q", name)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("step %q: cannot decode %s: %v", name, raw, err)
	}
}

// browse runs the steps in a fresh headless Chromium against srv. The test
// fails at once when a step does; every request to another origin than
// srv's is blocked and fails the test too.
func (k *browserKit) browse(t *testing.T, srv *latchProcess, bundle, stateIn, stateOut string, steps []step) *browserResult {
	t.Helper()
	plan, err := json.Marshal(browserPlan{
		Chromium: k.chromium, Args: append(slices.Clone(chromiumArgs), k.extraArgs...), Origin: srv.origin, AllowOrigins: k.allowOrigins,
		IgnoreHTTPS: k.ignoreHTTPSErrors, StaticDir: k.staticDir, Bundle: bundle,
		StorageStateIn: stateIn, StorageStateOut: stateOut, TimeoutMs: 10000, Steps: steps,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), browserRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.node, filepath.Join(k.scripts, "run.mjs"))
	cmd.Env = append(os.Environ(), "LATCH_NODE_MODULES="+k.nodeModules)
	cmd.Stdin = bytes.NewReader(plan)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// On timeout, SIGTERM first: playwright-core then closes Chromium.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 3 * time.Second
	begun := time.Now()
	runErr := cmd.Run()
	elapsed := time.Since(begun).Round(time.Millisecond)
	var res browserResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		if ctx.Err() != nil {
			runErr = fmt.Errorf("timed out after %v", browserRunTimeout)
		}
		t.Fatalf("run.mjs: %v; no result (%v)\nstdout: %s\nstderr: %s", runErr, err, stdout.String(), stderr.String())
	}
	t.Logf("browser run: %d steps in %v; step timings (ms): %v", len(res.Results), elapsed, res.Timings)
	if len(res.Console) > 0 || len(res.PageErrors) > 0 {
		t.Logf("browser console: %q; page errors: %q", res.Console, res.PageErrors)
	}
	if res.Error != nil || !res.OK {
		msg := "(no message)"
		step := ""
		if res.Error != nil {
			msg, step = res.Error.Message, res.Error.Step
		}
		t.Fatalf("browser step %q failed: %s\npage URL: %s\nresults so far: %s\nnode stderr: %s", step, msg, res.FinalURL, compact(res.Results), stderr.String())
	}
	if len(res.Blocked) > 0 {
		t.Errorf("the page tried to reach other origins than %s: %q", srv.origin, res.Blocked)
	}
	return &res
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// session is the JSON of GET /api/auth/session as next-auth/react returns it.
type session struct {
	User    map[string]any `json:"user"`
	Expires string         `json:"expires"`
}

var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// checkSession checks s is the test user's session expiring in 30 days.
func checkSession(t *testing.T, what string, raw json.RawMessage) {
	t.Helper()
	var top map[string]json.RawMessage
	var s session
	if err := json.Unmarshal(raw, &top); err != nil || json.Unmarshal(raw, &s) != nil {
		t.Errorf("%s: getSession() = %s, want a session object", what, raw)
		return
	}
	if keys := sortedKeys(top); !slices.Equal(keys, []string{"expires", "user"}) {
		t.Errorf("%s: session keys %v, want [expires user]: %s", what, keys, raw)
	}
	if s.User["name"] != browserUserName || s.User["email"] != browserUserEmail {
		t.Errorf("%s: session user = %v, want name %q, email %q", what, s.User, browserUserName, browserUserEmail)
	}
	for k, v := range s.User {
		if k != "name" && k != "email" && !(k == "image" && v == nil) {
			t.Errorf("%s: unexpected session user field %q = %v", what, k, v)
		}
	}
	if !isoMillis.MatchString(s.Expires) {
		t.Errorf("%s: expires = %q, want ISO-8601 UTC with milliseconds", what, s.Expires)
	}
	exp, err := time.Parse(time.RFC3339Nano, s.Expires)
	if err != nil {
		t.Errorf("%s: expires %q: %v", what, s.Expires, err)
		return
	}
	if d := exp.Sub(time.Now().Add(30 * 24 * time.Hour)); d < -time.Minute || d > time.Minute {
		t.Errorf("%s: expires = %s, %v away from now + 30 days; want within a minute", what, s.Expires, d.Round(time.Second))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func hasCookie(t *testing.T, res *browserResult, step, name string) bool {
	t.Helper()
	var cookies []struct{ Name string }
	res.get(t, step, &cookies)
	return slices.ContainsFunc(cookies, func(c struct{ Name string }) bool { return c.Name == name })
}

// signInResponse is what next-auth/react's signIn and signOut resolve to.
type signInResponse struct {
	Error  *string `json:"error"`
	Status int     `json:"status"`
	OK     bool    `json:"ok"`
	URL    *string `json:"url"`
}

func (r signInResponse) String() string { return compact(r) }

func js(format string, args ...any) string {
	quoted := make([]any, len(args))
	for i, a := range args {
		b, _ := json.Marshal(a)
		quoted[i] = string(b)
	}
	return fmt.Sprintf(format, quoted...)
}

// TestBrowserNextAuthReact signs in and out with the real next-auth/react
// client in headless Chromium, across a restart of the server.
func TestBrowserNextAuthReact(t *testing.T) {
	k := needBrowser(t)
	begun := time.Now()
	srv := startLatch(t, k.buildLatch(t))
	authURL := srv.origin + "/api/auth"
	bundle := k.bundle(t, authURL)
	state := filepath.Join(t.TempDir(), "storage-state.json")
	testPage := srv.origin + "/__test/"

	signIn := func(password string, extra string) string {
		return js(`window.nextAuth.signIn("credentials", {redirect: false, email: %s, password: %s`+extra+`})`, browserUserEmail, password)
	}
	res := k.browse(t, srv, bundle, "", state, []step{
		{Name: "page", Op: "testPage"},
		{Name: "csrf", Op: "eval", JS: `window.nextAuth.getCsrfToken()`},
		{Name: "providers", Op: "eval", JS: `window.nextAuth.getProviders()`},
		{Name: "sessionBefore", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "wrong", Op: "eval", JS: signIn("wrong password", "")},
		{Name: "sessionAfterWrong", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "right", Op: "eval", JS: signIn(browserUserPassword, "")},
		{Name: "session", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "evil", Op: "eval", JS: signIn(browserUserPassword, `, callbackUrl: "http://evil.example/after"`)},
		{Name: "evilSlashes", Op: "eval", JS: signIn(browserUserPassword, `, callbackUrl: "//evil.example/after"`)},
		{Name: "cookies", Op: "cookies"},
		// Without redirect:false, signIn navigates to the URL Latch answers.
		{Name: "evilNavigate", Op: "evalNavigate", JS: js(`window.nextAuth.signIn("credentials", {email: %s, password: %s, callbackUrl: "http://evil.example/after"})`, browserUserEmail, browserUserPassword)},
	})

	var csrf string
	res.get(t, "csrf", &csrf)
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(csrf) {
		t.Errorf("getCsrfToken() = %q, want 64 lower-case hex digits", csrf)
	}

	var providers map[string]map[string]any
	res.get(t, "providers", &providers)
	if p, ok := providers["credentials"]; !ok {
		t.Errorf("getProviders() = %v, want a credentials provider", providers)
	} else {
		want := map[string]any{
			"id": "credentials", "type": "credentials",
			"signinUrl": authURL + "/signin/credentials", "callbackUrl": authURL + "/callback/credentials",
		}
		for key, v := range want {
			if p[key] != v {
				t.Errorf("getProviders().credentials.%s = %v, want %v", key, p[key], v)
			}
		}
		if name, _ := p["name"].(string); name == "" {
			t.Errorf("getProviders().credentials has no name: %v", p)
		}
		t.Logf("getProviders() = %s", res.Results["providers"])
	}

	for _, name := range []string{"sessionBefore", "sessionAfterWrong"} {
		if got := string(res.Results[name]); got != "null" {
			t.Errorf("%s: getSession() = %s, want null", name, got)
		}
	}

	var wrong, right, evil, evilSlashes signInResponse
	res.get(t, "wrong", &wrong)
	if wrong.Error == nil || *wrong.Error != "CredentialsSignin" || wrong.Status != 401 || wrong.OK || wrong.URL != nil {
		t.Errorf("signIn with a wrong password = %v, want {error:CredentialsSignin, status:401, ok:false, url:null}", wrong)
	}
	res.get(t, "right", &right)
	if right.Error != nil || right.Status != 200 || !right.OK || right.URL == nil || *right.URL != testPage {
		t.Errorf("signIn with the right password = %v, want {error:null, status:200, ok:true, url:%q}", right, testPage)
	}
	checkSession(t, "after sign-in", res.Results["session"])

	res.get(t, "evil", &evil)
	res.get(t, "evilSlashes", &evilSlashes)
	for _, c := range []struct {
		name string
		r    signInResponse
	}{{"http://evil.example/after", evil}, {"//evil.example/after", evilSlashes}} {
		if c.r.Error != nil || !c.r.OK || c.r.URL == nil {
			t.Errorf("signIn with callbackUrl %s = %v, want a successful sign-in", c.name, c.r)
			continue
		}
		u, err := url.Parse(*c.r.URL)
		if err != nil || u.Scheme+"://"+u.Host != srv.origin || strings.HasPrefix(u.Path, "//") {
			t.Errorf("signIn with callbackUrl %s answered url %q, want a URL on %s", c.name, *c.r.URL, srv.origin)
		}
		t.Logf("signIn with callbackUrl %s -> url %q", c.name, *c.r.URL)
	}
	var evilNav struct{ URL string }
	res.get(t, "evilNavigate", &evilNav)
	if evilNav.URL != srv.origin+"/" {
		t.Errorf("signIn (redirecting) with callbackUrl http://evil.example/after landed on %s, want %s/", evilNav.URL, srv.origin)
	}
	if !hasCookie(t, res, "cookies", "next-auth.session-token") {
		t.Errorf("no next-auth.session-token cookie after sign-in; cookies: %s", res.Results["cookies"])
	}
	if t.Failed() {
		t.FailNow()
	}

	// The JWT session lives in the browser: a new process with the same
	// secret must accept it.
	srv.restart()

	res = k.browse(t, srv, bundle, state, "", []step{
		{Name: "page", Op: "testPage"},
		{Name: "session", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "protectedSignedIn", Op: "eval", JS: `fetch("/protected", {headers: {Accept: "text/html"}}).then(async r => ({status: r.status, redirected: r.redirected, body: await r.text()}))`},
		{Name: "signOut", Op: "eval", JS: `window.nextAuth.signOut({redirect: false})`},
		{Name: "sessionAfter", Op: "eval", JS: `window.nextAuth.getSession()`},
		{Name: "cookies", Op: "cookies"},
		{Name: "protectedManual", Op: "eval", JS: `fetch("/protected", {headers: {Accept: "text/html"}, redirect: "manual"}).then(r => ({type: r.type, status: r.status}))`},
		{Name: "protectedFollow", Op: "eval", JS: `fetch("/protected", {headers: {Accept: "text/html"}}).then(r => ({redirected: r.redirected, url: r.url, status: r.status}))`},
		{Name: "protectedNav", Op: "goto", URL: "/protected"},
		{Name: "signinPage", Op: "text", Selector: "h1"},
	})
	checkSession(t, "after the restart", res.Results["session"])

	var protectedSignedIn struct {
		Status     int
		Redirected bool
		Body       string
	}
	res.get(t, "protectedSignedIn", &protectedSignedIn)
	if protectedSignedIn.Status != 200 || protectedSignedIn.Redirected || !strings.Contains(protectedSignedIn.Body, browserUserName) {
		t.Errorf("/protected while signed in after the restart: status %d, redirected %v, body %.200q", protectedSignedIn.Status, protectedSignedIn.Redirected, protectedSignedIn.Body)
	}

	var signOut struct {
		URL string `json:"url"`
	}
	res.get(t, "signOut", &signOut)
	if signOut.URL != testPage {
		t.Errorf("signOut({redirect:false}) = %s, want {url:%q}", res.Results["signOut"], testPage)
	}
	if got := string(res.Results["sessionAfter"]); got != "null" {
		t.Errorf("getSession() after signOut = %s, want null", got)
	}
	if hasCookie(t, res, "cookies", "next-auth.session-token") {
		t.Errorf("next-auth.session-token cookie still there after signOut: %s", res.Results["cookies"])
	}

	wantSignin := authURL + "/signin?callbackUrl=" + url.QueryEscape(srv.origin+"/protected")
	var manual struct {
		Type   string
		Status int
	}
	res.get(t, "protectedManual", &manual)
	if manual.Type != "opaqueredirect" {
		t.Errorf("fetch /protected (Accept: text/html, redirect: manual) signed out = %+v, want an opaqueredirect", manual)
	}
	var follow struct {
		Redirected bool
		URL        string
		Status     int
	}
	res.get(t, "protectedFollow", &follow)
	if !follow.Redirected || follow.URL != wantSignin || follow.Status != 200 {
		t.Errorf("fetch /protected (Accept: text/html) signed out = %+v, want redirected to %s", follow, wantSignin)
	}
	var nav struct {
		URL    string
		Status int
	}
	res.get(t, "protectedNav", &nav)
	if nav.URL != wantSignin || nav.Status != 200 {
		t.Errorf("navigating to /protected signed out ended at %s (%d), want %s", nav.URL, nav.Status, wantSignin)
	}
	var h1 string
	res.get(t, "signinPage", &h1)
	if !strings.HasPrefix(h1, "Sign in") {
		t.Errorf("the page /protected redirects to has heading %q, want the sign-in page", h1)
	}
	t.Logf("total %v", time.Since(begun).Round(time.Millisecond))
}

// TestBrowserDemoPage signs in and out through the demo app at / and the
// built-in sign-in page, as a person would, and saves a screenshot of the
// signed-in demo page (to $LATCH_ARTIFACTS when set).
func TestBrowserDemoPage(t *testing.T) {
	k := needBrowser(t)
	begun := time.Now()
	srv := startLatch(t, k.buildLatch(t))
	authURL := srv.origin + "/api/auth"
	bundle := k.bundle(t, authURL)

	artifacts := os.Getenv("LATCH_ARTIFACTS")
	if artifacts == "" {
		artifacts = t.TempDir()
	} else if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	shot, err := filepath.Abs(filepath.Join(artifacts, "demo-signed-in.png"))
	if err != nil {
		t.Fatal(err)
	}

	res := k.browse(t, srv, bundle, "", "", []step{
		{Name: "home", Op: "goto", URL: "/"},
		{Name: "unauthenticated", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "dataSignedOut", Op: "text", Selector: "#data"},
		{Name: "toSignin", Op: "click", Selector: "#signin", Wait: "url"},
		{Name: "signinHeading", Op: "text", Selector: "h1"},
		{Name: "fillEmail", Op: "fill", Selector: `input[name="email"]`, Value: browserUserEmail},
		{Name: "fillPassword", Op: "fill", Selector: `input[name="password"]`, Value: browserUserPassword},
		{Name: "submit", Op: "click", Selector: `form button[type="submit"]`, Wait: "url"},
		{Name: "authenticated", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "data", Op: "text", Selector: "#data"},
		{Name: "lastRefreshed", Op: "text", Selector: "#last-refreshed"},
		{Name: "screenshot", Op: "screenshot", Path: shot, FullPage: true},
		{Name: "protected", Op: "goto", URL: "/protected"},
		{Name: "greeting", Op: "text", Selector: "#greeting"},
		{Name: "back", Op: "goto", URL: "/"},
		{Name: "authenticatedAgain", Op: "waitText", Selector: "#status", Equals: "authenticated"},
		{Name: "signout", Op: "click", Selector: "#signout", Wait: "load"},
		{Name: "signedOut", Op: "waitText", Selector: "#status", Equals: "unauthenticated"},
		{Name: "urlAfterSignout", Op: "url"},
		{Name: "protectedAfter", Op: "goto", URL: "/protected"},
	})

	var home, protected, protectedAfter struct {
		URL    string
		Status int
	}
	res.get(t, "home", &home)
	if home.Status != 200 {
		t.Errorf("GET / = %d, want 200", home.Status)
	}
	var text string
	res.get(t, "dataSignedOut", &text)
	if text != "null" {
		t.Errorf("#data signed out = %q, want null", text)
	}
	var toSignin struct{ URL string }
	res.get(t, "toSignin", &toSignin)
	if want := authURL + "/signin?callbackUrl=" + url.QueryEscape(srv.origin+"/"); toSignin.URL != want {
		t.Errorf("#signin led to %s, want %s", toSignin.URL, want)
	}
	res.get(t, "signinHeading", &text)
	if !strings.HasPrefix(text, "Sign in") {
		t.Errorf("sign-in page heading = %q", text)
	}
	var submit struct{ URL string }
	res.get(t, "submit", &submit)
	if submit.URL != srv.origin+"/" {
		t.Errorf("submitting the sign-in form led to %s, want the callbackUrl %s/", submit.URL, srv.origin)
	}
	res.get(t, "data", &text)
	var data session
	if err := json.Unmarshal([]byte(text), &data); err != nil || data.User["email"] != browserUserEmail || data.User["name"] != browserUserName {
		t.Errorf("#data signed in = %q, want the session of %s", text, browserUserEmail)
	}
	res.get(t, "lastRefreshed", &text)
	if _, err := time.Parse(time.RFC3339Nano, text); err != nil {
		t.Errorf("#last-refreshed = %q, want a time", text)
	}

	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width == 0 || cfg.Height == 0 {
		t.Errorf("screenshot %s is not a PNG image: %v", shot, err)
	}
	t.Logf("screenshot of the signed-in demo page (%dx%d): %s", cfg.Width, cfg.Height, shot)

	res.get(t, "protected", &protected)
	res.get(t, "greeting", &text)
	if protected.Status != 200 || protected.URL != srv.origin+"/protected" || !strings.Contains(text, browserUserName) {
		t.Errorf("/protected signed in: %d at %s, greeting %q; want 200 and the user's name %q", protected.Status, protected.URL, text, browserUserName)
	}
	res.get(t, "urlAfterSignout", &text)
	if text != srv.origin+"/" {
		t.Errorf("after #signout the page is %s, want %s/", text, srv.origin)
	}
	res.get(t, "protectedAfter", &protectedAfter)
	if want := authURL + "/signin?callbackUrl=" + url.QueryEscape(srv.origin+"/protected"); protectedAfter.URL != want {
		t.Errorf("/protected after signing out ended at %s, want %s", protectedAfter.URL, want)
	}
	t.Logf("total %v", time.Since(begun).Round(time.Millisecond))
}
