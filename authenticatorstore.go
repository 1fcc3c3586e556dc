package latch

import (
	"context"
	"time"
)

// Authenticator is a passkey (a WebAuthn credential) as stored: the
// columns of Auth.js's Authenticator model, plus the user handle the
// credential was made with, a name and when it was made and last used.
// Rows imported from an Auth.js database sign in as they are: their base64
// credential IDs and public keys, and their device type and backed-up
// flags, are read as Auth.js wrote them.
type Authenticator struct {
	// CredentialID is the credential's ID in standard base64 with padding,
	// as Auth.js stores it.
	CredentialID string
	UserID       string
	// ProviderAccountID is the ID of the account that Auth.js links the
	// authenticator to (the credential ID); Latch writes the credential ID.
	ProviderAccountID string
	// CredentialPublicKey is the COSE public key, in standard base64.
	CredentialPublicKey string
	// Counter is the signature counter last seen.
	Counter int64
	// CredentialDeviceType is "singleDevice" or "multiDevice" (a synced,
	// backup-eligible passkey).
	CredentialDeviceType string
	CredentialBackedUp   bool
	// Transports are the authenticator's transports, comma-separated
	// ("internal,hybrid"); "" when unknown.
	Transports string
	// UserHandle is the WebAuthn user handle (user.id) the credential was
	// registered with, in unpadded base64url; "" for an imported row.
	UserHandle string
	// Name is the user's label for the passkey.
	Name     string
	Created  time.Time
	LastUsed time.Time // zero: never used
}

// AuthenticatorStore keeps passkeys. store/sqlite and store/postgres
// implement it (store/redis passes it on to its SQL store); the passkey
// provider needs it, and store/storetest checks it.
type AuthenticatorStore interface {
	// CreateAuthenticator stores a. ErrNotFound when its user does not
	// exist; ErrConflict when the credential ID is stored already.
	CreateAuthenticator(ctx context.Context, a Authenticator) error
	// Authenticator returns the authenticator with the credential ID, or
	// ErrNotFound.
	Authenticator(ctx context.Context, credentialID string) (*Authenticator, error)
	// UserAuthenticators returns the authenticators of a user, oldest
	// first (empty when none).
	UserAuthenticators(ctx context.Context, userID string) ([]Authenticator, error)
	// UpdateAuthenticatorUse records a sign-in with the authenticator: its
	// new counter and backed-up state, and when. ErrNotFound when there
	// is no such authenticator.
	UpdateAuthenticatorUse(ctx context.Context, credentialID string, counter int64, backedUp bool, used time.Time) error
	// DeleteAuthenticator deletes the user's authenticator; ErrNotFound
	// when the user has none with that credential ID. DeleteUser deletes
	// a user's authenticators too.
	DeleteAuthenticator(ctx context.Context, userID, credentialID string) error
}
