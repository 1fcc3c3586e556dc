package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/latchauth/latch"
)

var _ latch.AuthenticatorStore = (*Store)(nil)

const authenticatorCols = `"credentialID", "userId", "providerAccountId", "credentialPublicKey", counter,
	"credentialDeviceType", "credentialBackedUp", transports, "userHandle", name, created, "lastUsed"`

func scanAuthenticator(row pgx.Row) (*latch.Authenticator, error) {
	var a latch.Authenticator
	var transports, handle, name *string
	var used *time.Time
	if err := row.Scan(&a.CredentialID, &a.UserID, &a.ProviderAccountID, &a.CredentialPublicKey, &a.Counter,
		&a.CredentialDeviceType, &a.CredentialBackedUp, &transports, &handle, &name, &a.Created, &used); err != nil {
		return nil, err
	}
	a.Transports, a.UserHandle, a.Name = str(transports), str(handle), str(name)
	a.Created = a.Created.UTC()
	if used != nil {
		a.LastUsed = used.UTC()
	}
	return &a, nil
}

// CreateAuthenticator implements [latch.AuthenticatorStore]. The user
// must exist: the table has no foreign key (users.id may not be text).
func (s *Store) CreateAuthenticator(ctx context.Context, a latch.Authenticator) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "create authenticator", func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id::text = $1`, a.UserID).Scan(&n); err != nil {
			return storeErr("create authenticator", err)
		}
		if n == 0 {
			return latch.ErrNotFound
		}
		_, err := tx.Exec(ctx, `INSERT INTO authenticators (`+authenticatorCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			a.CredentialID, a.UserID, a.ProviderAccountID, a.CredentialPublicKey, a.Counter,
			a.CredentialDeviceType, a.CredentialBackedUp, null(a.Transports), null(a.UserHandle), null(a.Name),
			a.Created, nullTime(a.LastUsed))
		return storeErr("create authenticator", err)
	})
}

// Authenticator implements [latch.AuthenticatorStore].
func (s *Store) Authenticator(ctx context.Context, credentialID string) (*latch.Authenticator, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAuthenticator(s.pool.QueryRow(ctx, `SELECT `+authenticatorCols+` FROM authenticators WHERE "credentialID" = $1`, credentialID))
	return a, storeErr("authenticator", err)
}

// UserAuthenticators implements [latch.AuthenticatorStore].
func (s *Store) UserAuthenticators(ctx context.Context, userID string) ([]latch.Authenticator, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+authenticatorCols+` FROM authenticators WHERE "userId" = $1 ORDER BY created, "credentialID"`, userID)
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
	return s.execOne(ctx, "update authenticator", `UPDATE authenticators SET counter = $1, "credentialBackedUp" = $2, "lastUsed" = $3 WHERE "credentialID" = $4`,
		counter, backedUp, used, credentialID)
}

// DeleteAuthenticator implements [latch.AuthenticatorStore].
func (s *Store) DeleteAuthenticator(ctx context.Context, userID, credentialID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "delete authenticator", `DELETE FROM authenticators WHERE "userId" = $1 AND "credentialID" = $2`, userID, credentialID)
}
