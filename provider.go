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
	// SecondFactor asks the users Authorize signs in for their second
	// factor, when Config.SecondFactor is on and they have one (see
	// [SecondFactorConfig]). Their IDs must be the Store's.
	// provider/password sets it.
	SecondFactor bool
	// ChangePassword, when set, lets the account page (<base>/account)
	// change a user's password: it checks current (with Authorize's
	// limits) and stores next. A wrong current password is
	// ErrCredentialsSignin; a new password the policy refuses is a
	// *SignUpError naming the field. provider/password sets it.
	ChangePassword func(ctx context.Context, r *http.Request, user *StoredUser, current, next string) error
	// SetPassword, when set with an email provider, lets users who forgot
	// their password set a new one through a link sent by email
	// (<base>/forgot-password). A password the policy refuses is a
	// *SignUpError. provider/password sets it.
	SetPassword func(ctx context.Context, user *StoredUser, next string) error
	// HashPassword checks a new account's password against the policy
	// (a *SignUpError when it refuses it) and hashes it, for the sign-up
	// page (Config.SignUp); an *Error refuses for now (the server is
	// busy). provider/password sets it.
	HashPassword func(ctx context.Context, password string) (string, error)
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
//
// Opening the link (GET) shows a page with a "Sign in" button, which
// POSTs back to the link and signs in: mail scanners that open every link
// of a message, and even run its pages' scripts, do not use it up. A
// provider that also implements [EmailCodeProvider] can put a short code
// in the email too, or instead of the link, or have the link sign in on
// GET as NextAuth's does.
type EmailProvider interface {
	Provider
	// Normalize returns the canonical form of an address typed by a user,
	// or an error when it is not an acceptable address. It may also refuse
	// an over-eager requester with an *Error (e.g. code TooManyRequests).
	Normalize(ctx context.Context, r *http.Request, email string) (string, error)
	// SendVerificationRequest sends the link (and the code).
	SendVerificationRequest(ctx context.Context, req VerificationRequest) error
	// TokenMaxAge is how long a link works. NextAuth's default is 24 hours.
	TokenMaxAge() time.Duration
}

// EmailMode says what a sign-in email carries and what opening its link
// does.
type EmailMode string

// The email modes.
const (
	// EmailLinkAndCode sends a link and a short code; either signs in,
	// once: using one invalidates the other. The link asks for a click.
	EmailLinkAndCode EmailMode = "link+code"
	// EmailLink sends a link only, which asks for a click.
	EmailLink EmailMode = "link"
	// EmailCode sends a code only, typed on the verify-request page.
	EmailCode EmailMode = "code"
	// EmailLinkSignsInOnGET sends a link only, which signs in as soon as
	// it is opened, as NextAuth's does. Mail scanners that open every
	// link of a message use such links up before the person clicks: keep
	// it for apps that depend on it.
	EmailLinkSignsInOnGET EmailMode = "link-get"
)

// Valid reports whether m is one of the modes.
func (m EmailMode) Valid() bool {
	switch m {
	case EmailLinkAndCode, EmailLink, EmailCode, EmailLinkSignsInOnGET:
		return true
	}
	return false
}

func (m EmailMode) hasLink() bool { return m != EmailCode }
func (m EmailMode) hasCode() bool { return m == EmailLinkAndCode || m == EmailCode }

// EmailCodeProvider is an EmailProvider that chooses its [EmailMode] and
// can send short sign-in codes; provider/email implements it. An
// EmailProvider without it is in mode EmailLink.
//
// A code is 8 characters of Crockford's base32 alphabet (digits and
// capital letters but I, L, O and U; shown as XXXX-XXXX, typed in any
// case, with or without the dash, O read as 0 and I and L as 1). It is
// stored like the link, hashed (HMAC-SHA256 keyed with the secret) in a
// second verification token of the address, and works once, until
// CodeMaxAge has passed. The built-in verify-request page has the form
// for it; a page of your own (Pages.VerifyRequest) can POST the same
// fields to <base>/verify-request: csrfToken, email, code, and provider
// when there are several email providers (json=true answers {url}).
type EmailCodeProvider interface {
	EmailProvider
	// EmailMode returns what the provider's emails carry.
	EmailMode() EmailMode
	// CodeMaxAge is how long a code works.
	CodeMaxAge() time.Duration
	// TryCode is called before a code typed for an address is checked.
	// It returns the address normalised as Normalize does, and counts
	// the try against its limits (of wrong codes per address, of tries
	// per client). It refuses the try with an *Error: code
	// TooManyRequests when a limit is reached (then even the right code
	// does not sign in, and is deleted; address is set when it could be
	// normalised), Verification for an address that is not one. Other
	// errors are failures (a limiter that cannot be reached). done
	// reports whether the code was right, so that a right one is not
	// counted as a wrong try.
	TryCode(ctx context.Context, r *http.Request, email string) (address string, done func(right bool), err error)
}

// VerificationRequest is one sign-in email to send.
type VerificationRequest struct {
	Identifier string // the normalised email address
	// URL is the link: <base>/callback/<id>?callbackUrl=..&token=..&email=..;
	// "" in mode EmailCode.
	URL     string
	Expires time.Time // when the link stops working
	Host    string    // the site's host, for the message
	// Code is the sign-in code, as XXXX-XXXX, and CodeExpires when it
	// stops working; "" and zero unless the mode has codes.
	Code        string
	CodeExpires time.Time
	// Purpose is "" for a sign-in email and PurposePasswordReset for a
	// password reset link (URL only), which says so.
	Purpose string
}

// PurposePasswordReset is the VerificationRequest.Purpose of a "forgot
// password" email.
const PurposePasswordReset = "password-reset"
