package latch_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

// signOut posts the sign-out form with json=true and returns the url of
// the answer.
func (s *tokenSite) signOut(t *testing.T, c *http.Client, callbackURL string) string {
	t.Helper()
	res, err := c.Get(s.srv.URL + "/api/auth/csrf")
	if err != nil {
		t.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	res, err = c.PostForm(s.srv.URL+"/api/auth/signout", url.Values{"csrfToken": {csrf.CsrfToken}, "callbackUrl": {callbackURL}, "json": {"true"}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ URL string }
	json.NewDecoder(res.Body).Decode(&out)
	return out.URL
}

// TestFederatedSignOut: a provider configured with EndSession sends the
// signing-out browser to the OP's end_session_endpoint, which ends the
// user's grants there and comes back to the callbackUrl; one configured
// with RevokeOnSignOut revokes the tokens first.
func TestFederatedSignOut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		store  bool
		revoke bool
	}{
		{name: "store, end session", store: true},
		{name: "store, end session and revoke", store: true, revoke: true},
		{name: "JWT without a store, end session"},
		{name: "JWT without a store, end session and revoke", revoke: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stores := []latch.Store{nil}
			if tc.store {
				stores[0] = sqliteStore(t)
			}
			ts := newTokenSitesWith(t, stores, func(c *oauth.Config) {
				c.EndSession, c.RevokeOnSignOut = true, tc.revoke
			}, nil)
			site := ts.sites[0]
			ts.op.SetPostLogoutRedirectURIs(site.srv.URL + "/bye")
			c := site.signIn(t, ts.op)
			var uid string
			if tc.store {
				uid = site.userID(t, c)
			}
			before := site.request(c) // the session cookie, with the tokens when there is no store

			to := site.signOut(t, c, "/bye")
			u, err := url.Parse(to)
			if err != nil || !strings.HasPrefix(to, ts.op.Issuer+"/") {
				t.Fatalf("sign-out url = %q; want the OP's end_session_endpoint", to)
			}
			q := u.Query()
			if q.Get("id_token_hint") == "" || q.Get("client_id") != ts.op.ClientID || q.Get("post_logout_redirect_uri") != site.srv.URL+"/bye" {
				t.Errorf("end session URL %s; want id_token_hint, client_id and post_logout_redirect_uri", to)
			}
			if _, body := site.get(t, c, "/api/auth/session", nil); body != "{}" {
				t.Errorf("session at Latch after sign-out = %s; want {}", body)
			}
			res, err := c.Get(to)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if loc := res.Header.Get("Location"); res.StatusCode != http.StatusFound || loc != site.srv.URL+"/bye" {
				t.Fatalf("the OP's end_session answered %d to %q; want a redirect to the callbackUrl", res.StatusCode, loc)
			}

			// The OP's grants are gone: the old refresh token is refused.
			refreshes := ts.op.Refreshes()
			ts.clock.Advance(250 * time.Second)
			if !tc.store {
				if _, err := site.auth.ProviderToken(nil, before, "idp", 0); !errors.Is(err, latch.ErrReauthRequired) {
					t.Errorf("provider token of the old cookie after the federated sign-out: %v; want ErrReauthRequired", err)
				}
			}
			if tc.store {
				if _, err := site.auth.UserProviderToken(t.Context(), uid, "idp", 0); !errors.Is(err, latch.ErrReauthRequired) {
					t.Errorf("provider token after the federated sign-out: %v; want ErrReauthRequired", err)
				}
				if tc.revoke && ts.op.Refreshes() != refreshes {
					t.Error("revoked tokens were sent to the provider")
				}
				accs, _ := site.store.Accounts(t.Context(), uid)
				if tc.revoke && (len(accs) != 1 || accs[0].RefreshToken != "" || accs[0].AccessToken != "" || accs[0].RefreshError != "revoked") {
					t.Errorf("account after revocation = %+v; want no tokens and RefreshError revoked", accs)
				}
			}
		})
	}
}

// TestSignOutRevokes: RevokeOnSignOut alone revokes the tokens at the
// provider (RFC 7009) and sends the browser to the callbackUrl.
func TestSignOutRevokes(t *testing.T) {
	for _, store := range []bool{true, false} {
		stores := []latch.Store{nil}
		if store {
			stores[0] = sqliteStore(t)
		}
		ts := newTokenSitesWith(t, stores, func(c *oauth.Config) { c.RevokeOnSignOut = true }, nil)
		site := ts.sites[0]
		c := site.signIn(t, ts.op)
		before := site.request(c)
		uid := site.userID(t, c)
		if to := site.signOut(t, c, "/bye"); to != site.srv.URL+"/bye" {
			t.Errorf("store %v: sign-out url = %q; want the callbackUrl", store, to)
		}
		ts.clock.Advance(250 * time.Second)
		var err error
		if store {
			_, err = site.auth.UserProviderToken(t.Context(), uid, "idp", 0)
		} else {
			_, err = site.auth.ProviderToken(nil, before, "idp", 0)
		}
		if !errors.Is(err, latch.ErrReauthRequired) {
			t.Errorf("store %v: provider token after a revoking sign-out: %v; want ErrReauthRequired", store, err)
		}
	}
}

// TestSignOutWithoutFederation: a provider without EndSession signs out
// at Latch only, back to the callbackUrl.
func TestSignOutWithoutFederation(t *testing.T) {
	ts := newTokenSites(t, []latch.Store{sqliteStore(t)}, nil)
	site := ts.sites[0]
	c := site.signIn(t, ts.op)
	uid := site.userID(t, c)
	if to := site.signOut(t, c, "/bye"); to != site.srv.URL+"/bye" {
		t.Errorf("sign-out url = %q; want the callbackUrl", to)
	}
	ts.clock.Advance(250 * time.Second)
	if _, err := site.auth.UserProviderToken(t.Context(), uid, "idp", 0); err != nil {
		t.Errorf("the provider's grant should outlive a plain sign-out: %v", err)
	}
}
