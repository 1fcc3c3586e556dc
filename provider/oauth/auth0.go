package oauth

import (
	"cmp"
	"context"
	"strings"

	"github.com/latchauth/latch"
)

// Auth0 returns the Config of an Auth0 application (NextAuth's "auth0"
// provider): OpenID Connect with issuer https://<domain>/ (domain such as
// "dev-abc.us.auth0.com"; a full URL is accepted too), scopes
// "openid email profile", and NextAuth's mapping, whose Name is the
// "nickname" claim (else "name").
func Auth0(domain, clientID, clientSecret string) Config {
	issuer := domain
	if !strings.HasPrefix(issuer, "https://") && !strings.HasPrefix(issuer, "http://") {
		issuer = "https://" + issuer
	}
	if !strings.HasSuffix(issuer, "/") {
		issuer += "/" // Auth0's issuer ends with a slash
	}
	return Config{
		ID:           "auth0",
		Name:         "Auth0",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       issuer,
		Scopes:       []string{"openid", "email", "profile"},
		Profile:      auth0Profile,
	}
}

func auth0Profile(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
	p, err := StandardProfile(ctx, c)
	if err != nil {
		return nil, err
	}
	p.Name = cmp.Or(str(c.Raw["nickname"]), p.Name)
	return p, nil
}
