package oauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

func TestStandardProfile(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want latch.OAuthProfile
	}{
		{
			name: "standard claims",
			raw:  `{"sub":"248289761001","name":"Jane Doe","preferred_username":"j.doe","email":"Jane.Doe@Example.com","email_verified":true,"picture":"http://example.com/janedoe/me.jpg"}`,
			want: latch.OAuthProfile{ID: "248289761001", Name: "Jane Doe", Email: "Jane.Doe@Example.com", EmailVerified: true, Image: "http://example.com/janedoe/me.jpg"},
		},
		{
			name: "fallbacks, email_verified as a string",
			raw:  `{"id":12345,"preferred_username":"j.doe","email":"j@example.com","email_verified":"true","avatar_url":"https://img.example/j.png"}`,
			want: latch.OAuthProfile{ID: "12345", Name: "j.doe", Email: "j@example.com", EmailVerified: true, Image: "https://img.example/j.png"},
		},
		{
			name: "nulls and an unverified email",
			raw:  `{"sub":"x","name":null,"nickname":"nick","email":"x@example.com","email_verified":false,"picture":null}`,
			want: latch.OAuthProfile{ID: "x", Name: "nick", Email: "x@example.com"},
		},
		{
			name: "nothing",
			raw:  `{}`,
			want: latch.OAuthProfile{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := decode(t, []byte(tc.raw))
			got, err := oauth.StandardProfile(context.Background(), &oauth.ProfileContext{Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Raw = raw
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("StandardProfile =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestDiscordProfile(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want latch.OAuthProfile
	}{
		{
			name: "recorded",
			raw:  string(readTestdata(t, "discord-user.json")),
			want: latch.OAuthProfile{ID: "80351110224678912", Name: "Nelly", Email: "Nelly@Discord.com", EmailVerified: true,
				Image: "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"},
		},
		{
			name: "animated avatar, no display name, unverified",
			raw:  `{"id":"80351110224678912","username":"nelly","discriminator":"0","global_name":null,"avatar":"a_1269e74af4df7417b13759eae50c83dc","verified":false,"email":"nelly@discord.com"}`,
			want: latch.OAuthProfile{ID: "80351110224678912", Name: "nelly", Email: "nelly@discord.com",
				Image: "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"},
		},
		{
			name: "default avatar, new username",
			raw:  `{"id":"80351110224678912","username":"nelly","discriminator":"0","avatar":null}`,
			want: latch.OAuthProfile{ID: "80351110224678912", Name: "nelly",
				Image: "https://cdn.discordapp.com/embed/avatars/5.png"}, // (id >> 22) % 6
		},
		{
			name: "default avatar, legacy discriminator",
			raw:  `{"id":"80351110224678912","username":"nelly","discriminator":"1337","avatar":null}`,
			want: latch.OAuthProfile{ID: "80351110224678912", Name: "nelly", Image: "https://cdn.discordapp.com/embed/avatars/2.png"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := decode(t, []byte(tc.raw))
			got, err := oauth.DiscordProfile(context.Background(), &oauth.ProfileContext{Raw: raw})
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			want.Raw = raw
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("DiscordProfile =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestDiscordPreset(t *testing.T) {
	c := oauth.Discord("cid", "secret")
	if c.AuthURL != "https://discord.com/api/oauth2/authorize" || c.TokenURL != "https://discord.com/api/oauth2/token" || c.UserInfoURL != "https://discord.com/api/users/@me" {
		t.Errorf("endpoints = %q, %q, %q; want Discord's", c.AuthURL, c.TokenURL, c.UserInfoURL)
	}
	if want := []string{"identify", "email"}; !reflect.DeepEqual(c.Scopes, want) {
		t.Errorf("Scopes = %q; want %q", c.Scopes, want)
	}
}

// TestExchangeProfile checks what Exchange does around the mapper, with a
// plain OAuth 2.0 provider.
func TestExchangeProfile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/token":
			writeJSON(w, http.StatusOK, []byte(`{"access_token":"at","token_type":"Bearer","refresh_token":"rt","scope":"identify email","session_state":"ss"}`))
		case "/me":
			writeJSON(w, http.StatusOK, []byte(`{"id":"42","email":"Someone@Example.COM"}`))
		case "/extra":
			if got := r.Header.Get("Authorization"); got != "Bearer at" {
				t.Errorf("mapper request Authorization = %q; want %q", got, "Bearer at")
			}
			writeJSON(w, http.StatusOK, []byte(`{"name":"Some One"}`))
		}
	}))
	defer srv.Close()

	tests := []struct {
		name    string
		profile func(ctx context.Context, c *oauth.ProfileContext) (*latch.OAuthProfile, error)
		want    latch.OAuthProfile
		wantErr string
	}{
		{
			name: "default mapper",
			want: latch.OAuthProfile{ID: "42", Email: "someone@example.com"},
		},
		{
			name: "mapper using the client and the token",
			profile: func(ctx context.Context, c *oauth.ProfileContext) (*latch.OAuthProfile, error) {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/extra", nil)
				resp, err := c.Client.Do(req)
				if err != nil {
					return nil, err
				}
				resp.Body.Close()
				return &latch.OAuthProfile{ID: c.Token.AccessToken, Email: "MIXED@case.org", Raw: map[string]any{"own": true}}, nil
			},
			want: latch.OAuthProfile{ID: "at", Email: "mixed@case.org"},
		},
		{
			name:    "mapper returns nothing",
			profile: func(context.Context, *oauth.ProfileContext) (*latch.OAuthProfile, error) { return nil, nil },
			wantErr: "returned no profile",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := oauth.New(oauth.Config{ID: "plain", ClientID: "cid", AuthURL: srv.URL + "/auth", TokenURL: srv.URL + "/token", UserInfoURL: srv.URL + "/me", Profile: tc.profile})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: "http://rp.test/cb", Code: "c"})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Exchange error = %v; want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got.ID != tc.want.ID || got.Email != tc.want.Email {
				t.Errorf("ID, Email = %q, %q; want %q, %q", got.ID, got.Email, tc.want.ID, tc.want.Email)
			}
			wantTokens := latch.OAuthTokens{AccessToken: "at", RefreshToken: "rt", TokenType: "Bearer", Scope: "identify email", SessionState: "ss"}
			if got.Tokens != wantTokens {
				t.Errorf("Tokens = %+v; want %+v", got.Tokens, wantTokens)
			}
			if got.Raw == nil {
				t.Error("Raw = nil; want the userinfo response or the mapper's")
			}
		})
	}
}
