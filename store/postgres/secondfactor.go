package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/latchauth/latch"
)

var _ latch.SecondFactorStore = (*Store)(nil)

// TOTP implements [latch.SecondFactorStore].
func (s *Store) TOTP(ctx context.Context, userID string) (*latch.TOTPRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r latch.TOTPRecord
	var confirmed *time.Time
	err := s.pool.QueryRow(ctx, `SELECT "userId", sealed, confirmed, "lastStep", created FROM latch_totp WHERE "userId" = $1`, userID).
		Scan(&r.UserID, &r.Sealed, &confirmed, &r.LastStep, &r.Created)
	if err != nil {
		return nil, storeErr("totp", err)
	}
	if confirmed != nil {
		r.Confirmed = confirmed.UTC()
	}
	r.Created = r.Created.UTC()
	return &r, nil
}

// userExists reports whether the user is there, in tx.
func userExists(ctx context.Context, tx pgx.Tx, userID string) (bool, error) {
	var n int
	err := tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id::text = $1`, userID).Scan(&n)
	return n > 0, err
}

// SetTOTP implements [latch.SecondFactorStore]. The user must exist: the
// table has no foreign key (users.id may not be text).
func (s *Store) SetTOTP(ctx context.Context, r latch.TOTPRecord) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "set totp", func(tx pgx.Tx) error {
		ok, err := userExists(ctx, tx, r.UserID)
		if err != nil {
			return storeErr("set totp", err)
		}
		if !ok {
			return latch.ErrNotFound
		}
		_, err = tx.Exec(ctx, `INSERT INTO latch_totp ("userId", sealed, confirmed, "lastStep", created) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT ("userId") DO UPDATE SET sealed = excluded.sealed, confirmed = excluded.confirmed, "lastStep" = excluded."lastStep", created = excluded.created`,
			r.UserID, r.Sealed, nullTime(r.Confirmed), r.LastStep, r.Created)
		return storeErr("set totp", err)
	})
}

// UseTOTPStep implements [latch.SecondFactorStore].
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `UPDATE latch_totp SET "lastStep" = $1 WHERE "userId" = $2 AND "lastStep" < $1`, step, userID)
	if err != nil {
		return storeErr("use totp step", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.TOTP(ctx, userID); err != nil {
			return err
		}
		return latch.ErrConflict
	}
	return nil
}

// DeleteSecondFactor implements [latch.SecondFactorStore].
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "delete second factor", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM latch_recovery_codes WHERE "userId" = $1`, userID); err != nil {
			return storeErr("delete second factor", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM latch_totp WHERE "userId" = $1`, userID)
		if err != nil {
			return storeErr("delete second factor", err)
		}
		if tag.RowsAffected() == 0 {
			return latch.ErrNotFound
		}
		return nil
	})
}

// SetRecoveryCodes implements [latch.SecondFactorStore].
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.inTx(ctx, "set recovery codes", func(tx pgx.Tx) error {
		ok, err := userExists(ctx, tx, userID)
		if err != nil {
			return storeErr("set recovery codes", err)
		}
		if !ok {
			return latch.ErrNotFound
		}
		if _, err := tx.Exec(ctx, `DELETE FROM latch_recovery_codes WHERE "userId" = $1`, userID); err != nil {
			return storeErr("set recovery codes", err)
		}
		for _, h := range hashes {
			if _, err := tx.Exec(ctx, `INSERT INTO latch_recovery_codes ("userId", hash) VALUES ($1, $2)`, userID, h); err != nil {
				return storeErr("set recovery codes", err)
			}
		}
		return nil
	})
}

// UseRecoveryCode implements [latch.SecondFactorStore].
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "use recovery code", `DELETE FROM latch_recovery_codes WHERE "userId" = $1 AND hash = $2`, userID, hash)
}

// RecoveryCodesLeft implements [latch.SecondFactorStore].
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM latch_recovery_codes WHERE "userId" = $1`, userID).Scan(&n)
	return n, storeErr("recovery codes left", err)
}
