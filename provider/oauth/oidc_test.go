package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/oauth/oauthtest"
)

// rpCallback is the redirect URI the tests register; nothing listens there:
// oauthtest.OP.Login stops at the redirect to it.
const rpCallback = "http://rp.test/api/auth/callback/zitadel"

func newJarClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signIn runs the authorization request of p against op and returns the
// callback's parameters.
func signIn(t *testing.T, op *oauthtest.OP, p *oauth.Provider, req latch.AuthorizationRequest) url.Values {
	t.Helper()
	authURL, err := p.AuthCodeURL(t.Context(), req)
	if err != nil {
		t.Fatalf("AuthCodeURL: %v", err)
	}
	cb, err := url.Parse(op.Login(t, newJarClient(t), authURL))
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != rpCallback {
		t.Fatalf("callback = %q; want %q", got, rpCallback)
	}
	q := cb.Query()
	if q.Get("code") == "" {
		t.Fatalf("callback %q has no code", cb)
	}
	if q.Get("state") != req.State {
		t.Fatalf("callback state = %q; want %q", q.Get("state"), req.State)
	}
	return q
}

func TestOIDCExchange(t *testing.T) {
	op := oauthtest.NewProvider(t, rpCallback)
	const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk0123"
	const nonce = "n-0S6_WzA2Mj"
	later := func() time.Time { return time.Now().Add(2 * time.Hour) }

	tests := []struct {
		name    string
		checks  latch.OAuthChecks
		now     func() time.Time
		cb      func(q url.Values) latch.CallbackRequest
		wantErr func(t *testing.T, err error)
	}{
		{
			name:   "state and PKCE",
			checks: latch.OAuthChecks{State: true, PKCE: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier, Params: q}
			},
		},
		{
			name:   "state, PKCE and nonce",
			checks: latch.OAuthChecks{State: true, PKCE: true, Nonce: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier, Nonce: nonce, Params: q}
			},
		},
		{
			name:   "state only",
			checks: latch.OAuthChecks{State: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), Params: q}
			},
		},
		{
			name:   "wrong PKCE verifier",
			checks: latch.OAuthChecks{State: true, PKCE: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier + "x", Params: q}
			},
			wantErr: wantExchangeError("invalid_grant"),
		},
		{
			name:   "nonce mismatch",
			checks: latch.OAuthChecks{State: true, PKCE: true, Nonce: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier, Nonce: "another-nonce", Params: q}
			},
			wantErr: wantErrorContaining("nonce mismatch"),
		},
		{
			name:   "expired ID token",
			checks: latch.OAuthChecks{State: true, PKCE: true},
			now:    later,
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier, Params: q}
			},
			wantErr: func(t *testing.T, err error) {
				t.Helper()
				if _, ok := errors.AsType[*oidc.TokenExpiredError](err); !ok {
					t.Errorf("err = %v; want an *oidc.TokenExpiredError", err)
				}
			},
		},
		{
			name:   "unknown code",
			checks: latch.OAuthChecks{State: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Code: "not-a-code", Params: q}
			},
			wantErr: wantExchangeError("invalid_grant"),
		},
		{
			name:   "no code",
			checks: latch.OAuthChecks{State: true},
			cb: func(q url.Values) latch.CallbackRequest {
				return latch.CallbackRequest{RedirectURI: rpCallback, Params: q}
			},
			wantErr: wantErrorContaining("no authorization code"),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, op.ClientSecret)
			cfg.Checks = &tc.checks
			cfg.Now = tc.now
			p, err := oauth.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			req := latch.AuthorizationRequest{RedirectURI: rpCallback, State: "state-" + tc.name}
			if tc.checks.PKCE {
				req.CodeChallenge = challenge(verifier)
			}
			if tc.checks.Nonce {
				req.Nonce = nonce
			}
			q := signIn(t, op, p, req)

			got, err := p.Exchange(t.Context(), tc.cb(q))
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("Exchange = %+v; want an error", got)
				}
				tc.wantErr(t, err)
				return
			}
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if got.ID != op.Subject || got.Email != op.Email || got.Name != op.Name || got.EmailVerified != op.EmailVerified {
				t.Errorf("profile = {ID:%q Email:%q Name:%q EmailVerified:%v}; want {ID:%q Email:%q Name:%q EmailVerified:%v}",
					got.ID, got.Email, got.Name, got.EmailVerified, op.Subject, op.Email, op.Name, op.EmailVerified)
			}
			tok := got.Tokens
			if tok.AccessToken == "" || tok.IDToken == "" || !strings.EqualFold(tok.TokenType, "bearer") {
				t.Errorf("tokens = %+v; want an access token, an ID token and token type Bearer", tok)
			}
			if now := time.Now().Unix(); tok.ExpiresAt < now || tok.ExpiresAt > now+24*3600 {
				t.Errorf("ExpiresAt = %d; want within a day after %d", tok.ExpiresAt, now)
			}
			if got.Raw["sub"] != op.Subject || got.Raw["email"] != op.Email {
				t.Errorf("Raw = %v; want sub %q and email %q", got.Raw, op.Subject, op.Email)
			}
			if tc.checks.Nonce && got.Raw["nonce"] != nonce {
				t.Errorf("Raw nonce = %v; want %q", got.Raw["nonce"], nonce)
			}
		})
	}
}

func wantExchangeError(code string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		e, ok := errors.AsType[*oauth.ExchangeError](err)
		if !ok {
			t.Fatalf("err = %v (%T); want an *oauth.ExchangeError", err, err)
		}
		if e.Code != code {
			t.Errorf("ExchangeError.Code = %q; want %q (err: %v)", e.Code, code, err)
		}
		if e.StatusCode != http.StatusBadRequest {
			t.Errorf("ExchangeError.StatusCode = %d; want %d", e.StatusCode, http.StatusBadRequest)
		}
		if _, ok := errors.AsType[*oauth2.RetrieveError](err); !ok {
			t.Errorf("err = %v; want it to wrap an *oauth2.RetrieveError", err)
		}
	}
}

func wantErrorContaining(s string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		t.Helper()
		if !strings.Contains(err.Error(), s) {
			t.Errorf("err = %q; want it to contain %q", err, s)
		}
	}
}

func TestOIDCWrongClientSecret(t *testing.T) {
	op := oauthtest.NewProvider(t, rpCallback)
	good, err := oauth.New(oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, op.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, "wrong")
	cfg.Checks = &latch.OAuthChecks{State: true}
	bad, err := oauth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	q := signIn(t, op, good, latch.AuthorizationRequest{RedirectURI: rpCallback, State: "s"})
	_, err = bad.Exchange(t.Context(), latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), Params: q})
	e, ok := errors.AsType[*oauth.ExchangeError](err)
	if !ok {
		t.Fatalf("err = %v; want an *oauth.ExchangeError", err)
	}
	if e.Code != "invalid_client" {
		t.Errorf("Code = %q; want %q", e.Code, "invalid_client")
	}
}

func TestOIDCSetRedirectURIs(t *testing.T) {
	op := oauthtest.NewProvider(t)
	op.SetRedirectURIs(rpCallback)
	p, err := oauth.New(oauth.OIDC("zitadel", "Zitadel", op.Issuer, op.ClientID, op.ClientSecret))
	if err != nil {
		t.Fatal(err)
	}
	const verifier = "0123456789012345678901234567890123456789abc"
	q := signIn(t, op, p, latch.AuthorizationRequest{RedirectURI: rpCallback, State: "s", CodeChallenge: challenge(verifier)})
	got, err := p.Exchange(context.Background(), latch.CallbackRequest{RedirectURI: rpCallback, Code: q.Get("code"), CodeVerifier: verifier, Params: q})
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if got.ID != op.Subject {
		t.Errorf("ID = %q; want %q", got.ID, op.Subject)
	}
}
