package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

var _ latch.TokenRefresher = (*Provider)(nil)

// RefreshToken implements [latch.TokenRefresher]: it sends a
// refresh_token grant to the token endpoint (RFC 6749 §6) through
// x/oauth2. A response without a refresh token keeps refreshToken (the
// provider does not rotate). An ID token in the response is verified
// (signature, issuer, audience, expiry) as at sign-in.
//
// Errors: an RFC 6749 §5.2 "invalid_grant" (the refresh token is revoked,
// expired or used already) wraps [latch.ErrReauthRequired];
// invalid_client, unauthorized_client, invalid_request,
// unsupported_grant_type and invalid_scope wrap [latch.ErrRefreshRejected];
// network errors, timeouts, 5xx and other answers wrap
// [latch.ErrRefreshUnavailable]. Each also wraps an [*ExchangeError] when
// the token endpoint answered.
func (p *Provider) RefreshToken(ctx context.Context, refreshToken string) (*latch.OAuthTokens, error) {
	if refreshToken == "" {
		return nil, fmt.Errorf("oauth: provider %q: %w", p.cfg.ID, latch.ErrNoRefreshToken)
	}
	ep, err := p.endpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", latch.ErrRefreshUnavailable, err)
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
	// An expired token with only the refresh token makes the token source
	// refresh at once.
	tok, err := oc.TokenSource(p.withClient(ctx), &oauth2.Token{RefreshToken: refreshToken}).Token()
	if err != nil {
		return nil, p.refreshError(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	if idToken != "" && ep.verifier != nil {
		if _, err := ep.verifier.Verify(ctx, idToken); err != nil {
			return nil, fmt.Errorf("%w: oauth: provider %q: refreshed ID token: %w", latch.ErrRefreshUnavailable, p.cfg.ID, err)
		}
	}
	t := p.tokens(tok, idToken)
	return &t, nil
}

// refreshError classifies a failed refresh request.
func (p *Provider) refreshError(err error) error {
	re, ok := errors.AsType[*oauth2.RetrieveError](err)
	if !ok { // network, timeout, an unreadable answer
		return fmt.Errorf("%w: oauth: provider %q: token request: %w", latch.ErrRefreshUnavailable, p.cfg.ID, err)
	}
	e := &ExchangeError{Code: re.ErrorCode, Description: re.ErrorDescription, err: re}
	if re.Response != nil {
		e.StatusCode = re.Response.StatusCode
	}
	var kind error
	switch {
	case e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests:
		kind = latch.ErrRefreshUnavailable
	case e.Code == "invalid_grant":
		kind = latch.ErrReauthRequired
	case e.Code == "invalid_client", e.Code == "unauthorized_client", e.Code == "invalid_request",
		e.Code == "unsupported_grant_type", e.Code == "invalid_scope":
		kind = latch.ErrRefreshRejected
	default:
		kind = latch.ErrRefreshUnavailable
	}
	return fmt.Errorf("%w: oauth: provider %q: %w", kind, p.cfg.ID, e)
}
