package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

func TestUserPasskeysCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com"); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, stderr)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "latch-data", "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	err = st.CreateAuthenticator(context.Background(), latch.Authenticator{
		CredentialID: "Y3JlZA==", UserID: u.ID, ProviderAccountID: "Y3JlZA==", CredentialPublicKey: "a2V5",
		CredentialDeviceType: "singleDevice", Name: "Laptop", Created: created,
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, dir, "", "user", "passkeys", "ann@example.com")
	if code != 0 || !strings.Contains(out, "Y3JlZA==") || !strings.Contains(out, "Laptop") || !strings.Contains(out, "2026-12-01T10:00:00Z") || !strings.Contains(out, "never") {
		t.Errorf("user passkeys: exit %d, %q, %q", code, out, stderr)
	}
	if code, _, stderr := run(t, dir, "", "user", "passkeys", "ann@example.com", "--remove", "bm9uZQ=="); code == 0 || !strings.Contains(stderr, "has no passkey") {
		t.Errorf("remove of an unknown passkey: exit %d, %q", code, stderr)
	}
	if code, out, stderr := run(t, dir, "", "user", "passkeys", "ann@example.com", "--remove", "Y3JlZA=="); code != 0 || !strings.Contains(out, "removed passkey") {
		t.Errorf("remove: exit %d, %q, %q", code, out, stderr)
	}
	if _, out, _ := run(t, dir, "", "user", "passkeys", "ann@example.com"); strings.Contains(out, "Y3JlZA==") {
		t.Errorf("after remove: %q", out)
	}
	if code, _, stderr := run(t, dir, "", "user", "passkeys", "bob@example.com"); code == 0 || !strings.Contains(stderr, "no user with email") {
		t.Errorf("passkeys of an unknown user: exit %d, %q", code, stderr)
	}
}

func TestUser2FAResetCLI(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := run(t, dir, "correct horse battery\n", "user", "add", "--email", "ann@example.com"); code != 0 {
		t.Fatalf("user add: exit %d: %s", code, stderr)
	}
	if code, _, stderr := run(t, dir, "", "user", "2fa", "reset", "ann@example.com"); code == 0 || !strings.Contains(stderr, "has no second factor") {
		t.Errorf("reset without a second factor: exit %d, %q", code, stderr)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "latch-data", "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := st.UserByEmail(context.Background(), "ann@example.com")
	now := time.Now()
	if err := st.SetTOTP(context.Background(), latch.TOTPRecord{UserID: u.ID, Sealed: []byte("sealed"), Confirmed: now, Created: now}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRecoveryCodes(context.Background(), u.ID, []string{"h1", "h2"}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, out, stderr := run(t, dir, "", "user", "2fa", "reset", "ann@example.com"); code != 0 || !strings.Contains(out, "second factor of ann@example.com reset") {
		t.Errorf("user 2fa reset: exit %d, %q, %q", code, out, stderr)
	}
	st, _ = sqlite.Open(context.Background(), filepath.Join(dir, "latch-data", "latch.db"))
	defer st.Close()
	if _, err := st.TOTP(context.Background(), u.ID); err == nil {
		t.Error("the TOTP record is still there after reset")
	}
	if n, _ := st.RecoveryCodesLeft(context.Background(), u.ID); n != 0 {
		t.Errorf("%d recovery codes left after reset; want 0", n)
	}
	if code, _, stderr := run(t, dir, "", "user", "2fa", "wipe", "ann@example.com"); code == 0 || !strings.Contains(stderr, "want reset EMAIL") {
		t.Errorf("user 2fa wipe: exit %d, %q", code, stderr)
	}
}
