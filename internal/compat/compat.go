// Package compat runs the real next-auth 4.24.15 code from Go tests, so that
// Latch's tokens, cookies, CSRF tokens and redirect decisions can be compared
// with the reference implementation byte for byte.
//
// The reference lives in node/: nextauth.mjs reads one JSON request on stdin
// and writes one JSON response on stdout, using next-auth from
// node/node_modules (install it with `cd internal/compat/node && npm ci`).
// See the comment at the top of nextauth.mjs for the operations.
//
// Tests that need the reference call [Node]; when node or the package is
// missing they are skipped, or fail when LATCH_TEST_STRICT=1 is set (as in
// CI, where a skipped compatibility test must not pass silently).
package compat

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// NextAuthVersion is the next-auth release the reference must be.
const NextAuthVersion = "4.24.15"

// Timeout bounds one run of the reference script.
const Timeout = 30 * time.Second

// StrictEnv is the environment variable that turns a missing reference into
// a test failure instead of a skip when set to "1".
const StrictEnv = "LATCH_TEST_STRICT"

// Runner runs the reference script. Create one with [Node].
type Runner struct {
	node   string // path of the node binary
	dir    string // internal/compat/node
	script string // nextauth.mjs
}

const installHint = "install it with: cd internal/compat/node && npm ci (needs Node.js 20 or later on PATH)"

// Node returns a Runner for the real next-auth, or skips the test (fails it
// when LATCH_TEST_STRICT=1) when node is not on PATH or next-auth is not
// installed in internal/compat/node/node_modules. The directory is found
// from this source file, so it does not depend on the working directory.
func Node(t testing.TB) *Runner {
	t.Helper()
	r, err := find()
	if err != nil {
		msg := fmt.Sprintf("compat: the real next-auth %s is not available: %v; %s", NextAuthVersion, err, installHint)
		if os.Getenv(StrictEnv) == "1" {
			t.Fatalf("%s (%s=1)", msg, StrictEnv)
		}
		t.Skipf("%s (set %s=1 to make this a failure)", msg, StrictEnv)
	}
	return r
}

func find() (*Runner, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil, errors.New("cannot locate the compat package's source directory")
	}
	dir := filepath.Join(filepath.Dir(file), "node")
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("node not found on PATH")
	}
	script := filepath.Join(dir, "nextauth.mjs")
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("missing %s", script)
	}
	pkg := filepath.Join(dir, "node_modules", "next-auth", "package.json")
	raw, err := os.ReadFile(pkg)
	if err != nil {
		return nil, fmt.Errorf("next-auth is not installed in %s", filepath.Join(dir, "node_modules"))
	}
	var meta struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fmt.Errorf("unreadable %s: %v", pkg, err)
	}
	if meta.Version != NextAuthVersion {
		return nil, fmt.Errorf("%s has version %q, want %s", pkg, meta.Version, NextAuthVersion)
	}
	return &Runner{node: node, dir: dir, script: script}, nil
}

// Call sends req (marshalled to JSON) to the reference script and decodes
// its answer into resp (a pointer, or nil to discard it). Any failure (node
// exits with an error, times out after [Timeout], or answers something
// that does not decode) fails the test with node's stderr.
func (r *Runner) Call(t testing.TB, req any, resp any) {
	t.Helper()
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatalf("compat: encode request: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.node, r.script)
	cmd.Dir = r.dir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %v", Timeout)
		}
		t.Fatalf("compat: node %s: %v\nrequest: %s\nstderr:\n%s", filepath.Base(r.script), err, truncate(in, 2000), stderr.String())
	}
	if resp == nil {
		return
	}
	dec := json.NewDecoder(&stdout)
	dec.UseNumber()
	if err := dec.Decode(resp); err != nil {
		t.Fatalf("compat: decode the answer of node: %v\nstdout:\n%s\nstderr:\n%s", err, truncate(stdout.Bytes(), 2000), stderr.String())
	}
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}

// StartServer runs the real next-auth handler as an HTTP server
// (node/server.mjs) with a credentials provider (id "credentials", fields
// username and password) that accepts users, and returns its origin. The
// server stops when the test ends.
func (r *Runner) StartServer(t testing.TB, secret string, users map[string]ServerUser) string {
	t.Helper()
	return r.StartServerWith(t, ServerConfig{Secret: secret, Users: users})
}

// ServerConfig configures the server StartServerWith runs.
type ServerConfig struct {
	Secret string                `json:"secret"`
	Users  map[string]ServerUser `json:"users,omitempty"`
	// OAuth adds an OAuth provider (state check only) whose endpoints are
	// under OAuth.URL: /authorize, /token and /userinfo.
	OAuth *ServerOAuth `json:"oauth,omitempty"`
}

// ServerOAuth is the OAuth provider of a ServerConfig.
type ServerOAuth struct {
	ID  string `json:"id"`
	URL string `json:"url"`
}

// StartServerWith is StartServer with more settings.
func (r *Runner) StartServerWith(t testing.TB, c ServerConfig) string {
	t.Helper()
	cfg, _ := json.Marshal(c)
	cmd := exec.Command(r.node, filepath.Join(r.dir, "server.mjs"), string(cfg))
	cmd.Dir = r.dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("compat: start next-auth server: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		lines <- line
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-lines:
		origin, ok := strings.CutPrefix(strings.TrimSpace(line), "listening ")
		if !ok {
			t.Fatalf("compat: next-auth server did not start: %q; stderr: %s", line, stderr.String())
		}
		return origin
	case <-time.After(Timeout):
		t.Fatalf("compat: next-auth server did not start within %v; stderr: %s", Timeout, stderr.String())
	}
	return ""
}

// ServerUser is a user of the server StartServer runs.
type ServerUser struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Email    string `json:"email"`
	Password string `json:"password"`
}
