package latch

import (
	"context"
	"encoding/json"
	"net/http"
)

// Callbacks customise sign-in and sessions. Every field is optional; the
// defaults behave like NextAuth's.
type Callbacks struct {
	// SignIn decides whether a user may sign in. Return nil to allow,
	// ErrAccessDenied (or any error that is not an *Error) to refuse with
	// AccessDenied, an *Error to refuse with its code, or RedirectTo(url) to
	// send the user elsewhere. Default: allow.
	SignIn func(ctx context.Context, p *SignInParams) error

	// Redirect returns where a callbackUrl may send the user; baseURL is the
	// site origin. The result must be an absolute URL. Default: relative
	// URLs and URLs of the site's own origin or a trusted origin are
	// allowed, anything else becomes baseURL.
	Redirect func(url, baseURL string) string

	// JWT returns the token to store in the session cookie. It runs at
	// sign-in (Trigger "signIn", User and Account set), on every session
	// read (Trigger ""), and on a session update (Trigger "update",
	// UpdateData set). Returning a nil Token ends the session. Default:
	// the token unchanged.
	JWT func(ctx context.Context, p *JWTParams) (Token, error)

	// Session returns what GET <base>/session answers. Default: the session
	// unchanged ({user: {name, email, image}, expires}). As in NextAuth,
	// the session it gets has no User.ID (p.Session.UserID() has the ID);
	// an ID it sets is written out, and when it sets none, Latch fills
	// User.ID in for Go code and leaves it out of the JSON.
	Session func(ctx context.Context, p *SessionParams) (*Session, error)
}

// SignInParams are the arguments of the SignIn callback.
type SignInParams struct {
	User    *User
	Account *Account
	// Credentials are the submitted fields of a credentials sign-in.
	Credentials map[string]string
	// Profile is what an OAuth provider said about the user.
	Profile *OAuthProfile
	// VerificationRequest is true when an email sign-in is about to send
	// its link (the user has not clicked it yet).
	VerificationRequest bool
}

// JWTParams are the arguments of the JWT callback.
type JWTParams struct {
	Token   Token
	User    *User         // sign-in only
	Account *Account      // sign-in only
	Profile *OAuthProfile // OAuth sign-in only
	// Trigger is "signIn" at sign-in ("signUp" for a user just created),
	// "update" for a session update and "" for a plain session read.
	Trigger string
	// UpdateData is the "data" member the client sent with a session
	// update (POST <base>/session).
	UpdateData json.RawMessage
}

// SessionParams are the arguments of the Session callback.
type SessionParams struct {
	Session *Session
	Token   Token       // JWT sessions
	User    *StoredUser // database sessions
	Trigger string      // "update" for a session update, else ""
	// UpdateData is the "data" of a session update.
	UpdateData json.RawMessage
}

// Events are told what happened. They run synchronously, after the fact,
// and cannot change the outcome; keep them quick.
type Events struct {
	SignIn      func(ctx context.Context, e SignInEvent)
	SignOut     func(ctx context.Context, e SignOutEvent)
	Session     func(ctx context.Context, e SessionEvent)
	CreateUser  func(ctx context.Context, e CreateUserEvent)
	UpdateUser  func(ctx context.Context, e UpdateUserEvent)
	LinkAccount func(ctx context.Context, e LinkAccountEvent)
	// SignInFailure hears of every refused or failed sign-in.
	SignInFailure func(ctx context.Context, e SignInFailureEvent)
	// TokenRefresh hears of every provider token refresh and of the
	// requests that waited for one (see [Auth.ProviderToken]).
	TokenRefresh func(ctx context.Context, e TokenRefreshEvent)
	// SecondFactor hears of a second factor turned on, used through a
	// recovery code, or reset.
	SecondFactor func(ctx context.Context, e SecondFactorEvent)
}

// SignInFailureEvent describes a sign-in that did not happen.
type SignInFailureEvent struct {
	Provider string // the provider id of the request ("" when unknown)
	Code     string // the error code the client gets, e.g. CredentialsSignin
	Request  *http.Request
}

// CreateUserEvent describes a user created by a first sign-in.
type CreateUserEvent struct {
	User *User
}

// UpdateUserEvent describes a user changed by a sign-in (an email sign-in
// marks the address as verified).
type UpdateUserEvent struct {
	User *User
}

// LinkAccountEvent describes a provider account linked to a user.
type LinkAccountEvent struct {
	User    *User
	Account *Account
}

// SignInEvent describes a successful sign-in.
type SignInEvent struct {
	User      *User
	Account   *Account
	Profile   *OAuthProfile // OAuth sign-ins
	IsNewUser bool
	Request   *http.Request
}

// SignOutEvent describes a sign-out. Token is nil when the session cookie
// was unreadable.
type SignOutEvent struct {
	Token   Token          // JWT sessions
	Session *SessionRecord // database sessions: the deleted session
	Request *http.Request
}

// SessionEvent describes a session read.
type SessionEvent struct {
	Session *Session
	Token   Token       // JWT sessions
	User    *StoredUser // database sessions
}
