package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch"
)

var _ latch.LocalStore = (*Store)(nil)

// AddSigningKey implements [latch.SigningKeyStore].
func (s *Store) AddSigningKey(ctx context.Context, k latch.SigningKey) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO latch_signing_keys (id, algorithm, sealed, created) VALUES (?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.Sealed, k.Created.UnixMilli())
	return storeErr("add signing key", err)
}

// SigningKeys implements [latch.SigningKeyStore].
func (s *Store) SigningKeys(ctx context.Context) ([]latch.SigningKey, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT id, algorithm, sealed, created FROM latch_signing_keys ORDER BY created, id`)
	if err != nil {
		return nil, storeErr("signing keys", err)
	}
	defer rows.Close()
	out := []latch.SigningKey{}
	for rows.Next() {
		var k latch.SigningKey
		var created int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Sealed, &created); err != nil {
			return nil, storeErr("signing keys", err)
		}
		k.Created = time.UnixMilli(created).UTC()
		out = append(out, k)
	}
	return out, storeErr("signing keys", rows.Err())
}

// DeleteSigningKey implements [latch.SigningKeyStore].
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "delete signing key", `DELETE FROM latch_signing_keys WHERE id = ?`, id)
}

const familyCols = `id, "userId", name, email, image, provider, created, "lastUsed", expires`

func scanFamily(row scanner) (*latch.RefreshFamily, error) {
	var f latch.RefreshFamily
	var name, email, image, provider sql.NullString
	var created, used, exp int64
	if err := row.Scan(&f.ID, &f.UserID, &name, &email, &image, &provider, &created, &used, &exp); err != nil {
		return nil, err
	}
	f.Name, f.Email, f.Image, f.Provider = name.String, email.String, image.String, provider.String
	f.Created, f.LastUsed, f.Expires = time.UnixMilli(created).UTC(), time.UnixMilli(used).UTC(), time.UnixMilli(exp).UTC()
	return &f, nil
}

// CreateRefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) CreateRefreshFamily(ctx context.Context, f latch.RefreshFamily, first latch.RefreshToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("create refresh family", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO latch_refresh_families (`+familyCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.ID, f.UserID, null(f.Name), null(f.Email), null(f.Image), null(f.Provider),
		f.Created.UnixMilli(), f.LastUsed.UnixMilli(), f.Expires.UnixMilli()); err != nil {
		return storeErr("create refresh family", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO latch_refresh_tokens (hash, family, created) VALUES (?, ?, ?)`,
		first.Hash, f.ID, first.Created.UnixMilli()); err != nil {
		return storeErr("create refresh family", err)
	}
	return storeErr("create refresh family", tx.Commit())
}

// RefreshToken implements [latch.RefreshTokenStore].
func (s *Store) RefreshToken(ctx context.Context, hash string) (*latch.RefreshToken, *latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.RefreshToken
	var created int64
	var rotated sql.NullInt64
	var successor sql.NullString
	var f latch.RefreshFamily
	var name, email, image, provider sql.NullString
	var fcreated, used, exp int64
	err := s.db.QueryRowContext(ctx, `SELECT t.hash, t.family, t.created, t.rotated, t.successor,
		f.id, f."userId", f.name, f.email, f.image, f.provider, f.created, f."lastUsed", f.expires
		FROM latch_refresh_tokens t JOIN latch_refresh_families f ON f.id = t.family WHERE t.hash = ?`, hash).
		Scan(&t.Hash, &t.Family, &created, &rotated, &successor,
			&f.ID, &f.UserID, &name, &email, &image, &provider, &fcreated, &used, &exp)
	if err != nil {
		return nil, nil, storeErr("refresh token", err)
	}
	t.Created, t.Rotated, t.Successor = time.UnixMilli(created).UTC(), fromMS(rotated), successor.String
	f.Name, f.Email, f.Image, f.Provider = name.String, email.String, image.String, provider.String
	f.Created, f.LastUsed, f.Expires = time.UnixMilli(fcreated).UTC(), time.UnixMilli(used).UTC(), time.UnixMilli(exp).UTC()
	return &t, &f, nil
}

// RotateRefreshToken implements [latch.RefreshTokenStore].
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next latch.RefreshToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("rotate refresh token", err)
	}
	defer tx.Rollback()
	var family string
	var rotated sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT family, rotated FROM latch_refresh_tokens WHERE hash = ?`, hash).Scan(&family, &rotated); err != nil {
		return storeErr("rotate refresh token", err)
	}
	if rotated.Valid {
		return latch.ErrConflict
	}
	if _, err := tx.ExecContext(ctx, `UPDATE latch_refresh_tokens SET rotated = ?, successor = ? WHERE hash = ?`,
		next.Created.UnixMilli(), next.Hash, hash); err != nil {
		return storeErr("rotate refresh token", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO latch_refresh_tokens (hash, family, created) VALUES (?, ?, ?)`,
		next.Hash, family, next.Created.UnixMilli()); err != nil {
		return storeErr("rotate refresh token", err)
	}
	return storeErr("rotate refresh token", tx.Commit())
}

// TouchRefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) TouchRefreshFamily(ctx context.Context, id string, lastUsed, expires time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "touch refresh family", `UPDATE latch_refresh_families SET "lastUsed" = ?, expires = ? WHERE id = ?`,
		lastUsed.UnixMilli(), expires.UnixMilli(), id)
}

// RefreshFamily implements [latch.RefreshTokenStore].
func (s *Store) RefreshFamily(ctx context.Context, id string) (*latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	f, err := scanFamily(s.db.QueryRowContext(ctx, `SELECT `+familyCols+` FROM latch_refresh_families WHERE id = ?`, id))
	return f, storeErr("refresh family", err)
}

// UserRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) UserRefreshFamilies(ctx context.Context, userID string) ([]latch.RefreshFamily, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+familyCols+` FROM latch_refresh_families WHERE "userId" = ? ORDER BY "lastUsed" DESC, id`, userID)
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
	return s.execOne(ctx, "delete refresh family", `DELETE FROM latch_refresh_families WHERE id = ?`, id)
}

// DeleteUserRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) DeleteUserRefreshFamilies(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM latch_refresh_families WHERE "userId" = ?`, userID)
	if err != nil {
		return 0, storeErr("delete user refresh families", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// DeleteExpiredRefreshFamilies implements [latch.RefreshTokenStore].
func (s *Store) DeleteExpiredRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM latch_refresh_families WHERE expires < ?`, before.UnixMilli())
	if err != nil {
		return 0, storeErr("delete expired refresh families", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
