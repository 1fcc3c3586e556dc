package redis

import (
	"context"
	"errors"

	"github.com/latchauth/latch"
)

// Second factors live in the SQL store, like users: Store passes them on.

var _ latch.SecondFactorStore = (*Store)(nil)

var errNoSecondFactor = errors.New("redis: the wrapped store does not keep second factors (latch.SecondFactorStore)")

func (s *Store) secondFactors() (latch.SecondFactorStore, error) {
	if sf, ok := s.Store.(latch.SecondFactorStore); ok {
		return sf, nil
	}
	return nil, errNoSecondFactor
}

// TOTP implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) TOTP(ctx context.Context, userID string) (*latch.TOTPRecord, error) {
	sf, err := s.secondFactors()
	if err != nil {
		return nil, err
	}
	return sf.TOTP(ctx, userID)
}

// SetTOTP implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) SetTOTP(ctx context.Context, r latch.TOTPRecord) error {
	sf, err := s.secondFactors()
	if err != nil {
		return err
	}
	return sf.SetTOTP(ctx, r)
}

// UseTOTPStep implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) UseTOTPStep(ctx context.Context, userID string, step int64) error {
	sf, err := s.secondFactors()
	if err != nil {
		return err
	}
	return sf.UseTOTPStep(ctx, userID, step)
}

// DeleteSecondFactor implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) DeleteSecondFactor(ctx context.Context, userID string) error {
	sf, err := s.secondFactors()
	if err != nil {
		return err
	}
	return sf.DeleteSecondFactor(ctx, userID)
}

// SetRecoveryCodes implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error {
	sf, err := s.secondFactors()
	if err != nil {
		return err
	}
	return sf.SetRecoveryCodes(ctx, userID, hashes)
}

// UseRecoveryCode implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) UseRecoveryCode(ctx context.Context, userID, hash string) error {
	sf, err := s.secondFactors()
	if err != nil {
		return err
	}
	return sf.UseRecoveryCode(ctx, userID, hash)
}

// RecoveryCodesLeft implements [latch.SecondFactorStore] with the SQL store.
func (s *Store) RecoveryCodesLeft(ctx context.Context, userID string) (int, error) {
	sf, err := s.secondFactors()
	if err != nil {
		return 0, err
	}
	return sf.RecoveryCodesLeft(ctx, userID)
}
