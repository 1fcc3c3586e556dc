package latch

import (
	"context"
	"time"
)

// TOTPRecord is a user's authenticator-app second factor as stored: the
// secret sealed (encrypted and authenticated) with the Latch secret.
type TOTPRecord struct {
	UserID string
	Sealed []byte
	// Confirmed is when the user typed a first right code; zero while
	// the enrolment is pending (the factor does not count yet).
	Confirmed time.Time
	// LastStep is the time step (Unix time / 30 s) of the last code
	// accepted: a code is accepted once, so only later steps are.
	LastStep int64
	Created  time.Time
}

// SecondFactorStore keeps second factors: TOTP secrets and recovery codes
// (only their hashes). store/sqlite and store/postgres implement it
// (store/redis passes it on); store/storetest checks it.
type SecondFactorStore interface {
	// TOTP returns the user's TOTP record, or ErrNotFound.
	TOTP(ctx context.Context, userID string) (*TOTPRecord, error)
	// SetTOTP stores r, replacing the user's record; ErrNotFound when
	// the user does not exist.
	SetTOTP(ctx context.Context, r TOTPRecord) error
	// UseTOTPStep records that the code of step was accepted, in one
	// step: ErrConflict when LastStep is already step or later (a replay,
	// maybe concurrent), ErrNotFound when the user has no record.
	UseTOTPStep(ctx context.Context, userID string, step int64) error
	// DeleteSecondFactor deletes the user's TOTP record and recovery
	// codes; ErrNotFound when there was no TOTP record. DeleteUser
	// deletes them too.
	DeleteSecondFactor(ctx context.Context, userID string) error
	// SetRecoveryCodes replaces the user's recovery codes with hashes;
	// ErrNotFound when the user does not exist.
	SetRecoveryCodes(ctx context.Context, userID string, hashes []string) error
	// UseRecoveryCode deletes the code with the hash, so it works once;
	// ErrNotFound when the user has no such code.
	UseRecoveryCode(ctx context.Context, userID, hash string) error
	// RecoveryCodesLeft returns how many unused codes the user has.
	RecoveryCodesLeft(ctx context.Context, userID string) (int, error)
}
