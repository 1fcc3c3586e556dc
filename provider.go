package latch

import (
	"context"
	"net/http"
	"net/url"
	"time"
)

// Provider types, as GET <base>/providers reports them.
const (
	TypeOAuth       = "oauth"
	TypeEmail       = "email"
	TypeCredentials = "credentials"
)

// Provider is a way to sign in.
type Provider interface {
	// Info returns the provider's id, display name and type.
	Info() ProviderInfo
}

// ProviderInfo describes a provider.
type ProviderInfo struct {
	ID   string // URL segment: <base>/signin/<ID>, <base>/callback/<ID>
	Name string // shown on the sign-in page
	Type string // TypeOAuth, TypeEmail or TypeCredentials
}

// Credentials signs users in with whatever fields a form submits, checked
// by Authorize. Sessions are JWTs.
type Credentials struct {
	// ID defaults to "credentials"; Name to "Credentials".
	ID, Name string
	// Fields are the inputs of the sign-in page's form.
	Fields []CredentialField
	// Authorize returns the user the credentials identify, or nil (or
	// ErrCredentialsSignin) when they are wrong. An *Error refuses the
	// sign-in with its code; any other error is a server failure (logged,
	// code Callback). credentials holds every submitted field, including
	// csrfToken and callbackUrl.
	Authorize func(ctx context.Context, credentials map[string]string, r *http.Request) (*User, error)
}

// CredentialField is one input of a credentials form.
type CredentialField struct {
	Name        string // form field name
	Label       string // defaults to Name
	Type        string // HTML input type; defaults to "text"
	Placeholder string
}

// Info implements [Provider].
func (c *Credentials) Info() ProviderInfo {
	info := ProviderInfo{ID: c.ID, Name: c.Name, Type: TypeCredentials}
	if info.ID == "" {
		info.ID = "credentials"
	}
	if info.Name == "" {
		info.Name = "Credentials"
	}
	return info
}

// OAuthProvider is an OAuth 2.0 or OpenID Connect provider; provider/oauth
// implements it with golang.org/x/oauth2 and coreos/go-oidc. Latch runs the
// flow around it: the state, PKCE and nonce values and their cookies, the
// callback checks, account linking and the session.
type OAuthProvider interface {
	Provider
	// Checks returns the protections the provider uses.
	Checks() OAuthChecks
	// AuthCodeURL returns the provider's authorization URL for req.
	AuthCodeURL(ctx context.Context, req AuthorizationRequest) (string, error)
	// Exchange trades the authorization code for tokens and returns the
	// user's profile. It verifies what it can (for OIDC: the ID token's
	// signature, issuer, audience, expiry and nonce). An error means the
	// sign-in failed (code OAuthCallback).
	Exchange(ctx context.Context, req CallbackRequest) (*OAuthProfile, error)
	// AllowEmailLinking reports whether a first sign-in whose verified
	// email belongs to an existing user signs in as that user (linking the
	// account) instead of failing with OAuthAccountNotLinked. Only safe
	// with providers that verify email addresses.
	AllowEmailLinking() bool
}

// OAuthChecks are the protections of an authorization code flow.
type OAuthChecks struct {
	State bool // a random "state" bound to the browser (default)
	PKCE  bool // RFC 7636 S256 code challenge (default for OIDC)
	Nonce bool // OIDC "nonce" echoed in the ID token
	// FormPost says the provider returns to the callback with a POST from
	// its own site (response_mode=form_post, as Sign in with Apple does).
	// Browsers do not send SameSite=Lax cookies with such a request, so
	// the check cookies are then SameSite=None (on https only, where they
	// are Secure) and carry the callback URL themselves. The state check
	// keeps the callback bound to the browser that started the sign-in.
	FormPost bool
}

// AuthorizationRequest is what AuthCodeURL builds the URL from.
type AuthorizationRequest struct {
	RedirectURI   string     // <base>/callback/<id>
	State         string     // "" unless Checks().State
	CodeChallenge string     // S256 challenge; "" unless Checks().PKCE
	Nonce         string     // "" unless Checks().Nonce
	Params        url.Values // extra authorization params from the sign-in request
}

// CallbackRequest is what Exchange works with.
type CallbackRequest struct {
	RedirectURI  string
	Code         string
	CodeVerifier string     // "" unless Checks().PKCE
	Nonce        string     // "" unless Checks().Nonce
	Params       url.Values // every parameter of the callback
}

// OAuthProfile is the user a provider vouches for, and the tokens it gave.
type OAuthProfile struct {
	// ID is the user's id at the provider (the account's
	// ProviderAccountID), never empty.
	ID            string
	Name          string
	Email         string // lower-cased
	EmailVerified bool
	Image         string
	// Tokens are the provider's tokens, kept on the linked account.
	Tokens OAuthTokens
	// Raw is the provider's profile (userinfo or ID token claims).
	Raw map[string]any
}

// OAuthTokens are the token response fields NextAuth keeps on an account.
type OAuthTokens struct {
	AccessToken  string
	RefreshToken string
	ExpiresAt    int64 // seconds since the epoch; 0: unknown
	TokenType    string
	Scope        string
	IDToken      string
	SessionState string
}

// EmailProvider signs users in with a link sent by email ("magic link");
// provider/email implements it. Latch creates the single-use token, stores
// its hash in the Store, and checks it when the link is opened.
type EmailProvider interface {
	Provider
	// Normalize returns the canonical form of an address typed by a user,
	// or an error when it is not an acceptable address. It may also refuse
	// an over-eager requester with an *Error (e.g. code TooManyRequests).
	Normalize(ctx context.Context, r *http.Request, email string) (string, error)
	// SendVerificationRequest sends the link.
	SendVerificationRequest(ctx context.Context, req VerificationRequest) error
	// TokenMaxAge is how long a link works. NextAuth's default is 24 hours.
	TokenMaxAge() time.Duration
}

// VerificationRequest is one sign-in link to send.
type VerificationRequest struct {
	Identifier string    // the normalised email address
	URL        string    // the link: <base>/callback/<id>?callbackUrl=..&token=..&email=..
	Expires    time.Time // when the link stops working
	Host       string    // the site's host, for the message
}
