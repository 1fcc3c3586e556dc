package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/latchauth/latch"
)

var _ latch.LocalStore = (*Store)(nil)

// AddSigningKey implements [latch.SigningKeyStore].
func (s *Store) AddSigningKey(ctx context.Context, k latch.SigningKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO latch_signing_keys (id, algorithm, sealed, created) VALUES ($1, $2, $3, $4)`,
		k.ID, k.Algorithm, k.Sealed, k.Created)
	return storeErr("add signing key", err)
}

// SigningKeys implements [latch.SigningKeyStore].
func (s *Store) SigningKeys(ctx context.Context) ([]latch.SigningKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT id, algorithm, sealed, created FROM latch_signing_keys ORDER BY created, id`)
	if err != nil {
		return nil, storeErr("signing keys", err)
	}
	defer rows.Close()
	out := []latch.SigningKey{}
	for rows.Next() {
		var k latch.SigningKey
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, &k.Created); err != nil {
			return nil, storeErr("signing keys", err)
		}
		k.Created = k.Created.UTC()
		out = append(out, k)
	}
	return out, storeErr("signing keys", rows.Err())
}

// DeleteSigningKey implements [latch.SigningKeyStore].
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "delete signing key", `DELETE FROM latch_signing_keys WHERE id = $1`, id)
}

const familyCols = `f.id, f."userId", f.name, f.email, f.image, f.provider, f.created, f."lastUsed", f.expires`

func scanFamily(row pgx.Row, extra ...any) (*latch.RefreshFamily, error) {
	var f latch.RefreshFamily
	var name, email, image, provider *string
	dest := append(extra, &f.ID, &f.UserID, &name, &email, &image, &provider, &f.Created, &f.LastUsed, &f.Expires)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	f.Name, f.Email, f.Image, f.Provider = str(name), str(email), str(image), str(provider)
	f.Created, f.LastUsed, f.Expires = f.Created.UTC(), f.LastUsed.UTC(), f.Expires.UTC()
	return &f, nil
}

// CreateRefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) CreateRefreshFamily(ctx context.Context, f latch.RefreshFamily, first latch.RefreshToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "create refresh family", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO latch_refresh_families (id, "userId", name, email, image, provider, created, "lastUsed", expires)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			f.ID, f.UserID, null(f.Name), null(f.Email), null(f.Image), null(f.Provider), f.Created, f.LastUsed, f.Expires); err != nil {
			return storeErr("create refresh family", err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO latch_refresh_tokens (hash, family, created) VALUES ($1, $2, $3)`, first.Hash, f.ID, first.Created)
		return storeErr("create refresh family", err)
	})
}

// RefreshToken implements [latch.RefreshTokenStore].
func (s *Store) RefreshToken(ctx context.Context, hash string) (*latch.RefreshToken, *latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.RefreshToken
	var rotated *time.Time
	var successor *string
	f, err := scanFamily(s.pool.QueryRow(ctx, `SELECT t.hash, t.family, t.created, t.rotated, t.successor, `+familyCols+`
		FROM latch_refresh_tokens t JOIN latch_refresh_families f ON f.id = t.family WHERE t.hash = $1`, hash),
		&t.Hash, &t.Family, &t.Created, &rotated, &successor)
	if err != nil {
		return nil, nil, storeErr("refresh token", err)
	}
	t.Created, t.Rotated, t.Successor = t.Created.UTC(), utc(rotated), str(successor)
	return &t, f, nil
}

// RotateRefreshToken implements [latch.RefreshTokenStore]: the update only
// touches a token not rotated yet, so of concurrent rotations one wins.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next latch.RefreshToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "rotate refresh token", func(tx pgx.Tx) error {
		var family string
		err := tx.QueryRow(ctx, `UPDATE latch_refresh_tokens SET rotated = $2, successor = $3 WHERE hash = $1 AND rotated IS NULL RETURNING family`,
			hash, next.Created, next.Hash).Scan(&family)
		if err == pgx.ErrNoRows {
			var exists bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM latch_refresh_tokens WHERE hash = $1)`, hash).Scan(&exists); err != nil {
				return storeErr("rotate refresh token", err)
			}
			if exists {
				return latch.ErrConflict
			}
			return latch.ErrNotFound
		}
		if err != nil {
			return storeErr("rotate refresh token", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO latch_refresh_tokens (hash, family, created) VALUES ($1, $2, $3)`, next.Hash, family, next.Created)
		return storeErr("rotate refresh token", err)
	})
}

// TouchRefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) TouchRefreshFamily(ctx context.Context, id string, lastUsed, expires time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "touch refresh family", `UPDATE latch_refresh_families SET "lastUsed" = $2, expires = $3 WHERE id = $1`, id, lastUsed, expires)
}

// RefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) RefreshFamily(ctx context.Context, id string) (*latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	f, err := scanFamily(s.pool.QueryRow(ctx, `SELECT `+familyCols+` FROM latch_refresh_families f WHERE f.id = $1`, id))
	return f, storeErr("refresh family", err)
}

// UserRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) UserRefreshFamilies(ctx context.Context, userID string) ([]latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+familyCols+` FROM latch_refresh_families f WHERE f."userId" = $1 ORDER BY f."lastUsed" DESC, f.id`, userID)
	if err != nil {
		return nil, storeErr("user refresh families", err)
	}
	defer rows.Close()
	out := []latch.RefreshFamily{}
	for rows.Next() {
		f, err := scanFamily(rows)
		if err != nil {
			return nil, storeErr("user refresh families", err)
		}
		out = append(out, *f)
	}
	return out, storeErr("user refresh families", rows.Err())
}

// DeleteRefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) DeleteRefreshFamily(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "delete refresh family", `DELETE FROM latch_refresh_families WHERE id = $1`, id)
}

// DeleteUserRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) DeleteUserRefreshFamilies(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM latch_refresh_families WHERE "userId" = $1`, userID)
	if err != nil {
		return 0, storeErr("delete user refresh families", err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteExpiredRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) DeleteExpiredRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM latch_refresh_families WHERE expires < $1`, before)
	if err != nil {
		return 0, storeErr("delete expired refresh families", err)
	}
	return int(tag.RowsAffected()), nil
}
