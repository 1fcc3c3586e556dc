package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
	"github.com/latchauth/latch/store/sqlite"
	"github.com/latchauth/latch/store/storetest"
)

func TestProviderTokensConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("providerTokens:\n  minValidity: soon\n  timeout: -1s\n"), 0o600)
	code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, `providerTokens.minValidity: invalid duration "soon"`) || !strings.Contains(stderr, "providerTokens.timeout") {
		t.Errorf("bad providerTokens config: exit %d, %q", code, stderr)
	}
}

// TestProviderTokensTwoServes: two `latch serve` processes sharing
// PostgreSQL, signed in with a real OpenID provider (rotating, single-use
// refresh tokens) whose first access token is about to expire: 50
// concurrent GET /api/auth/token/idp, half on each process, make exactly
// one refresh request, all get the same token, and nobody is signed out.
func TestProviderTokensTwoServes(t *testing.T) {
	dsn := os.Getenv("LATCH_TEST_POSTGRES_DSN")
	if dsn == "" {
		msg := "set LATCH_TEST_POSTGRES_DSN to run the two-instance provider token test"
		if os.Getenv("LATCH_TEST_STRICT") == "1" {
			t.Fatal(msg + " (LATCH_TEST_STRICT=1)")
		}
		t.Skip(msg)
	}
	dsn = storetest.PostgresSchema(t, dsn, "latch_ptok_")
	op := oauthtest.NewProvider(t)
	op.ShortFirstToken(30 * time.Second) // within the default minValidity of 60 s
	bin := buildLatchIn(t, ".")
	secret := make([]byte, 32)
	rand.Read(secret)
	dir := t.TempDir()
	yaml := fmt.Sprintf(`providerTokens: {enabled: true}
oauth:
  - preset: oidc
    id: idp
    name: IdP
    issuer: %q
    clientId: %q
    clientSecret: %q
    scopes: [openid, email, profile, offline_access]
`, op.Issuer, op.ClientID, op.ClientSecret)
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(yaml), 0o600)
	var nodes []*latchProcess
	var redirects []string
	for i := range 2 {
		p := &latchProcess{t: t, bin: bin, dir: dir, port: freePort(t)}
		p.origin = "http://127.0.0.1:" + strconv.Itoa(p.port)
		p.env = append(cleanEnv(), "LATCH_URL="+p.origin+"/api/auth", "LATCH_DATABASE="+dsn, "LATCH_SECRET="+hex.EncodeToString(secret))
		t.Cleanup(func() {
			p.kill()
			if t.Failed() {
				t.Logf("instance %d log:\n%s", i, p.stderr.String())
			}
		})
		nodes = append(nodes, p)
		redirects = append(redirects, p.origin+"/api/auth/callback/idp")
	}
	op.SetRedirectURIs(redirects...)
	for _, p := range nodes {
		p.start()
	}
	a := nodes[0]

	// Sign in on A.
	jar, _ := cookiejar.New(nil) // cookies of 127.0.0.1 reach every port
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(a.origin + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = c.PostForm(a.origin+"/api/auth/signin/idp", url.Values{"csrfToken": {csrf.CsrfToken}, "callbackUrl": {"/"}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	res, err = c.Get(op.Login(t, c, out.URL))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var cookie string
	for _, ck := range jar.Cookies(&url.URL{Scheme: "http", Host: "127.0.0.1"}) {
		cookie += ck.Name + "=" + ck.Value + "; "
	}
	if !strings.Contains(cookie, "session-token") {
		t.Fatalf("no session after the sign-in (callback answered %d %s)", res.StatusCode, res.Header.Get("Location"))
	}

	type answer struct {
		status int
		token  string
	}
	answers := make([]answer, 50)
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 20 * time.Second}
	for i := range answers {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, nodes[i%2].origin+"/api/auth/token/idp", nil)
			req.Header.Set("Cookie", cookie)
			res, err := hc.Do(req)
			if err != nil {
				return
			}
			defer res.Body.Close()
			var v struct {
				AccessToken string `json:"access_token"`
			}
			json.NewDecoder(res.Body).Decode(&v)
			answers[i] = answer{res.StatusCode, v.AccessToken}
		})
	}
	wg.Wait()
	for i, an := range answers {
		if an.status != http.StatusOK || an.token == "" || an.token != answers[0].token {
			t.Fatalf("answer %d: %d, same token as answer 0: %v; want 200 and one token for all", i, an.status, an.token == answers[0].token)
		}
	}
	if n := op.Refreshes(); n != 1 {
		t.Fatalf("50 concurrent requests on two latch serve processes made %d refresh requests; want 1", n)
	}
	for _, p := range nodes {
		req, _ := http.NewRequest(http.MethodGet, p.origin+"/api/auth/session", nil)
		req.Header.Set("Cookie", cookie)
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(b), op.Email) || strings.Contains(string(b), "error") {
			t.Errorf("session on %s = %s; want signed in, no error", p.origin, b)
		}
	}
}

// TestMigrateSealsProviderTokens: `latch migrate` seals the provider
// tokens of accounts stored in the clear.
func TestMigrateSealsProviderTokens(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "latch.db")
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("database: "+db+"\nsecrets: [\""+strings.Repeat("s", 32)+"\"]\n"), 0o600)
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "old@example.com"}})
	if err == nil {
		err = st.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "idp", Type: "oauth", ProviderAccountID: "1"}, UserID: u.ID,
			OAuthTokens: latch.OAuthTokens{AccessToken: "clear-access", RefreshToken: "clear-refresh"}})
	}
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, dir, "", "migrate")
	if code != 0 || !strings.Contains(out, "sealed the provider tokens of 1 accounts") {
		t.Fatalf("migrate: exit %d, %q, %q", code, out, stderr)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "clear-refresh") {
		t.Error("the refresh token is still in the database file in the clear")
	}
	if _, out, _ := run(t, dir, "", "migrate"); strings.Contains(out, "sealed") {
		t.Errorf("second migrate = %q; want nothing left to seal", out)
	}
}
