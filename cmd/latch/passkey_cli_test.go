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
