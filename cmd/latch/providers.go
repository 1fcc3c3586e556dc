package main

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/redis"
)

// buildProviders returns the sign-in providers the configuration asks for:
// the OAuth providers, the built-in user database (email and password),
// then email links, then passkeys.
func buildProviders(c *config, store latch.Store, log *slog.Logger) ([]latch.Provider, error) {
	var providers []latch.Provider
	for i, oc := range c.OAuth {
		p, err := buildOAuth(oc, c.file)
		if err != nil {
			return nil, fmt.Errorf("%s: oauth[%d]: %w", c.where(fmt.Sprintf("oauth[%d]", i)), i, err)
		}
		providers = append(providers, p)
	}
	pwOpts := password.Options{Logger: log, ClientIP: c.clientIP.IP}
	emailLimiter := email.Limiter(nil)
	if rs, ok := store.(*redis.Store); ok {
		// Several instances: count failures and link requests in Redis, so
		// the limits hold across all of them.
		pwOpts.Limiter = redis.NewLimiter(rs.Client(), c.redisPrefix()+passwordLimitPrefix, password.DefaultFailureWindow, password.DefaultMaxFailures)
		emailLimiter = redis.NewLimiter(rs.Client(), c.redisPrefix()+"limit:email:", email.DefaultWindow, email.DefaultMax)
	}
	if pwOpts.Limiter == nil && c.passwordLimiter != nil {
		pwOpts.Limiter = c.passwordLimiter // kept across reloads
	}
	providers = append(providers, password.New(store, pwOpts))
	if c.Email != nil {
		var sender email.Sender
		if s := c.Email.SMTP; s != nil {
			var err error
			sender, err = email.SMTP(email.SMTPConfig{Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, ImplicitTLS: s.ImplicitTLS, InsecureNoTLS: s.InsecureNoTLS})
			if err != nil {
				return nil, err
			}
		} else {
			log.Warn("DEVELOPMENT SETUP: email sign-in has no SMTP server; sign-in links and codes are written to this log")
			sender = email.Log(log)
		}
		p, err := email.New(email.Config{ID: "email", From: c.Email.From, Mode: latch.EmailMode(c.Email.Mode), Sender: sender, Limiter: emailLimiter, ClientIP: c.clientIP.IP, Logger: log})
		if err != nil {
			return nil, err
		}
		providers = append(providers, p)
	}
	if p := c.Passkeys; p.on() {
		providers = append(providers, &latch.Passkey{UserVerification: p.UserVerification, RPName: p.RPName, SignUp: p.SignUp})
	}
	return providers, nil
}

// buildOAuth returns the provider oc describes; file resolves the file
// names it gives (config.file).
func buildOAuth(oc oauthConfig, file func(string) string) (*oauth.Provider, error) {
	var cfg oauth.Config
	switch oc.Preset {
	case "apple":
		if oc.PrivateKeyFile == "" {
			return nil, errors.New("the apple preset needs privateKeyFile (the AuthKey_<keyId>.p8 file), teamId and keyId")
		}
		pem, err := os.ReadFile(file(oc.PrivateKeyFile))
		if err != nil {
			return nil, fmt.Errorf("apple private key: %w", err)
		}
		if cfg, err = oauth.Apple(oc.ClientID, oauth.AppleKey{TeamID: oc.TeamID, KeyID: oc.KeyID, PrivateKey: pem}); err != nil {
			return nil, err
		}
	case "github":
		cfg = oauth.GitHub(oc.ClientID, oc.ClientSecret)
		if oc.BaseURL != "" {
			cfg = oauth.GitHubEnterprise(oc.BaseURL, oc.ClientID, oc.ClientSecret)
		}
	case "google":
		cfg = oauth.Google(oc.ClientID, oc.ClientSecret)
	case "gitlab":
		cfg = oauth.GitLab(oc.BaseURL, oc.ClientID, oc.ClientSecret)
	case "discord":
		cfg = oauth.Discord(oc.ClientID, oc.ClientSecret)
	case "entra":
		cfg = oauth.MicrosoftEntraID(oc.Tenant, oc.ClientID, oc.ClientSecret)
	case "keycloak":
		cfg = oauth.Keycloak(oc.Issuer, oc.ClientID, oc.ClientSecret)
	case "auth0":
		cfg = oauth.Auth0(oc.Domain, oc.ClientID, oc.ClientSecret)
	case "okta":
		cfg = oauth.Okta(oc.Issuer, oc.ClientID, oc.ClientSecret)
	case "oidc":
		if oc.ID == "" {
			return nil, errors.New("an oidc provider needs an id")
		}
		cfg = oauth.OIDC(oc.ID, oc.Name, oc.Issuer, oc.ClientID, oc.ClientSecret)
	default:
		return nil, fmt.Errorf("unknown preset %q: want github, google, gitlab, discord, entra, keycloak, auth0, okta, apple or oidc", oc.Preset)
	}
	if oc.ID != "" {
		cfg.ID = oc.ID
	}
	if oc.Name != "" {
		cfg.Name = oc.Name
	}
	if oc.Scopes != nil {
		cfg.Scopes = oc.Scopes
	}
	if len(oc.Params) > 0 {
		cfg.Params = maps.Clone(cfg.Params)
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		maps.Copy(cfg.Params, oc.Params)
	}
	cfg.AllowEmailLinking = oc.AllowEmailLinking
	cfg.EndSession, cfg.RevokeOnSignOut = oc.EndSession, oc.RevokeOnSignOut
	return oauth.New(cfg)
}
