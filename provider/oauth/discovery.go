package oauth

import (
	"cmp"
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// endpoints returns the provider's endpoints, discovering them on first
// use. Concurrent callers share one discovery; a failed one is not cached,
// so the next call tries again. Waiting is bounded by ctx.
func (p *Provider) endpoints(ctx context.Context) (*endpoints, error) {
	for {
		p.mu.Lock()
		if ep := p.ep; ep != nil {
			p.mu.Unlock()
			return ep, nil
		}
		if wait := p.inflight; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, fmt.Errorf("oauth: discover %s: %w", p.cfg.Issuer, context.Cause(ctx))
			}
		}
		done := make(chan struct{})
		p.inflight = done
		p.mu.Unlock()

		ep, err := p.discover(ctx)

		p.mu.Lock()
		p.inflight = nil
		if err == nil {
			p.ep = ep
		}
		p.mu.Unlock()
		close(done)
		return ep, err
	}
}

// discover fetches the OpenID configuration of the issuer.
func (p *Provider) discover(ctx context.Context) (*endpoints, error) {
	ctx = p.withClient(ctx)
	wellKnown := strings.TrimSuffix(p.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	switch {
	case p.cfg.SkipIssuerCheck:
		ctx = oidc.InsecureIssuerURLContext(ctx, p.cfg.Issuer)
	case p.cfg.issuerFromDiscovery:
		issuer, err := p.discoveredIssuer(ctx)
		if err != nil {
			return nil, fmt.Errorf("oauth: provider %q: discover %s: %w", p.cfg.ID, wellKnown, err)
		}
		ctx = oidc.InsecureIssuerURLContext(ctx, issuer)
	}
	op, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oauth: provider %q: discover %s: %w", p.cfg.ID, wellKnown, err)
	}
	oe := op.Endpoint()
	authURL := cmp.Or(p.cfg.AuthURL, oe.AuthURL)
	tokenURL := cmp.Or(p.cfg.TokenURL, oe.TokenURL)
	if authURL == "" || tokenURL == "" {
		return nil, fmt.Errorf("oauth: provider %q: the OpenID configuration of %s lacks authorization_endpoint or token_endpoint; set AuthURL and TokenURL", p.cfg.ID, p.cfg.Issuer)
	}
	style := p.cfg.AuthStyle
	if style == oauth2.AuthStyleAutoDetect {
		// Skip x/oauth2's probing (a failed HTTP Basic attempt, then
		// form parameters) when the provider says what it supports.
		var meta struct {
			Methods []string `json:"token_endpoint_auth_methods_supported"`
		}
		if op.Claims(&meta) == nil {
			switch {
			case slices.Contains(meta.Methods, "client_secret_basic"):
				style = oauth2.AuthStyleInHeader
			case slices.Contains(meta.Methods, "client_secret_post"):
				style = oauth2.AuthStyleInParams
			}
		}
	}
	return p.newEndpoints(op, authURL, tokenURL, cmp.Or(p.cfg.UserInfoURL, op.UserInfoEndpoint()), style), nil
}

// discoveredIssuer returns the issuer the discovery document at Issuer
// names, which must be an https URL on Issuer's host.
func (p *Provider) discoveredIssuer(ctx context.Context) (string, error) {
	probe, err := oidc.NewProvider(oidc.InsecureIssuerURLContext(ctx, p.cfg.Issuer), p.cfg.Issuer)
	if err != nil {
		return "", err
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := probe.Claims(&doc); err != nil {
		return "", err
	}
	want, _ := url.Parse(p.cfg.Issuer)
	got, err := url.Parse(doc.Issuer)
	if err != nil || got.Scheme != want.Scheme || got.Host != want.Host {
		return "", fmt.Errorf("the document names issuer %q, not on %s://%s", doc.Issuer, want.Scheme, want.Host)
	}
	return doc.Issuer, nil
}

// Discover fetches the issuer's OpenID configuration now rather than at
// the first sign-in, so a server can say at start that the issuer cannot
// be reached. A provider whose endpoints are configured has nothing to
// fetch. A failure is not kept: every sign-in tries again.
func (p *Provider) Discover(ctx context.Context) error {
	_, err := p.endpoints(ctx)
	return err
}

// DiscoveryURL is the issuer URL the provider discovers its endpoints
// from, "" when its endpoints are configured.
func (p *Provider) DiscoveryURL() string { return p.cfg.Issuer }
