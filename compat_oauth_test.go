package latch_test

import (
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/compat"
	"github.com/latchauth/latch/provider/oauth"
)

// TestCompatOAuthCallbackErrors: every way an OAuth callback fails ends on
// the error code next-auth 4 gives it, checked against the real next-auth
// with the same provider.
func TestCompatOAuthCallbackErrors(t *testing.T) {
	node := compat.Node(t)
	// The provider: the token endpoint refuses code "bad"; for any other
	// code it issues a token, and its userinfo endpoint then fails.
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			r.ParseForm()
			w.Header().Set("Content-Type", "application/json")
			if r.Form.Get("code") == "bad" {
				w.WriteHeader(http.StatusBadRequest)
				w.Write([]byte(`{"error":"invalid_grant"}`))
				return
			}
			w.Write([]byte(`{"access_token":"at","token_type":"Bearer","expires_in":3600}`))
		default:
			http.Error(w, "unavailable", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(idp.Close)

	nextAuth := node.StartServerWith(t, compat.ServerConfig{Secret: compatSecret, OAuth: &compat.ServerOAuth{ID: "idp", URL: idp.URL}})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p, err := oauth.New(oauth.Config{
		ID: "idp", ClientID: "client", ClientSecret: "secret",
		AuthURL: idp.URL + "/authorize", TokenURL: idp.URL + "/token", UserInfoURL: idp.URL + "/userinfo",
		Checks: &latch.OAuthChecks{State: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := latch.New(latch.Config{
		URL:       srv.URL + "/api/auth",
		Secrets:   []string{compatSecret},
		Logger:    quietLogger(),
		Providers: []latch.Provider{p},
	})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/api/auth/", a)

	// callback answers where the callback sends the browser, without the
	// origin; with started, the browser first starts a sign-in, and its
	// state is put in the query.
	callback := func(t *testing.T, origin string, started bool, method, query, body string) string {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		if started {
			res, err := c.Get(origin + "/api/auth/csrf")
			if err != nil {
				t.Fatal(err)
			}
			var tok struct{ CSRFToken string }
			json.NewDecoder(res.Body).Decode(&tok)
			res.Body.Close()
			res, err = c.PostForm(origin+"/api/auth/signin/idp", url.Values{"csrfToken": {tok.CSRFToken}})
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			to, err := url.Parse(res.Header.Get("Location"))
			if err != nil || to.Query().Get("state") == "" {
				t.Fatalf("sign-in at %s went to %q; want the provider with a state", origin, res.Header.Get("Location"))
			}
			query = strings.ReplaceAll(query, "STATE", url.QueryEscape(to.Query().Get("state")))
		}
		req, _ := http.NewRequest(method, origin+"/api/auth/callback/idp?"+query, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return strings.TrimPrefix(res.Header.Get("Location"), origin)
	}
	tests := []struct {
		name          string
		started       bool
		method, query string
		body          string
		want          string
	}{
		{"access_denied", true, "GET", "error=access_denied&state=STATE", "", "/api/auth/error?error=Callback"},
		{"access_denied without a started sign-in", false, "GET", "error=access_denied&error_description=User+cancelled&state=x", "", "/api/auth/error?error=Callback"},
		{"any other error", true, "GET", "error=server_error&state=STATE", "", "/api/auth/error?error=Callback"},
		{"error in a form_post body", false, "POST", "", "error=access_denied&state=x", "/api/auth/error?error=Callback"},
		{"error in the query of a POST", false, "POST", "error=access_denied", "state=x", "/api/auth/error?error=Callback"},
		{"empty error", false, "GET", "error=&code=c&state=x", "", "/api/auth/error?error=OAuthCallback"},
		{"no state cookie", false, "GET", "code=c&state=x", "", "/api/auth/error?error=OAuthCallback"},
		{"wrong state", true, "GET", "code=c&state=forged", "", "/api/auth/error?error=OAuthCallback"},
		{"token request refused", true, "GET", "code=bad&state=STATE", "", "/api/auth/error?error=OAuthCallback"},
		{"userinfo fails", true, "GET", "code=good&state=STATE", "", "/api/auth/error?error=OAuthCallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			theirs := callback(t, nextAuth, tt.started, tt.method, tt.query, tt.body)
			ours := callback(t, srv.URL, tt.started, tt.method, tt.query, tt.body)
			if theirs != tt.want {
				t.Errorf("next-auth: Location %q; want %q (the test's expectation is out of date)", theirs, tt.want)
			}
			if ours != theirs {
				t.Errorf("Latch: Location %q; want %q as next-auth", ours, theirs)
			}
		})
	}
	// The error page sends these codes to the sign-in page, as next-auth does.
	for _, code := range []string{"Callback", "OAuthCallback"} {
		for _, origin := range []string{nextAuth, srv.URL} {
			res, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(origin + "/api/auth/error?error=" + code)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if got, want := strings.TrimPrefix(res.Header.Get("Location"), origin), "/api/auth/signin?error="+code; got != want {
				t.Errorf("%s error page for %s: Location %q; want %q", origin, code, got, want)
			}
		}
	}
}
