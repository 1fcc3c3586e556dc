// Package loadauth is what the load programs under bench share: a Latch
// configuration whose credentials provider signs in user-N@example.com
// without a password (the load is the session check, not hashing), its
// store, and signing users in through the handler as a browser would.
package loadauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/sqlite"
)

// Secret is the secret of every load configuration.
const Secret = "library-load-secret-library-load-secret"

// Config returns the configuration of an instance at origin: JWT sessions
// when store is "", else database sessions in store ("sqlite:PATH" or a
// postgres:// URL), with users user-0 ... user-(users-1) created in it.
func Config(ctx context.Context, origin, store string, users int) (latch.Config, error) {
	cfg := latch.Config{
		URL:     origin + "/api/auth",
		Secrets: []string{Secret},
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			id, _ := strings.CutSuffix(strings.TrimPrefix(c["email"], "user-"), "@example.com")
			return &latch.User{ID: id, Name: "User " + id, Email: c["email"]}, nil
		}}},
	}
	var err error
	switch {
	case store == "":
		return cfg, nil
	case strings.HasPrefix(store, "sqlite:"):
		cfg.Store, err = sqlite.Open(ctx, strings.TrimPrefix(store, "sqlite:"))
	case strings.HasPrefix(store, "postgres"):
		cfg.Store, err = postgres.Open(ctx, store)
	default:
		return cfg, fmt.Errorf("store %q: want sqlite:PATH or a postgres:// URL", store)
	}
	if err != nil {
		return cfg, err
	}
	cfg.Strategy = latch.DatabaseSessions
	// Database sessions need stored users.
	for i := range users {
		email := Email(i)
		if _, err := cfg.Store.UserByEmail(ctx, email); err == nil {
			continue
		}
		if _, err := cfg.Store.CreateUser(ctx, latch.StoredUser{User: latch.User{ID: fmt.Sprint(i), Name: fmt.Sprint("User ", i), Email: email}}); err != nil {
			return cfg, err
		}
	}
	return cfg, nil
}

// Email is the address of user i.
func Email(i int) string { return fmt.Sprintf("user-%d@example.com", i) }

// SignIn signs email in through h (an instance at origin), as a browser
// would, and returns the Cookie header the browser then sends.
func SignIn(h http.Handler, origin, email string) (string, error) {
	jar := map[string]string{}
	keep := func(res *http.Response) {
		for _, c := range res.Cookies() {
			jar[c.Name] = c.Value
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", origin+"/api/auth/csrf", nil))
	keep(rec.Result())
	var csrf struct{ CsrfToken string }
	json.Unmarshal(rec.Body.Bytes(), &csrf)
	form := url.Values{"csrfToken": {csrf.CsrfToken}, "email": {email}, "json": {"true"}}
	req := httptest.NewRequest("POST", origin+"/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for n, v := range jar {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	keep(rec.Result())
	if jar["next-auth.session-token"] == "" {
		return "", fmt.Errorf("sign-in of %s failed: %d %s", email, rec.Code, rec.Body)
	}
	var parts []string
	for n, v := range jar {
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, "; "), nil
}
