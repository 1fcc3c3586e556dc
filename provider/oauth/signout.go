package oauth

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

var _ latch.ProviderSignOut = (*Provider)(nil)

// EndSessionURL implements [latch.ProviderSignOut]: with
// Config.EndSession and an end_session_endpoint, the URL that ends the
// user's session at the provider (OpenID Connect RP-Initiated Logout 1.0
// §2) with id_token_hint, client_id and post_logout_redirect_uri; else "".
func (p *Provider) EndSessionURL(ctx context.Context, idToken, postLogoutRedirectURI string) (string, error) {
	if !p.cfg.EndSession {
		return "", nil
	}
	ep, err := p.endpoints(ctx)
	if err != nil {
		return "", err
	}
	if ep.endSessionURL == "" {
		return "", nil
	}
	u, err := url.Parse(ep.endSessionURL)
	if err != nil {
		return "", fmt.Errorf("oauth: provider %q: end_session_endpoint: %w", p.cfg.ID, err)
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", p.cfg.ClientID)
	if postLogoutRedirectURI != "" {
		q.Set("post_logout_redirect_uri", postLogoutRedirectURI)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// RevokeTokens implements [latch.ProviderSignOut]: with
// Config.RevokeOnSignOut and a revocation_endpoint, it revokes the refresh
// token, then the access token (RFC 7009 §2.1), authenticating as the
// token endpoint does. It reports whether it revoked anything.
func (p *Provider) RevokeTokens(ctx context.Context, t latch.OAuthTokens) (bool, error) {
	if !p.cfg.RevokeOnSignOut || t.RefreshToken == "" && t.AccessToken == "" {
		return false, nil
	}
	ep, err := p.endpoints(ctx)
	if err != nil {
		return false, err
	}
	if ep.revocationURL == "" {
		return false, nil
	}
	secret := p.cfg.ClientSecret
	if p.cfg.ClientSecretFunc != nil {
		if secret, err = p.cfg.ClientSecretFunc(ctx); err != nil {
			return false, fmt.Errorf("oauth: provider %q: client secret: %w", p.cfg.ID, err)
		}
	}
	for _, tok := range []struct{ value, hint string }{{t.RefreshToken, "refresh_token"}, {t.AccessToken, "access_token"}} {
		if tok.value == "" {
			continue
		}
		form := url.Values{"token": {tok.value}, "token_type_hint": {tok.hint}}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.revocationURL, nil)
		if err != nil {
			return false, err
		}
		if ep.oauth2.Endpoint.AuthStyle == oauth2.AuthStyleInParams {
			form.Set("client_id", p.cfg.ClientID)
			if secret != "" {
				form.Set("client_secret", secret)
			}
		} else { // RFC 6749 §2.3.1: form-encoded, then Basic
			req.SetBasicAuth(url.QueryEscape(p.cfg.ClientID), url.QueryEscape(secret))
		}
		body := form.Encode()
		req.Body = io.NopCloser(strings.NewReader(body))
		req.ContentLength = int64(len(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := p.client.Do(req)
		if err != nil {
			return false, fmt.Errorf("oauth: provider %q: revoke %s: %w", p.cfg.ID, tok.hint, err)
		}
		io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return false, fmt.Errorf("oauth: provider %q: revoke %s: status %d", p.cfg.ID, tok.hint, res.StatusCode)
		}
	}
	return true, nil
}
