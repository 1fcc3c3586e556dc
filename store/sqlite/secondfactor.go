package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch"
)

var _ latch.SecondFactorStore = (*Store)(nil)

// TOTP implements [latch.SecondFactorStore].
func (s *Store) TOTP(ctx context.Context, userID string) (*latch.TOTPRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r latch.TOTPRecord
	var confirmed sql.NullInt64
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT "userId", sealed, confirmed, "lastStep", created FROM latch_totp WHERE "userId" = ?`, userID).
		Scan(&r.UserID, &r.Sealed, &confirmed, &r.LastStep, &created)
	if err != nil {
		return nil, storeErr("totp", err)
	}
	r.Confirmed, r.Created = fromMS(confirmed), time.UnixMilli(created).UTC()
	return &r, nil
}

// SetTOTP implements [latch.SecondFactorStore].
func (s *Store) SetTOTP(ctx context.Context, r latch.TOTPRecord) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO latch_totp ("userId", sealed, confirmed, "lastStep", created) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT ("userId") DO UPDATE SET sealed = excluded.sealed, confirmed = excluded.confirmed, "lastStep" = excluded."lastStep", created = excluded.created`,
		r.UserID, r.Sealed, ms(r.Confirmed), r.LastStep, r.Created.UnixMilli())
	return storeErr("set totp", err)
}

// UseTOTPStep implements [latch.SecondFactorStore].
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE latch_totp SET "lastStep" = ? WHERE "userId" = ? AND "lastStep" < ?`, step, userID, step)
	if err != nil {
		return storeErr("use totp step", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
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
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("delete second factor", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM latch_recovery_codes WHERE "userId" = ?`, userID); err != nil {
		return storeErr("delete second factor", err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM latch_totp WHERE "userId" = ?`, userID)
	if err != nil {
		return storeErr("delete second factor", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return latch.ErrNotFound
	}
	return storeErr("delete second factor", tx.Commit())
}

// SetRecoveryCodes implements [latch.SecondFactorStore].
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return storeErr("set recovery codes", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE id = ?`, userID).Scan(&n); err != nil {
		return storeErr("set recovery codes", err)
	}
	if n == 0 {
		return latch.ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM latch_recovery_codes WHERE "userId" = ?`, userID); err != nil {
		return storeErr("set recovery codes", err)
	}
	for _, h := range hashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO latch_recovery_codes ("userId", hash) VALUES (?, ?)`, userID, h); err != nil {
			return storeErr("set recovery codes", err)
		}
	}
	return storeErr("set recovery codes", tx.Commit())
}

// UseRecoveryCode implements [latch.SecondFactorStore].
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "use recovery code", `DELETE FROM latch_recovery_codes WHERE "userId" = ? AND hash = ?`, userID, hash)
}

// RecoveryCodesLeft implements [latch.SecondFactorStore].
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM latch_recovery_codes WHERE "userId" = ?`, userID).Scan(&n)
	return n, storeErr("recovery codes left", err)
}
