package oauth

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// ExchangeError is the token endpoint's refusal to exchange the
// authorization code (RFC 6749 §5.2), e.g. Code "invalid_grant" for a used,
// expired or PKCE-mismatched code. It wraps x/oauth2's
// [*oauth2.RetrieveError], which holds the response.
type ExchangeError struct {
	// Code is the response's "error", "" when the provider answered
	// something else than an RFC 6749 error.
	Code string
	// Description is the response's "error_description".
	Description string
	// StatusCode is the HTTP status of the response.
	StatusCode int

	err *oauth2.RetrieveError
}

// Error describes the refusal, its code and description bounded in length.
func (e *ExchangeError) Error() string {
	var b strings.Builder
	b.WriteString("oauth: token request refused")
	if e.Code == "" {
		fmt.Fprintf(&b, " with status %d", e.StatusCode)
		if e.err != nil && len(e.err.Body) > 0 {
			fmt.Fprintf(&b, ": %q", limit(string(e.err.Body), 200))
		}
		return b.String()
	}
	fmt.Fprintf(&b, ": %s", limit(e.Code, 64))
	if e.Description != "" {
		fmt.Fprintf(&b, ": %s", limit(e.Description, 256))
	}
	return b.String()
}

// Unwrap returns the [*oauth2.RetrieveError].
func (e *ExchangeError) Unwrap() error {
	if e.err == nil {
		return nil
	}
	return e.err
}

func limit(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Exchange implements [latch.OAuthProvider]. It trades req.Code (with
// req.CodeVerifier when PKCE is on) for tokens. For OpenID Connect it
// verifies the ID token (signature, issuer, audience, expiry, at_hash and,
// when the nonce check is on, that its nonce is req.Nonce) and reads its
// claims, overlaid with the userinfo response when the provider has a
// userinfo endpoint; for plain OAuth 2.0 it reads the userinfo response.
// Then Config.Profile maps them to the profile. A refusal of the token
// endpoint is an [*ExchangeError]. The profile's ID is what the mapper
// found, "" when the provider sent none (Latch then refuses the sign-in
// as NextAuth does).
func (p *Provider) Exchange(ctx context.Context, req latch.CallbackRequest) (*latch.OAuthProfile, error) {
	if req.Code == "" {
		return nil, fmt.Errorf("oauth: provider %q: the callback has no authorization code", p.cfg.ID)
	}
	if p.checks.PKCE && req.CodeVerifier == "" {
		return nil, fmt.Errorf("oauth: provider %q: PKCE is on but the callback request has no code verifier", p.cfg.ID)
	}
	if p.checks.Nonce && req.Nonce == "" {
		return nil, fmt.Errorf("oauth: provider %q: the nonce check is on but the callback request has no nonce", p.cfg.ID)
	}
	ep, err := p.endpoints(ctx)
	if err != nil {
		return nil, err
	}
	hctx := p.withClient(ctx)

	opts := []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("redirect_uri", req.RedirectURI)}
	if p.checks.PKCE {
		opts = append(opts, oauth2.VerifierOption(req.CodeVerifier))
	}
	oc := ep.oauth2
	if p.cfg.ClientSecretFunc != nil {
		secret, err := p.cfg.ClientSecretFunc(ctx)
		if err != nil {
			return nil, fmt.Errorf("oauth: provider %q: client secret: %w", p.cfg.ID, err)
		}
		c := *oc
		c.ClientSecret = secret
		oc = &c
	}
	tok, err := oc.Exchange(hctx, req.Code, opts...)
	if err != nil {
		if re, ok := errors.AsType[*oauth2.RetrieveError](err); ok {
			e := &ExchangeError{Code: re.ErrorCode, Description: re.ErrorDescription, err: re}
			if re.Response != nil {
				e.StatusCode = re.Response.StatusCode
			}
			return nil, e
		}
		return nil, fmt.Errorf("oauth: provider %q: token request: %w", p.cfg.ID, err)
	}
	client := oauth2.NewClient(hctx, oauth2.StaticTokenSource(tok))

	var raw map[string]any
	idToken, _ := tok.Extra("id_token").(string)
	if ep.oidc != nil {
		if idToken == "" {
			return nil, fmt.Errorf("oauth: provider %q: the token response has no id_token", p.cfg.ID)
		}
		if raw, err = p.verifyIDToken(ctx, ep, tok, idToken, req.Nonce); err != nil {
			return nil, err
		}
	}
	if ep.userInfoURL != "" {
		info, err := fetchJSON[map[string]any](ctx, client, ep.userInfoURL)
		if err != nil {
			return nil, fmt.Errorf("oauth: provider %q: userinfo: %w", p.cfg.ID, err)
		}
		if raw == nil {
			raw = info
		} else {
			// OIDC Core 5.3.2: userinfo is used only when its sub is the
			// ID token's.
			if sub := info["sub"]; str(sub) != str(raw["sub"]) {
				return nil, fmt.Errorf("oauth: provider %q: userinfo is about subject %q, the ID token about %q", p.cfg.ID, limit(str(sub), 64), limit(str(raw["sub"]), 64))
			}
			for k, v := range info {
				raw[k] = v
			}
		}
	}

	profile, err := p.cfg.Profile(ctx, &ProfileContext{Raw: raw, Token: tok, Client: client, Params: req.Params})
	if err != nil {
		return nil, fmt.Errorf("oauth: provider %q: profile: %w", p.cfg.ID, err)
	}
	if profile == nil {
		return nil, fmt.Errorf("oauth: provider %q: the Profile mapper returned no profile", p.cfg.ID)
	}
	profile.Email = latch.FoldEmail(profile.Email)
	if profile.Raw == nil {
		profile.Raw = raw
	}
	profile.Tokens = p.tokens(tok, idToken)
	return profile, nil
}

// verifyIDToken verifies the ID token and returns its claims.
func (p *Provider) verifyIDToken(ctx context.Context, ep *endpoints, tok *oauth2.Token, rawIDToken, nonce string) (map[string]any, error) {
	idt, err := ep.verifier.Verify(ctx, rawIDToken)
	if err != nil {
		return nil, fmt.Errorf("oauth: provider %q: ID token: %w", p.cfg.ID, err)
	}
	if p.checks.Nonce && subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("oauth: provider %q: ID token: nonce mismatch", p.cfg.ID)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, fmt.Errorf("oauth: provider %q: ID token: %w", p.cfg.ID, err)
		}
	}
	var claims json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return nil, fmt.Errorf("oauth: provider %q: ID token claims: %w", p.cfg.ID, err)
	}
	raw, err := decodeJSON[map[string]any](claims)
	if err != nil {
		return nil, fmt.Errorf("oauth: provider %q: ID token claims: %w", p.cfg.ID, err)
	}
	return raw, nil
}

// tokens returns the token response fields kept on the account.
func (p *Provider) tokens(tok *oauth2.Token, idToken string) latch.OAuthTokens {
	t := latch.OAuthTokens{
		AccessToken:  tok.AccessToken,
		RefreshToken: tok.RefreshToken,
		TokenType:    tok.TokenType,
		IDToken:      idToken,
	}
	switch {
	case tok.ExpiresIn > 0:
		t.ExpiresAt = p.cfg.Now().Unix() + tok.ExpiresIn
	case !tok.Expiry.IsZero():
		t.ExpiresAt = tok.Expiry.Unix()
	}
	t.Scope = str(tok.Extra("scope"))
	t.SessionState = str(tok.Extra("session_state"))
	return t
}

// decodeJSON decodes one JSON value, keeping numbers as json.Number.
func decodeJSON[T any](b []byte) (T, error) {
	var v T
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	err := d.Decode(&v)
	return v, err
}
