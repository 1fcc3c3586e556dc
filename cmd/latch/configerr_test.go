package main

import (
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every configuration error names the file, line and column and the key,
// says it once ("latch: " once), and nothing is written before the
// configuration is good: no data folder, no development secret.
func TestConfigErrorsNameKeyAndLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		wants      []string
	}{
		{"wrong type", "addr: [1, 2]\n", []string{"latch.yaml:1:7: addr: want a string, not a list"}},
		{"nested wrong type", "oauth:\n  - preset: github\n    clientId: x\n    scopes: 5\n", []string{"latch.yaml:4:13: oauth[0].scopes: want a list, not a whole number"}},
		{"section not a mapping", "session: 5\n", []string{"latch.yaml:1:10: session: want a mapping (key: value lines), not a whole number"}},
		{"unknown key", "session:\n  maxAg: 1h\n", []string{"latch.yaml:2:3: session.maxAg: unknown field \"maxAg\""}},
		{"unknown preset", "oauth:\n  - preset: gitbub\n    clientId: x\n", []string{"latch.yaml:2:", "oauth[0]", `unknown preset "gitbub"`}},
		{"mysql", "database: mysql://root:hunter2@db/latch\n", []string{"latch.yaml:1:11: database:", `unknown scheme "mysql"`, "postgres://"}},
		{"theme colour", "theme:\n  brandColor: \"red;}body{\"\n", []string{"latch.yaml:2:15: theme.brandColor", "CSS colour"}},
		{"logo URL", "theme:\n  logoUrl: \"javascript:alert(1)\"\n", []string{"latch.yaml:2:12: theme.logoUrl", "http(s) URL"}},
		{"short secret", "secrets: [\"short\"]\n", []string{"latch.yaml:1:11: secrets[0] has 5 characters", "at least 32"}},
		{"bad url", "url: \"example.com\"\n", []string{"latch.yaml:1:6: url \"example.com\"", "https://example.com/api/auth"}},
		{"smtp host", "email:\n  from: a@example.com\n  smtp:\n    port: 25\n", []string{"latch.yaml:4:", "email.smtp.host is required"}},
		{"missing certificate", "tls: {certFile: nope.pem, keyFile: nope.key}\n", []string{"latch.yaml:1:6: tls:", "nope.pem"}},
		{"missing key under present section", "local:\n  accessTokenTTL: soon\n", []string{"latch.yaml:2:19: local.accessTokenTTL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tt.yaml), 0o600)
			code, out, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
			}
			for _, w := range tt.wants {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr = %q; want %q in it", stderr, w)
				}
			}
			if strings.Contains(stderr, "latch: latch:") || strings.Contains(stderr, "hunter2") {
				t.Errorf("stderr = %q: a doubled prefix or a password", stderr)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("files after a bad configuration: %v; want latch.yaml only", names)
			}
		})
	}
}

// A taken port fails the start before the database or the development
// secret is written.
func TestServeWritesNothingWhenItCannotListen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "", "serve", "--addr", ln.Addr().String())
	if code != 1 || !strings.Contains(stderr, "listen on "+ln.Addr().String()) {
		t.Errorf("exit %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written although the server could not start: %v", entries)
	}
}

// A secret from the environment that is too short is named by its
// variable; the library's own "latch: " is not doubled.
func TestConfigErrorFromEnvironment(t *testing.T) {
	t.Setenv("LATCH_SECRET", "abc")
	dir := t.TempDir()
	code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, "environment variable LATCH_SECRET: the secret has 3 characters") || strings.Contains(stderr, "latch: latch:") {
		t.Errorf("exit %d, %q", code, stderr)
	}
	t.Setenv("LATCH_SECRET", "")
	t.Setenv("LATCH_DATABASE", "mysql://x/y")
	if code, _, stderr := run(t, dir, "", "user", "list"); code != 1 || !strings.Contains(stderr, "environment variable LATCH_DATABASE: database:") {
		t.Errorf("user list with LATCH_DATABASE=mysql://...: exit %d, %q", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

// An OIDC issuer that cannot be reached at start is in the log, and the
// server serves anyway.
func TestOIDCDiscoveryFailureAtStart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("latch.yaml", []byte("oauth:\n  - preset: oidc\n    id: corp\n    issuer: http://127.0.0.1:1/realms/x\n    clientId: x\n    clientSecret: y\naccess: {anyone: true}\n"), 0o600)
	base, c, log, _ := serveInProcess(t)
	res, err := c.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz with an unreachable issuer: %v %v", res, err)
	}
	res.Body.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(log.String(), "OIDC discovery failed") {
		if time.Now().After(deadline) {
			t.Fatalf("no discovery failure in the log: %s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	l := log.String()
	if !strings.Contains(l, "provider=corp") || !strings.Contains(l, "issuer=http://127.0.0.1:1/realms/x") || !strings.Contains(l, "level=ERROR") {
		t.Errorf("discovery failure log = %s; want the provider, the issuer, at ERROR", l)
	}
}
