package latch

import (
	"context"
	"time"
)

// LocalStore is what the local provider (see [LocalConfig]) needs of a
// [Store]: its signing keys and its refresh-token families. store/sqlite
// and store/postgres implement it (store/redis passes it on to its SQL
// store); store/storetest checks it.
type LocalStore interface {
	SigningKeyStore
	RefreshTokenStore
}

// SigningKey is a signing key of access tokens as stored: the private
// key sealed (encrypted and authenticated) with the secret by Latch, so
// the store never sees it in the clear.
type SigningKey struct {
	ID        string // the JWK "kid"
	Algorithm string // "EdDSA" or "ES256"
	Sealed    []byte
	Created   time.Time
}

// SigningKeyStore keeps the signing keys of access tokens, shared by
// every instance.
type SigningKeyStore interface {
	// AddSigningKey stores k; ErrConflict when its ID exists.
	AddSigningKey(ctx context.Context, k SigningKey) error
	// SigningKeys returns every key, oldest first.
	SigningKeys(ctx context.Context) ([]SigningKey, error)
	// DeleteSigningKey deletes the key; ErrNotFound when there is none.
	DeleteSigningKey(ctx context.Context, id string) error
}

// RefreshFamily is one sign-in with the local provider: the session an
// access token's "sid" names, and the refresh tokens that descend from
// its first one. The user's name, email and image are kept as they were
// at sign-in, for users who are not in the store (a credentials provider
// of your own).
type RefreshFamily struct {
	ID       string // the access tokens' "sid"
	UserID   string
	Name     string
	Email    string
	Image    string
	Provider string // the credentials provider that signed the user in
	Created  time.Time
	LastUsed time.Time
	Expires  time.Time // slides forward with every refresh
}

// RefreshToken is one refresh token of a family. The token itself is
// never stored, only its hash.
type RefreshToken struct {
	Hash    string // unpadded base64url SHA-256 of the token
	Family  string
	Created time.Time
	// Rotated is when the token was exchanged for its successor (zero
	// while it is the family's current token), Successor the successor's
	// hash.
	Rotated   time.Time
	Successor string
}

// RefreshTokenStore keeps refresh-token families.
type RefreshTokenStore interface {
	// CreateRefreshFamily stores f and its first token; ErrConflict when
	// the family ID or the token hash exists.
	CreateRefreshFamily(ctx context.Context, f RefreshFamily, first RefreshToken) error
	// RefreshToken returns the token with the hash and its family, or
	// ErrNotFound. It does not check expiry: the caller does.
	RefreshToken(ctx context.Context, hash string) (*RefreshToken, *RefreshFamily, error)
	// RotateRefreshToken records that the token hash was exchanged for
	// next (at next.Created) and stores next in the same family, in one
	// step: when the token was rotated already (by a concurrent request,
	// maybe on another instance) it changes nothing and returns
	// ErrConflict. ErrNotFound when there is no such token.
	RotateRefreshToken(ctx context.Context, hash string, next RefreshToken) error
	// TouchRefreshFamily sets the family's LastUsed and Expires;
	// ErrNotFound when there is no such family.
	TouchRefreshFamily(ctx context.Context, id string, lastUsed, expires time.Time) error
	// RefreshFamily returns the family, or ErrNotFound. It does not check
	// expiry.
	RefreshFamily(ctx context.Context, id string) (*RefreshFamily, error)
	// UserRefreshFamilies returns the families of a user, most recently
	// used first.
	UserRefreshFamilies(ctx context.Context, userID string) ([]RefreshFamily, error)
	// DeleteRefreshFamily deletes the family and its tokens; ErrNotFound
	// when there is none.
	DeleteRefreshFamily(ctx context.Context, id string) error
	// DeleteUserRefreshFamilies deletes every family of a user and
	// returns how many there were. DeleteUser deletes them too.
	DeleteUserRefreshFamilies(ctx context.Context, userID string) (int, error)
	// DeleteExpiredRefreshFamilies deletes the families that expired
	// before t, with their tokens, and returns how many there were.
	DeleteExpiredRefreshFamilies(ctx context.Context, before time.Time) (int, error)
}
