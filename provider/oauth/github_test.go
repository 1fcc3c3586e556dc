package oauth_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode decodes JSON the way the package does: numbers as json.Number.
func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func TestGitHub(t *testing.T) {
	const (
		clientID    = "Iv1.8a61f9b3a7aba766"
		secret      = "gh-secret"
		code        = "gh-code"
		redirectURI = "http://localhost:3000/api/auth/callback/github"
	)
	token := decode(t, readTestdata(t, "github-token.json"))
	accessToken := token["access_token"].(string)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	wantTokens := latch.OAuthTokens{
		AccessToken:  accessToken,
		RefreshToken: token["refresh_token"].(string),
		ExpiresAt:    now.Unix() + 28800,
		TokenType:    "bearer",
	}

	tests := []struct {
		name         string
		user         string // testdata file of GET /user
		emailsStatus int
		emails       []byte // body of GET /user/emails
		want         latch.OAuthProfile
	}{
		{
			name:         "public email",
			user:         "github-user.json",
			emailsStatus: http.StatusOK,
			emails:       readTestdata(t, "github-emails.json"),
			want: latch.OAuthProfile{
				ID:            "583231",
				Name:          "The Octocat",
				Email:         "octocat@github.com",
				EmailVerified: true,
				Image:         "https://avatars.githubusercontent.com/u/583231?v=4",
			},
		},
		{
			name:         "public email, /user/emails refused",
			user:         "github-user.json",
			emailsStatus: http.StatusForbidden,
			emails:       []byte(`{"message":"Resource not accessible by integration","status":"403"}`),
			want: latch.OAuthProfile{
				ID:    "583231",
				Name:  "The Octocat",
				Email: "octocat@github.com",
				Image: "https://avatars.githubusercontent.com/u/583231?v=4",
			},
		},
		{
			name:         "null email: primary of /user/emails",
			user:         "github-user-noemail.json",
			emailsStatus: http.StatusOK,
			emails:       readTestdata(t, "github-emails.json"),
			want: latch.OAuthProfile{
				ID:            "1",
				Name:          "monalisa",
				Email:         "mona@example.com",
				EmailVerified: true,
				Image:         "https://avatars.githubusercontent.com/u/1?v=4",
			},
		},
		{
			name:         "null email: no primary, first of /user/emails",
			user:         "github-user-noemail.json",
			emailsStatus: http.StatusOK,
			emails:       []byte(`[{"email":"first@example.com","primary":false,"verified":false},{"email":"second@example.com","primary":false,"verified":true}]`),
			want: latch.OAuthProfile{
				ID:    "1",
				Name:  "monalisa",
				Email: "first@example.com",
				Image: "https://avatars.githubusercontent.com/u/1?v=4",
			},
		},
		{
			name:         "null email: /user/emails refused",
			user:         "github-user-noemail.json",
			emailsStatus: http.StatusNotFound,
			emails:       []byte(`{"message":"Not Found"}`),
			want: latch.OAuthProfile{
				ID:    "1",
				Name:  "monalisa",
				Image: "https://avatars.githubusercontent.com/u/1?v=4",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			user := readTestdata(t, tc.user)
			var emailsAuth string
			mux := http.NewServeMux()
			mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
				if err := r.ParseForm(); err != nil {
					t.Error(err)
				}
				want := map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": redirectURI, "client_id": clientID, "client_secret": secret}
				for k, v := range want {
					if got := r.PostForm.Get(k); got != v {
						t.Errorf("token request %s = %q; want %q", k, got, v)
					}
				}
				if got := r.PostForm.Get("code_verifier"); got != "" {
					t.Errorf("token request code_verifier = %q; want none (GitHub checks state only)", got)
				}
				if got := r.Header.Get("Authorization"); got != "" {
					t.Errorf("token request Authorization = %q; want none (client credentials in the form)", got)
				}
				writeJSON(w, http.StatusOK, readTestdata(t, "github-token.json"))
			})
			mux.HandleFunc("GET /user", func(w http.ResponseWriter, r *http.Request) {
				if got, want := r.Header.Get("Authorization"), "Bearer "+accessToken; got != want {
					t.Errorf("GET /user Authorization = %q; want %q", got, want)
				}
				writeJSON(w, http.StatusOK, user)
			})
			mux.HandleFunc("GET /user/emails", func(w http.ResponseWriter, r *http.Request) {
				emailsAuth = r.Header.Get("Authorization")
				writeJSON(w, tc.emailsStatus, tc.emails)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()

			cfg := oauth.GitHub(clientID, secret)
			cfg.AuthURL = srv.URL + "/login/oauth/authorize"
			cfg.TokenURL = srv.URL + "/login/oauth/access_token"
			cfg.UserInfoURL = srv.URL + "/user"
			cfg.Profile = oauth.GitHubProfile(srv.URL + "/user/emails")
			cfg.Now = func() time.Time { return now }
			p, err := oauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.Checks(), (latch.OAuthChecks{State: true}); got != want {
				t.Errorf("Checks() = %+v; want %+v", got, want)
			}

			got, err := p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: redirectURI, Code: code})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			want := tc.want
			want.Tokens = wantTokens
			want.Raw = decode(t, user)
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("profile =\n%+v\nwant\n%+v", *got, want)
			}
			if emailsAuth != "Bearer "+accessToken && emailsAuth != "token "+accessToken {
				t.Errorf("GET /user/emails Authorization = %q; want %q", emailsAuth, "Bearer "+accessToken)
			}
		})
	}
}

func TestGitHubPresets(t *testing.T) {
	tests := []struct {
		name                                        string
		cfg                                         oauth.Config
		wantAuth, wantToken, wantUserInfo, wantName string
	}{
		{
			name:         "github.com",
			cfg:          oauth.GitHub("id", "secret"),
			wantAuth:     "https://github.com/login/oauth/authorize",
			wantToken:    "https://github.com/login/oauth/access_token",
			wantUserInfo: "https://api.github.com/user",
			wantName:     "GitHub",
		},
		{
			name:         "enterprise",
			cfg:          oauth.GitHubEnterprise("https://github.example.com/", "id", "secret"),
			wantAuth:     "https://github.example.com/login/oauth/authorize",
			wantToken:    "https://github.example.com/login/oauth/access_token",
			wantUserInfo: "https://github.example.com/api/v3/user",
			wantName:     "GitHub Enterprise",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.cfg
			if c.ID != "github" || c.Name != tc.wantName {
				t.Errorf("ID, Name = %q, %q; want %q, %q", c.ID, c.Name, "github", tc.wantName)
			}
			if c.AuthURL != tc.wantAuth || c.TokenURL != tc.wantToken || c.UserInfoURL != tc.wantUserInfo {
				t.Errorf("endpoints = %q, %q, %q; want %q, %q, %q", c.AuthURL, c.TokenURL, c.UserInfoURL, tc.wantAuth, tc.wantToken, tc.wantUserInfo)
			}
			if !reflect.DeepEqual(c.Scopes, []string{"read:user", "user:email"}) {
				t.Errorf("Scopes = %q; want %q", c.Scopes, []string{"read:user", "user:email"})
			}
			if c.AuthStyle != oauth2.AuthStyleInParams {
				t.Errorf("AuthStyle = %v; want AuthStyleInParams", c.AuthStyle)
			}
			if c.Issuer != "" || c.Profile == nil {
				t.Errorf("Issuer = %q, Profile set = %v; want no issuer and the GitHub mapper", c.Issuer, c.Profile != nil)
			}
		})
	}
}
