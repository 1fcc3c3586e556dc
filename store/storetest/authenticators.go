package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// authenticators runs a test of the passkey store methods, or skips it
// for a store without them.
func authenticators(f func(t *testing.T, s latch.AuthenticatorStore)) func(t *testing.T, s latch.Store) {
	return func(t *testing.T, s latch.Store) {
		as, ok := s.(latch.AuthenticatorStore)
		if !ok {
			t.Skipf("%T is not a latch.AuthenticatorStore", s)
		}
		f(t, as)
	}
}

func authenticator(id, userID string, created time.Time) latch.Authenticator {
	return latch.Authenticator{
		CredentialID: id, UserID: userID, ProviderAccountID: id,
		CredentialPublicKey: "pQECAyYgASFYIA==", Counter: 3,
		CredentialDeviceType: "multiDevice", CredentialBackedUp: true,
		Transports: "internal,hybrid", UserHandle: "dXNlci1oYW5kbGU", Name: "Laptop " + id,
		Created: created,
	}
}

func testAuthenticators(t *testing.T, s latch.AuthenticatorStore) {
	u := mustUser(t, s.(latch.Store), "pk@example.com")
	other := mustUser(t, s.(latch.Store), "pk-other@example.com")
	t0 := time.UnixMilli(1_900_000_000_250).UTC()
	if got, err := s.UserAuthenticators(ctx, u.ID); err != nil || got == nil || len(got) != 0 {
		t.Fatalf("UserAuthenticators of a user without any = %v, %v; want an empty list", got, err)
	}
	a1 := authenticator("Y3JlZC0x+/==", u.ID, t0.Add(time.Minute))
	a2 := authenticator("Y3JlZC0y", u.ID, t0)
	a2.CredentialDeviceType, a2.CredentialBackedUp, a2.Transports, a2.UserHandle, a2.Name = "singleDevice", false, "", "", ""
	for _, a := range []latch.Authenticator{a1, a2} {
		if err := s.CreateAuthenticator(ctx, a); err != nil {
			t.Fatalf("CreateAuthenticator(%s): %v", a.CredentialID, err)
		}
	}
	wantErr(t, "CreateAuthenticator twice", s.CreateAuthenticator(ctx, a1), latch.ErrConflict)
	wantErr(t, "CreateAuthenticator of another user with a taken credential ID", s.CreateAuthenticator(ctx, authenticator(a1.CredentialID, other.ID, t0)), latch.ErrConflict)
	wantErr(t, "CreateAuthenticator for a missing user", s.CreateAuthenticator(ctx, authenticator("bm8tdXNlcg==", "no-such-user", t0)), latch.ErrNotFound)

	got, err := s.Authenticator(ctx, a1.CredentialID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != a1 {
		t.Errorf("Authenticator = %+v\nwant %+v", *got, a1)
	}
	got, err = s.Authenticator(ctx, a2.CredentialID)
	if err != nil || *got != a2 {
		t.Errorf("Authenticator (empty optional fields) = %+v, %v\nwant %+v", got, err, a2)
	}
	_, err = s.Authenticator(ctx, "bm9uZQ==")
	wantErr(t, "Authenticator of an unknown ID", err, latch.ErrNotFound)
	// Credential IDs are case-sensitive base64.
	_, err = s.Authenticator(ctx, "y3JlZC0y")
	wantErr(t, "Authenticator with the ID in another case", err, latch.ErrNotFound)

	list, err := s.UserAuthenticators(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].CredentialID != a2.CredentialID || list[1].CredentialID != a1.CredentialID {
		t.Fatalf("UserAuthenticators = %+v, %v; want %s then %s (oldest first)", list, err, a2.CredentialID, a1.CredentialID)
	}
	if list, _ := s.UserAuthenticators(ctx, other.ID); len(list) != 0 {
		t.Errorf("UserAuthenticators of another user = %+v; want none", list)
	}

	used := t0.Add(time.Hour)
	if err := s.UpdateAuthenticatorUse(ctx, a1.CredentialID, 1<<33, false, used); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Authenticator(ctx, a1.CredentialID)
	if got.Counter != 1<<33 || got.CredentialBackedUp || !got.LastUsed.Equal(used) {
		t.Errorf("after UpdateAuthenticatorUse: counter %d, backed up %v, last used %v; want %d, false, %v", got.Counter, got.CredentialBackedUp, got.LastUsed, int64(1<<33), used)
	}
	wantErr(t, "UpdateAuthenticatorUse of an unknown ID", s.UpdateAuthenticatorUse(ctx, "bm9uZQ==", 1, false, used), latch.ErrNotFound)

	wantErr(t, "DeleteAuthenticator of another user's", s.DeleteAuthenticator(ctx, other.ID, a1.CredentialID), latch.ErrNotFound)
	if err := s.DeleteAuthenticator(ctx, u.ID, a1.CredentialID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteAuthenticator twice", s.DeleteAuthenticator(ctx, u.ID, a1.CredentialID), latch.ErrNotFound)
	if _, err := s.Authenticator(ctx, a1.CredentialID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("Authenticator after delete: err = %v; want ErrNotFound", err)
	}

	// Deleting the user deletes its authenticators.
	if err := s.(latch.Store).DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticator(ctx, a2.CredentialID); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("Authenticator of a deleted user: err = %v; want ErrNotFound", err)
	}
	if err := s.CreateAuthenticator(ctx, authenticator(a2.CredentialID, other.ID, t0)); err != nil {
		t.Errorf("the credential ID of a deleted user's authenticator is still taken: %v", err)
	}
}
