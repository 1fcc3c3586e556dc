package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// secondFactors runs a test of the second-factor store methods, or skips
// it for a store without them.
func secondFactors(f func(t *testing.T, s latch.SecondFactorStore)) func(t *testing.T, s latch.Store) {
	return func(t *testing.T, s latch.Store) {
		sf, ok := s.(latch.SecondFactorStore)
		if !ok {
			t.Skipf("%T is not a latch.SecondFactorStore", s)
		}
		f(t, sf)
	}
}

func testSecondFactor(t *testing.T, s latch.SecondFactorStore) {
	u := mustUser(t, s.(latch.Store), "2fa@example.com")
	other := mustUser(t, s.(latch.Store), "2fa-other@example.com")
	t0 := time.UnixMilli(1_900_000_000_750).UTC()
	if _, err := s.TOTP(ctx, u.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("TOTP of a user without one: err = %v; want ErrNotFound", err)
	}
	pending := latch.TOTPRecord{UserID: u.ID, Sealed: []byte{1, 2, 0, 255}, Created: t0}
	if err := s.SetTOTP(ctx, pending); err != nil {
		t.Fatal(err)
	}
	got, err := s.TOTP(ctx, u.ID)
	if err != nil || got.UserID != u.ID || string(got.Sealed) != string(pending.Sealed) || !got.Confirmed.IsZero() || got.LastStep != 0 || !got.Created.Equal(t0) {
		t.Fatalf("TOTP = %+v, %v; want %+v", got, err, pending)
	}
	confirmed := latch.TOTPRecord{UserID: u.ID, Sealed: []byte("new"), Confirmed: t0.Add(time.Minute), LastStep: 100, Created: t0.Add(time.Second)}
	if err := s.SetTOTP(ctx, confirmed); err != nil {
		t.Fatalf("SetTOTP replacing: %v", err)
	}
	if got, _ := s.TOTP(ctx, u.ID); string(got.Sealed) != "new" || !got.Confirmed.Equal(confirmed.Confirmed) || got.LastStep != 100 || !got.Created.Equal(confirmed.Created) {
		t.Errorf("TOTP after replace = %+v; want %+v", got, confirmed)
	}
	wantErr(t, "SetTOTP of a missing user", s.SetTOTP(ctx, latch.TOTPRecord{UserID: "no-such-user", Sealed: []byte("x"), Created: t0}), latch.ErrNotFound)

	// Steps are accepted once, in increasing order.
	wantErr(t, "UseTOTPStep of the last step", s.UseTOTPStep(ctx, u.ID, 100), latch.ErrConflict)
	wantErr(t, "UseTOTPStep of an earlier step", s.UseTOTPStep(ctx, u.ID, 99), latch.ErrConflict)
	if err := s.UseTOTPStep(ctx, u.ID, 101); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UseTOTPStep twice", s.UseTOTPStep(ctx, u.ID, 101), latch.ErrConflict)
	wantErr(t, "UseTOTPStep without a record", s.UseTOTPStep(ctx, other.ID, 5), latch.ErrNotFound)
	// Concurrent uses of one step: exactly one wins.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.UseTOTPStep(ctx, u.ID, 102); err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			} else if !errors.Is(err, latch.ErrConflict) {
				t.Errorf("concurrent UseTOTPStep: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("concurrent UseTOTPStep of one step: %d accepted; want 1", wins)
	}

	// Recovery codes.
	if n, err := s.RecoveryCodesLeft(ctx, u.ID); err != nil || n != 0 {
		t.Errorf("RecoveryCodesLeft before any = %d, %v; want 0", n, err)
	}
	if err := s.SetRecoveryCodes(ctx, u.ID, []string{"h1", "h2", "h3"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetRecoveryCodes(ctx, other.ID, []string{"h1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "SetRecoveryCodes of a missing user", s.SetRecoveryCodes(ctx, "no-such-user", []string{"h"}), latch.ErrNotFound)
	if err := s.UseRecoveryCode(ctx, u.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UseRecoveryCode twice", s.UseRecoveryCode(ctx, u.ID, "h2"), latch.ErrNotFound)
	wantErr(t, "UseRecoveryCode unknown", s.UseRecoveryCode(ctx, u.ID, "nope"), latch.ErrNotFound)
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 2 {
		t.Errorf("RecoveryCodesLeft after one use = %d; want 2", n)
	}
	if err := s.SetRecoveryCodes(ctx, u.ID, []string{"n1"}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UseRecoveryCode of a replaced code", s.UseRecoveryCode(ctx, u.ID, "h1"), latch.ErrNotFound)
	if n, _ := s.RecoveryCodesLeft(ctx, other.ID); n != 1 {
		t.Errorf("another user's codes = %d; want 1 (untouched)", n)
	}

	// Deleting the second factor deletes the codes too.
	if err := s.DeleteSecondFactor(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteSecondFactor twice", s.DeleteSecondFactor(ctx, u.ID), latch.ErrNotFound)
	if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
		t.Errorf("recovery codes after DeleteSecondFactor = %d; want 0", n)
	}
	// DeleteUser deletes them.
	if err := s.SetTOTP(ctx, latch.TOTPRecord{UserID: other.ID, Sealed: []byte("x"), Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.(latch.Store).DeleteUser(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TOTP(ctx, other.ID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("TOTP of a deleted user: err = %v; want ErrNotFound", err)
	}
	if n, _ := s.RecoveryCodesLeft(ctx, other.ID); n != 0 {
		t.Errorf("recovery codes of a deleted user = %d; want 0", n)
	}
}
