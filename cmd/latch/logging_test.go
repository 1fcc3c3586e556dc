package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
)

// A whole run (user add, a wrong password, a lockout, a sign-in, a
// session read, a sign-out, user passwd, session revoke) logs an audit
// line for each, in JSON at the configured level, and no log line holds
// the secret, a password, a session token, a CSRF token or a cookie.
func TestAuditLogWithoutSecrets(t *testing.T) {
	for _, strategy := range []string{"jwt", "database"} {
		t.Run(strategy, func(t *testing.T) {
			const secret = "log-test-secret-0123456789abcdefghijklmnop"
			const pw, wrong, newPW = "correct horse battery", "WrongPassword-1234", "another good passphrase"
			dir := t.TempDir()
			t.Chdir(dir)
			os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(fmt.Sprintf("secrets: [%q]\nsessionStrategy: %s\nlog: {format: json, level: debug, access: true}\n", secret, strategy)), 0o600)
			_, _, addLog := run(t, dir, pw+"\n", "user", "add", "--email", "ann@example.com", "--name", "Ann")
			base, _, log, stop := serveInProcess(t)
			defer stop()
			var cookies []string
			ctx := context.Background()
			newClient := func() *client.Client {
				cl, err := client.New(base+"/api/auth", client.WithTimeout(10*time.Second))
				if err != nil {
					t.Fatal(err)
				}
				return cl
			}
			cl := newClient()
			if res, _ := cl.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "ann@example.com", "password": wrong}}, nil); res == nil || res.Error != "CredentialsSignin" {
				t.Fatalf("wrong password = %+v", res)
			}
			if _, err := cl.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "ann@example.com", "password": pw}}, nil); err != nil {
				t.Fatalf("sign-in: %v", err)
			}
			s, err := cl.GetSession(ctx, client.GetSessionOptions{})
			if err != nil || s == nil {
				t.Fatalf("session: %+v %v", s, err)
			}
			_, list, _ := run(t, dir, "", "user", "list")
			userID := strings.Fields(strings.Split(list, "\n")[1])[2]
			for _, c := range cl.Jar().Cookies(&url.URL{Scheme: "http", Host: strings.TrimPrefix(base, "http://")}) {
				cookies = append(cookies, c.Value)
			}
			if len(cookies) < 2 {
				t.Fatalf("cookies = %v; want the session and CSRF cookies", cookies)
			}
			if _, err := cl.SignOut(ctx, client.SignOutOptions{}); err != nil {
				t.Fatalf("sign-out: %v", err)
			}
			// A lockout: another address is not needed, the account's
			// limit is reached from this one.
			other := newClient()
			for i := 0; ; i++ {
				res, _ := other.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"email": "ann@example.com", "password": wrong}}, nil)
				if res != nil && res.Status == http.StatusTooManyRequests {
					break
				}
				if i > 20 {
					t.Fatal("never locked out")
				}
			}
			_, _, passwdLog := run(t, dir, newPW+"\n", "user", "passwd", "ann@example.com")
			_, _, revokeLog := run(t, dir, "", "session", "revoke", "ann@example.com")

			waitFor(t, func() bool { return strings.Contains(log.String(), `"event":"lockout"`) })
			all := addLog + log.String() + passwdLog + revokeLog
			for _, bad := range append([]string{secret, pw, wrong, newPW, "csrfToken", "password="}, cookies...) {
				if strings.Contains(all, bad) {
					t.Errorf("a log line holds %q:\n%s", bad, all)
				}
			}
			// Every line of the server is JSON; the audit lines say what
			// happened, to whom, from where.
			events := map[string]map[string]any{}
			sc := bufio.NewScanner(strings.NewReader(log.String()))
			for sc.Scan() {
				var line map[string]any
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Errorf("not a JSON log line: %q", sc.Text())
					continue
				}
				if line["msg"] == "audit" {
					events[line["event"].(string)] = line
				}
			}
			want := map[string]map[string]any{
				"sign-in":        {"provider": "credentials", "user_id": userID, "ip": "127.0.0.1", "level": "INFO"},
				"sign-in-failed": {"provider": "credentials", "error": "CredentialsSignin", "ip": "127.0.0.1", "level": "WARN"},
				"lockout":        {"provider": "credentials", "error": "TooManyRequests", "ip": "127.0.0.1"},
				"sign-out":       {"user_id": userID, "ip": "127.0.0.1"},
			}
			for event, attrs := range want {
				got, ok := events[event]
				if !ok {
					t.Errorf("no %s audit line in:\n%s", event, log.String())
					continue
				}
				for k, v := range attrs {
					if got[k] != v {
						t.Errorf("%s audit line: %s = %v; want %v", event, k, got[k], v)
					}
				}
			}
			if !strings.Contains(log.String(), `"msg":"request","method":"POST","path":"/api/auth/callback/credentials"`) {
				t.Errorf("no access log line of the sign-in:\n%s", log.String())
			}
			for name, l := range map[string]string{"user add": addLog, "user passwd": passwdLog, "session revoke": revokeLog} {
				event := map[string]string{"user add": "user-add", "user passwd": "password-change", "session revoke": "revoke"}[name]
				if !strings.Contains(l, `"event":"`+event+`"`) || !strings.Contains(l, `"via":"cli"`) {
					t.Errorf("%s logged %q; want a JSON audit line %s", name, l, event)
				}
			}
		})
	}
}

// A bad log section is refused with its line.
func TestLogConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("log:\n  format: xml\n  level: loud\n"), 0o600)
	code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	if code != 1 || !strings.Contains(stderr, `latch.yaml:2:11: log.format "xml"`) || !strings.Contains(stderr, `latch.yaml:3:10: log.level "loud"`) {
		t.Errorf("exit %d, %q", code, stderr)
	}
}
