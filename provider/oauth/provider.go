package oauth

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// Config describes an OAuth 2.0 or OpenID Connect provider. Set Issuer for
// OpenID Connect, or AuthURL, TokenURL and UserInfoURL for plain OAuth 2.0.
type Config struct {
	// ID is the provider's URL segment (<base>/signin/<ID>,
	// <base>/callback/<ID>) and the "provider" of its accounts. Required.
	ID string
	// Name is shown on the sign-in page; it defaults to ID.
	Name string

	// ClientID and ClientSecret are the credentials of the app registered
	// with the provider. ClientID is required; ClientSecret may be empty
	// for public clients that use PKCE.
	ClientID, ClientSecret string
	// ClientSecretFunc, when set, returns the client secret for each
	// token request in place of ClientSecret: for providers whose secret
	// is a short-lived signed JWT (see [Apple]).
	ClientSecretFunc func(ctx context.Context) (string, error)

	// Issuer makes the provider an OpenID Connect provider. Its endpoints
	// are discovered at <Issuer>/.well-known/openid-configuration, whose
	// "issuer" must equal Issuer exactly (mind trailing slashes).
	Issuer string
	// AuthURL, TokenURL and UserInfoURL are the endpoints of a plain
	// OAuth 2.0 provider (AuthURL and TokenURL are then required), or
	// override the discovered ones of an OpenID Connect provider.
	AuthURL, TokenURL, UserInfoURL string

	// Scopes are the requested scopes. An OpenID Connect provider needs
	// "openid" among them; nil means "openid email profile" there and no
	// scope parameter for plain OAuth 2.0.
	Scopes []string
	// Params are extra authorization request parameters (e.g. "prompt").
	// A sign-in request's own parameters override them, but for
	// response_mode. "response_mode": "form_post" turns on
	// [latch.OAuthChecks.FormPost]. Parameters that
	// the flow owns (client_id, redirect_uri, response_type, state,
	// code_challenge, code_challenge_method, nonce) are never taken from
	// either.
	Params map[string]string

	// Checks are the protections of the flow. nil means State for plain
	// OAuth 2.0 and State and PKCE for OpenID Connect. Nonce needs an
	// Issuer.
	Checks *latch.OAuthChecks

	// Profile maps what the provider returned to the user's profile. nil
	// means [StandardProfile]. Exchange fills in the profile's Tokens,
	// lower-cases its Email and sets Raw when the mapper left it nil.
	Profile func(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error)

	// AllowEmailLinking lets a first sign-in with a verified email that
	// belongs to an existing user link to that user (NextAuth's
	// allowDangerousEmailAccountLinking). Only safe with providers that
	// verify email addresses.
	AllowEmailLinking bool

	// SkipIssuerCheck accepts ID tokens whose "iss" is not Issuer, and a
	// discovery document whose "issuer" is not Issuer. It is meant for
	// multi-tenant endpoints (Microsoft's "common", "organizations" and
	// "consumers") where each tenant signs with its own issuer. The
	// signature (with the keys of Issuer's jwks_uri), audience and expiry
	// are still checked; restrict the accepted tenants (the "tid" claim)
	// in Profile or in Latch's SignIn callback.
	SkipIssuerCheck bool

	// EndSession also ends the user's session at the provider when they
	// sign out of Latch (OpenID Connect RP-initiated logout): the sign-out
	// sends the browser to the provider's end_session_endpoint (from
	// discovery, or EndSessionURL) with id_token_hint and, as
	// post_logout_redirect_uri, the sign-out's callbackUrl (checked by
	// the redirect rule as usual; register it with the provider).
	EndSession bool
	// RevokeOnSignOut revokes the user's tokens at the provider (RFC 7009)
	// when they sign out of Latch, at its revocation_endpoint (from
	// discovery, or RevocationURL). With a Store, the tokens are the
	// account's, shared by the user's other sessions, whose provider
	// tokens then stop working ("RefreshTokenError").
	RevokeOnSignOut bool
	// EndSessionURL and RevocationURL set or override the discovered
	// end_session_endpoint and revocation_endpoint.
	EndSessionURL, RevocationURL string

	// HTTPClient makes every request to the provider (discovery, keys,
	// token, userinfo). nil means a client with a 30 second timeout.
	HTTPClient *http.Client
	// AuthStyle is how the client authenticates to the token endpoint.
	// The zero value follows the discovery document's
	// token_endpoint_auth_methods_supported (client_secret_basic first)
	// or else tries HTTP Basic, then form parameters, and remembers what
	// worked.
	AuthStyle oauth2.AuthStyle
	// Now is the clock for ID token expiry and token expiry times. nil
	// means time.Now.
	Now func() time.Time

	// issuerFromDiscovery takes the ID tokens' issuer from the discovery
	// document found at Issuer, which must be on Issuer's host: for
	// Entra tenants named by a domain, whose documents name the tenant ID.
	issuerFromDiscovery bool
}

// ProfileContext is what a [Config.Profile] mapper works from.
type ProfileContext struct {
	// Raw is the userinfo response of a plain OAuth 2.0 provider, or for
	// OpenID Connect the ID token's claims overlaid with the userinfo
	// response (when the provider has a userinfo endpoint). Numbers are
	// json.Number. It is nil when there is no userinfo endpoint and no ID
	// token.
	Raw map[string]any
	// Token is the token response.
	Token *oauth2.Token
	// Client sends the access token with every request, for APIs the
	// mapper needs (e.g. GitHub's /user/emails). Use requests with ctx.
	Client *http.Client
	// Params are the callback's parameters (its query, or its form for
	// response_mode=form_post). Apple sends the user's name in "user",
	// on the first sign-in only.
	Params url.Values
}

// Provider is an OAuth 2.0 or OpenID Connect provider made by [New]. It is
// safe for concurrent use.
type Provider struct {
	cfg    Config
	checks latch.OAuthChecks
	client *http.Client

	mu       sync.Mutex
	ep       *endpoints    // nil until discovered
	inflight chan struct{} // closed when the running discovery ends
}

var _ latch.OAuthProvider = (*Provider)(nil)

// defaultClient is used when Config.HTTPClient is nil.
var defaultClient = &http.Client{Timeout: 30 * time.Second}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)

// New checks cfg and returns its provider. It does not contact the
// provider: OpenID Connect discovery happens on first use.
func New(cfg Config) (*Provider, error) {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	switch {
	case cfg.ID == "":
		bad("ID is empty; set it to the provider's URL segment, e.g. \"github\"")
	case !idPattern.MatchString(cfg.ID):
		bad("ID %q may only contain letters, digits and . _ ~ - (it is a URL path segment)", cfg.ID)
	}
	if cfg.ClientID == "" {
		bad("ClientID is empty; set it to the client id of the app registered with the provider")
	}
	checkURL := func(field, v string) {
		if v == "" {
			return
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			bad("%s %q is not an absolute http(s) URL", field, v)
		}
	}
	checkURL("Issuer", cfg.Issuer)
	checkURL("AuthURL", cfg.AuthURL)
	checkURL("TokenURL", cfg.TokenURL)
	checkURL("UserInfoURL", cfg.UserInfoURL)
	checkURL("EndSessionURL", cfg.EndSessionURL)
	checkURL("RevocationURL", cfg.RevocationURL)
	if cfg.Issuer == "" {
		if cfg.AuthURL == "" || cfg.TokenURL == "" {
			bad("set Issuer (OpenID Connect) or both AuthURL and TokenURL (OAuth 2.0)")
		} else if cfg.UserInfoURL == "" && cfg.Profile == nil {
			bad("UserInfoURL is empty; a plain OAuth 2.0 provider needs it, or a Profile mapper that fetches the profile itself")
		}
		if cfg.Checks != nil && cfg.Checks.Nonce {
			bad("Checks.Nonce needs an ID token; set Issuer or turn the nonce check off")
		}
		if cfg.SkipIssuerCheck {
			bad("SkipIssuerCheck only applies to OpenID Connect; set Issuer or turn it off")
		}
	} else if cfg.Scopes != nil && !slices.Contains(cfg.Scopes, "openid") {
		bad("Scopes %q lack \"openid\", without which an OpenID Connect provider returns no ID token", cfg.Scopes)
	}
	if len(errs) > 0 {
		id := cfg.ID
		if id == "" {
			id = "(no ID)"
		}
		return nil, fmt.Errorf("oauth: provider %q: %w", id, errors.Join(errs...))
	}

	p := &Provider{cfg: cfg, client: cfg.HTTPClient}
	if p.cfg.Name == "" {
		p.cfg.Name = cfg.ID
	}
	p.cfg.Scopes = slices.Clone(cfg.Scopes)
	if p.cfg.Scopes == nil && cfg.Issuer != "" {
		p.cfg.Scopes = []string{"openid", "email", "profile"}
	}
	p.cfg.Params = maps.Clone(cfg.Params)
	if p.client == nil {
		p.client = defaultClient
	}
	if p.cfg.Now == nil {
		p.cfg.Now = time.Now
	}
	if p.cfg.Profile == nil {
		p.cfg.Profile = StandardProfile
	}
	switch {
	case cfg.Checks != nil:
		p.checks = *cfg.Checks
	case cfg.Issuer != "":
		p.checks = latch.OAuthChecks{State: true, PKCE: true}
	default:
		p.checks = latch.OAuthChecks{State: true}
	}
	if p.cfg.Params["response_mode"] == "form_post" {
		p.checks.FormPost = true
	}
	if cfg.Issuer == "" {
		p.ep = p.newEndpoints(nil, cfg.AuthURL, cfg.TokenURL, cfg.UserInfoURL, cfg.AuthStyle)
	}
	return p, nil
}

// Info implements [latch.Provider].
func (p *Provider) Info() latch.ProviderInfo {
	return latch.ProviderInfo{ID: p.cfg.ID, Name: p.cfg.Name, Type: latch.TypeOAuth}
}

// Checks implements [latch.OAuthProvider].
func (p *Provider) Checks() latch.OAuthChecks { return p.checks }

// AllowEmailLinking implements [latch.OAuthProvider].
func (p *Provider) AllowEmailLinking() bool { return p.cfg.AllowEmailLinking }

// withClient returns ctx carrying the provider's HTTP client the way
// x/oauth2 and go-oidc look for it. It is the only place that puts a
// client in a context.
func (p *Provider) withClient(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, p.client)
}

// endpoints are a provider's resolved endpoints.
type endpoints struct {
	oauth2      *oauth2.Config // RedirectURL is set per request
	userInfoURL string
	// endSessionURL and revocationURL are "" when unknown.
	endSessionURL, revocationURL string
	oidc                         *oidc.Provider // nil for plain OAuth 2.0
	verifier                     *oidc.IDTokenVerifier
}

func (p *Provider) newEndpoints(op *oidc.Provider, authURL, tokenURL, userInfoURL string, style oauth2.AuthStyle) *endpoints {
	ep := &endpoints{
		oauth2: &oauth2.Config{
			ClientID:     p.cfg.ClientID,
			ClientSecret: p.cfg.ClientSecret,
			Endpoint:     oauth2.Endpoint{AuthURL: authURL, TokenURL: tokenURL, AuthStyle: style},
			Scopes:       p.cfg.Scopes,
		},
		userInfoURL:   userInfoURL,
		oidc:          op,
		endSessionURL: p.cfg.EndSessionURL,
		revocationURL: p.cfg.RevocationURL,
	}
	if op != nil {
		var meta struct {
			EndSession string `json:"end_session_endpoint"`
			Revocation string `json:"revocation_endpoint"`
		}
		if op.Claims(&meta) == nil {
			ep.endSessionURL = cmp.Or(ep.endSessionURL, meta.EndSession)
			ep.revocationURL = cmp.Or(ep.revocationURL, meta.Revocation)
		}
	}
	if op != nil {
		ep.verifier = op.Verifier(&oidc.Config{
			ClientID:        p.cfg.ClientID,
			SkipIssuerCheck: p.cfg.SkipIssuerCheck,
			Now:             p.cfg.Now,
		})
	}
	return ep
}
