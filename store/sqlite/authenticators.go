package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch"
)

var _ latch.AuthenticatorStore = (*Store)(nil)

const authenticatorCols = `"credentialID", "userId", "providerAccountId", "credentialPublicKey", counter,
	"credentialDeviceType", "credentialBackedUp", transports, "userHandle", name, created, "lastUsed"`

func scanAuthenticator(row scanner) (*latch.Authenticator, error) {
	var a latch.Authenticator
	var transports, handle, name sql.NullString
	var backedUp int64
	var created int64
	var used sql.NullInt64
	if err := row.Scan(&a.CredentialID, &a.UserID, &a.ProviderAccountID, &a.CredentialPublicKey, &a.Counter,
		&a.CredentialDeviceType, &backedUp, &transports, &handle, &name, &created, &used); err != nil {
		return nil, err
	}
	a.CredentialBackedUp = backedUp != 0
	a.Transports, a.UserHandle, a.Name = transports.String, handle.String, name.String
	a.Created, a.LastUsed = time.UnixMilli(created).UTC(), fromMS(used)
	return &a, nil
}

// CreateAuthenticator implements [latch.AuthenticatorStore].
func (s *Store) CreateAuthenticator(ctx context.Context, a latch.Authenticator) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO authenticators (`+authenticatorCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.CredentialID, a.UserID, a.ProviderAccountID, a.CredentialPublicKey, a.Counter,
		a.CredentialDeviceType, a.CredentialBackedUp, null(a.Transports), null(a.UserHandle), null(a.Name),
		a.Created.UnixMilli(), ms(a.LastUsed))
	return storeErr("create authenticator", err)
}

// Authenticator implements [latch.AuthenticatorStore].
func (s *Store) Authenticator(ctx context.Context, credentialID string) (*latch.Authenticator, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAuthenticator(s.db.QueryRowContext(ctx, `SELECT `+authenticatorCols+` FROM authenticators WHERE "credentialID" = ?`, credentialID))
	return a, storeErr("authenticator", err)
}

// UserAuthenticators implements [latch.AuthenticatorStore].
func (s *Store) UserAuthenticators(ctx context.Context, userID string) ([]latch.Authenticator, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+authenticatorCols+` FROM authenticators WHERE "userId" = ? ORDER BY created, "credentialID"`, userID)
	if err != nil {
		return nil, storeErr("user authenticators", err)
	}
	defer rows.Close()
	out := []latch.Authenticator{}
	for rows.Next() {
		a, err := scanAuthenticator(rows)
		if err != nil {
			return nil, storeErr("user authenticators", err)
		}
		out = append(out, *a)
	}
	return out, storeErr("user authenticators", rows.Err())
}

// UpdateAuthenticatorUse implements [latch.AuthenticatorStore].
func (s *Store) UpdateAuthenticatorUse(ctx context.Context, credentialID string, counter int64, backedUp bool, used time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "update authenticator", `UPDATE authenticators SET counter = ?, "credentialBackedUp" = ?, "lastUsed" = ? WHERE "credentialID" = ?`,
		counter, backedUp, used.UnixMilli(), credentialID)
}

// DeleteAuthenticator implements [latch.AuthenticatorStore].
func (s *Store) DeleteAuthenticator(ctx context.Context, userID, credentialID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "delete authenticator", `DELETE FROM authenticators WHERE "userId" = ? AND "credentialID" = ?`, userID, credentialID)
}
