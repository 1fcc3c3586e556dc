package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch/store/storetest"
)

// TestSignOutEndsSessionOnOtherInstance: two latch serve instances on one
// database, B answering the session from memory; a sign-out on A ends the
// session on B within storetest.ChangeBound, on SQLite and on PostgreSQL.
func TestSignOutEndsSessionOnOtherInstance(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			dir := t.TempDir()
			cfg := "sessionStrategy: database\nmetrics: true\n"
			if db == "postgres" {
				dsn, _, _ := sharedBackends(t)
				cfg += "database: " + dsn + "\n"
			}
			os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(cfg), 0o600)
			t.Setenv("LATCH_SECRET", strings.Repeat("s", 32))
			if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com", "--name", "Ann"); code != 0 {
				t.Fatal(stderr)
			}
			a, c, _, _ := serveInProcess(t)
			b, _, _, _ := serveInProcess(t)
			signInAnn(t, c, a) // the jar's cookies of 127.0.0.1 reach both ports
			get := func(url string) string {
				res, err := c.Get(url)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return string(body)
			}
			hits := regexp.MustCompile(`(?m)^latch_session_cache_hits_total ([1-9]\d*)$`)
			waitFor(t, func() bool {
				return strings.Contains(get(b+"/api/auth/session"), "ann@example.com") && hits.MatchString(get(b+"/metrics"))
			})

			// The browser's cookies as they are before the sign-out: the
			// jar drops the session cookie with A's answer, a browser
			// signed in on B (another tab, another device) keeps it.
			u, _ := url.Parse(b)
			var cookie []string
			for _, ck := range c.Jar.Cookies(u) {
				cookie = append(cookie, ck.Name+"="+ck.Value)
			}
			var csrf struct{ CsrfToken string }
			json.Unmarshal([]byte(get(a+"/api/auth/csrf")), &csrf)
			res, err := c.PostForm(a+"/api/auth/signout", url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}})
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("sign-out on A: %v %v", res, err)
			}
			res.Body.Close()
			endedWithin(t, storetest.ChangeBound, func() string {
				req, _ := http.NewRequest("GET", b+"/api/auth/session", nil)
				req.Header.Set("Cookie", strings.Join(cookie, "; "))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				body, _ := io.ReadAll(res.Body)
				return string(body)
			})
		})
	}
}
