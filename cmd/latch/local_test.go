package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLocalProviderServe: with `local:` in latch.yaml, latch serve answers
// nuxt-auth's local endpoints (sign-up on), publishes the JWKS at
// /.well-known/jwks.json, and `latch session list/revoke` show and end
// local sign-ins.
func TestLocalProviderServe(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("local:\n  signUp: true\n  accessTokenTTL: 10m\n  refresh: {rotate: true, grace: 10s}\n"), 0o600)
	t.Chdir(dir)
	base, c, _, stop := serveInProcess(t)
	defer stop()
	post := func(path, body string, header ...string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	get := func(path, token string) (int, string) {
		req, _ := http.NewRequest("GET", base+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, m := post("/api/auth/local/register", `{"email":"ann@example.com","password":"correct horse battery","name":"Ann"}`); code != 201 || m["email"] != "ann@example.com" {
		t.Fatalf("register: %d %v", code, m)
	}
	code, m := post("/api/auth/local/login", `{"email":"ann@example.com","password":"correct horse battery"}`)
	token, _ := m["token"].(string)
	refresh, _ := m["refreshToken"].(string)
	if code != 200 || token == "" || refresh == "" {
		t.Fatalf("login: %d %v", code, m)
	}
	if code, body := get("/api/auth/local/session", token); code != 200 || !strings.Contains(body, `"email":"ann@example.com"`) {
		t.Errorf("session: %d %s", code, body)
	}
	if code, body := get("/.well-known/jwks.json", ""); code != 200 || !strings.Contains(body, `"kid"`) {
		t.Errorf("/.well-known/jwks.json: %d %s", code, body)
	}
	if code, m := post("/api/auth/local/refresh", `{"refreshToken":"`+refresh+`"}`, "Authorization", "null"); code != 200 || m["refreshToken"] == refresh {
		t.Errorf("refresh with rotation: %d %v", code, m)
	}

	_, out, _ := run(t, dir, "", "session", "list", "ann@example.com")
	var sid string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] != "LOCAL" {
			sid = f[0]
		}
	}
	if sid == "" {
		t.Fatalf("session list shows no local sign-in: %q", out)
	}
	if code, out, stderr := run(t, dir, "", "session", "revoke", "--sid", sid); code != 0 || !strings.Contains(out, "revoked 1 sign-in") {
		t.Fatalf("session revoke --sid: %d %q %q", code, out, stderr)
	}
	// The server trusts a live sign-in for a few seconds: wait for the
	// revocation to reach it.
	deadline := time.Now().Add(60 * time.Second)
	for {
		code, _ := get("/api/auth/local/session", token)
		if code == 401 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("access token still accepted a minute after revoke: %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, _ := post("/api/auth/local/refresh", `{"refreshToken":"`+refresh+`"}`); code != 401 {
		t.Errorf("refresh after revoke: %d; want 401", code)
	}
}

func TestLocalConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("local:\n  accessTokenTTL: soon\n  algorithm: HS256\n"), 0o600)
	code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, "local.accessTokenTTL") || !strings.Contains(stderr, `local.algorithm "HS256"`) {
		t.Errorf("bad local config: exit %d, %q", code, stderr)
	}
}
