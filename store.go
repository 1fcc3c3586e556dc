package latch

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned by stores for a record that does not exist (or,
// for sessions and verification tokens, has expired).
var ErrNotFound = errors.New("latch: not found")

// ErrConflict is returned by stores when a record would break a unique
// constraint: a second user with the same email, an account already linked.
var ErrConflict = errors.New("latch: already exists")

// Store keeps users, accounts, sessions and verification tokens, in the
// shape of the NextAuth adapter schema. store/sqlite and store/postgres
// implement it; store/storetest is the conformance suite every
// implementation must pass.
//
// Errors other than ErrNotFound and ErrConflict (possibly wrapped) mean the
// store failed: a broken connection, a full disk.
type Store interface {
	UserStore
	AccountStore
	SessionStore
	VerificationTokenStore
	// Close releases the store's resources.
	Close() error
}

// StoredUser is a user record: a [User] plus what the store keeps about it.
type StoredUser struct {
	User
	// EmailVerified is when the email address was proven (zero: never).
	EmailVerified time.Time
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser stores u and returns it with its ID set (a new random id
	// when u.ID is empty). Emails are compared ignoring case as
	// [FoldEmail] does (Ü = ü, but the Kelvin sign is not k); a taken
	// email returns ErrConflict.
	CreateUser(ctx context.Context, u StoredUser) (*StoredUser, error)
	// User returns the user with the id, or ErrNotFound.
	User(ctx context.Context, id string) (*StoredUser, error)
	// UserByEmail returns the user with the email (case-insensitive), or
	// ErrNotFound.
	UserByEmail(ctx context.Context, email string) (*StoredUser, error)
	// UpdateUser replaces the stored fields of the user u.ID and returns the
	// result; ErrNotFound when there is no such user, ErrConflict when the
	// new email is taken.
	UpdateUser(ctx context.Context, u StoredUser) (*StoredUser, error)
	// DeleteUser deletes the user with its accounts, sessions and password;
	// ErrNotFound when there is no such user.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers returns every user ordered by email.
	ListUsers(ctx context.Context) ([]*StoredUser, error)
	// PasswordHash returns the password hash of the user, or ErrNotFound
	// when the user has none (or does not exist).
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetPasswordHash stores the password hash of the user, replacing any
	// previous one; ErrNotFound when there is no such user.
	SetPasswordHash(ctx context.Context, userID, hash string) error
}

// LinkedAccount is an account record: how a user signs in with a provider,
// and the provider's tokens.
type LinkedAccount struct {
	Account
	UserID string
	OAuthTokens
}

// AccountStore links users to provider accounts.
type AccountStore interface {
	// LinkAccount stores the account. ErrNotFound when its user does not
	// exist; ErrConflict when (Provider, ProviderAccountID) is linked already.
	LinkAccount(ctx context.Context, a LinkedAccount) error
	// UserByAccount returns the user linked to the provider account, or
	// ErrNotFound.
	UserByAccount(ctx context.Context, provider, providerAccountID string) (*StoredUser, error)
	// Accounts returns the accounts of a user (empty when none).
	Accounts(ctx context.Context, userID string) ([]LinkedAccount, error)
	// UnlinkAccount removes the link; ErrNotFound when there is none.
	UnlinkAccount(ctx context.Context, provider, providerAccountID string) error
}

// SessionRecord is a database session.
type SessionRecord struct {
	Token   string // the session cookie value
	UserID  string
	Expires time.Time
}

// SessionStore keeps database sessions.
type SessionStore interface {
	// CreateSession stores s. ErrNotFound when its user does not exist;
	// ErrConflict when the token exists.
	CreateSession(ctx context.Context, s SessionRecord) error
	// Session returns the session with the token and its user, or
	// ErrNotFound. It does not check expiry: the caller does, and deletes
	// expired sessions.
	Session(ctx context.Context, token string) (*SessionRecord, *StoredUser, error)
	// UpdateSessionExpiry sets the expiry of the session; ErrNotFound when
	// there is no such session.
	UpdateSessionExpiry(ctx context.Context, token string, expires time.Time) error
	// DeleteSession deletes the session and returns it; ErrNotFound when
	// there is none.
	DeleteSession(ctx context.Context, token string) (*SessionRecord, error)
	// UserSessions returns the sessions of a user, newest expiry first.
	UserSessions(ctx context.Context, userID string) ([]SessionRecord, error)
	// DeleteUserSessions deletes every session of a user and returns how
	// many there were.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
}

// VerificationToken is a single-use email sign-in token. Token holds its
// hash, never the token sent by email.
type VerificationToken struct {
	Identifier string // the email address
	// Token is hex(SHA-256(token + secret)) for a link; for the short
	// code of an email, "code:" and the hex HMAC-SHA256 of the address
	// and the code keyed with the secret.
	Token   string
	Expires time.Time
}

// VerificationTokenStore keeps email sign-in tokens.
type VerificationTokenStore interface {
	// CreateVerificationToken stores t; ErrConflict when (Identifier, Token)
	// exists.
	CreateVerificationToken(ctx context.Context, t VerificationToken) error
	// UseVerificationToken deletes the token and returns it, so it works
	// once; ErrNotFound when there is none. Expiry is the caller's check.
	UseVerificationToken(ctx context.Context, identifier, token string) (*VerificationToken, error)
}

// VerificationTokenReader is a VerificationTokenStore that can also read a
// token without using it. store/sqlite, store/postgres and store/redis
// have it. With it, the page that opening a sign-in link shows says at
// once when the link was used or is unknown; without it, that page is
// shown for any link and the error comes after its button is pressed.
type VerificationTokenReader interface {
	// VerificationToken returns the token, leaving it in place;
	// ErrNotFound when there is none. Expiry is the caller's check.
	VerificationToken(ctx context.Context, identifier, token string) (*VerificationToken, error)
}

// ExpiredDeleter is a store that can delete what has expired before a
// time: sessions that were never read again, sign-in links and codes
// that were never used and, for a [LocalStore], refresh-token families.
// Expired records are refused anyway; deleting them keeps the store from
// growing. store/sqlite, store/postgres and store/redis have it; latch
// serve calls it every hour.
type ExpiredDeleter interface {
	// DeleteExpired deletes the records that expired before before and
	// returns how many there were.
	DeleteExpired(ctx context.Context, before time.Time) (int, error)
}
