// Package storetest is the conformance suite every [latch.Store] must
// pass. A store's tests call [Run] with a function that opens an empty
// store.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// Run runs the suite. open must return an empty store for each call; the
// suite closes it.
func Run(t *testing.T, open func(t *testing.T) latch.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, s latch.Store)
	}{
		{"Users", testUsers},
		{"EmailUnique", testEmailUnique},
		{"Passwords", testPasswords},
		{"PasswordHashParams", testPasswordHashParams},
		{"Accounts", testAccounts},
		{"Sessions", testSessions},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"VerificationTokens", testVerificationTokens},
		{"VerificationTokenReader", testVerificationTokenReader},
		{"ConcurrentWriters", testConcurrentWriters},
		{"DeleteExpired", testDeleteExpired},
		{"SessionRevocations", testSessionRevocations},
		{"SessionSightings", testSessionSightings},
		{"SigningKeys", local(testSigningKeys)},
		{"RefreshFamilies", local(testRefreshFamilies)},
		{"RefreshRotation", local(testRefreshRotation)},
		{"RefreshRotationRace", local(testRefreshRotationRace)},
		{"DeleteUserDeletesRefreshFamilies", local(testDeleteUserRefreshFamilies)},
		{"AccountTokens", accountTokens(testAccountTokens)},
		{"TokenLocker", testTokenLocker},
		{"RefreshResultCache", testRefreshResultCache},
		{"AccountsAfter", testAccountsAfter},
		{"Authenticators", authenticators(testAuthenticators)},
		{"SecondFactor", secondFactors(testSecondFactor)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.run(t, s)
		})
	}
}

var ctx = context.Background()

func mustUser(t *testing.T, s latch.Store, email string) *latch.StoredUser {
	t.Helper()
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "N " + email, Email: email}})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", email, err)
	}
	return u
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: err = %v; want %v", what, err, want)
	}
}

func testUsers(t *testing.T, s latch.Store) {
	verified := time.UnixMilli(1_800_000_000_123).UTC()
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ann", Email: "Ann@Example.com", Image: "https://i/a.png"}, EmailVerified: verified})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == "" {
		t.Fatal("CreateUser returned no id")
	}
	got, err := s.User(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Ann" || got.Email != "Ann@Example.com" || got.Image != "https://i/a.png" || !got.EmailVerified.Equal(verified) {
		t.Errorf("User = %+v; want Ann, Ann@Example.com, image, %v", got, verified)
	}
	byEmail, err := s.UserByEmail(ctx, "ann@EXAMPLE.com")
	if err != nil || byEmail.ID != u.ID {
		t.Errorf("UserByEmail (other case) = %v, %v; want %s", byEmail, err, u.ID)
	}
	_, err = s.User(ctx, "missing")
	wantErr(t, "User(missing)", err, latch.ErrNotFound)
	_, err = s.UserByEmail(ctx, "nobody@example.com")
	wantErr(t, "UserByEmail(missing)", err, latch.ErrNotFound)

	u.Name, u.EmailVerified = "Ann B", time.Time{}
	if _, err := s.UpdateUser(ctx, *u); err != nil {
		t.Fatal(err)
	}
	got, _ = s.User(ctx, u.ID)
	if got.Name != "Ann B" || !got.EmailVerified.IsZero() {
		t.Errorf("after UpdateUser: %+v; want name Ann B, no verification", got)
	}
	_, err = s.UpdateUser(ctx, latch.StoredUser{User: latch.User{ID: "missing"}})
	wantErr(t, "UpdateUser(missing)", err, latch.ErrNotFound)

	withID, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{ID: "fixed-id", Email: "b@example.com"}})
	if err != nil || withID.ID != "fixed-id" {
		t.Errorf("CreateUser with id = %v, %v; want fixed-id", withID, err)
	}
	noEmail, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "No Email"}})
	if err != nil {
		t.Fatalf("user without email: %v", err)
	}
	if _, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "No Email 2"}}); err != nil {
		t.Errorf("second user without email: %v", err)
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 4 {
		t.Fatalf("ListUsers = %d users, %v; want 4", len(list), err)
	}
	if err := s.DeleteUser(ctx, noEmail.ID); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteUser twice", s.DeleteUser(ctx, noEmail.ID), latch.ErrNotFound)
	if list, _ := s.ListUsers(ctx); len(list) != 3 {
		t.Errorf("ListUsers after delete = %d; want 3", len(list))
	}
}

func testEmailUnique(t *testing.T, s latch.Store) {
	a := mustUser(t, s, "same@example.com")
	_, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "SAME@example.com"}})
	wantErr(t, "CreateUser with a taken email", err, latch.ErrConflict)
	b := mustUser(t, s, "other@example.com")
	b.Email = "Same@Example.com"
	_, err = s.UpdateUser(ctx, *b)
	wantErr(t, "UpdateUser to a taken email", err, latch.ErrConflict)
	_, err = s.CreateUser(ctx, latch.StoredUser{User: latch.User{ID: a.ID, Email: "x@example.com"}})
	wantErr(t, "CreateUser with a taken id", err, latch.ErrConflict)

	// Case is ignored beyond ASCII too.
	u := mustUser(t, s, "Ülkü.Öz@Example.com")
	if got, err := s.UserByEmail(ctx, "ülkü.öz@example.com"); err != nil || got.ID != u.ID {
		t.Errorf("UserByEmail (non-ASCII, other case) = %v, %v; want %s", got, err, u.ID)
	}
	_, err = s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "ÜLKÜ.ÖZ@example.com"}})
	wantErr(t, "CreateUser with a taken non-ASCII email in other case", err, latch.ErrConflict)
	// But no non-ASCII letter turns into an ASCII one: the Kelvin sign is
	// not k.
	mustUser(t, s, "kim@example.com")
	_, err = s.UserByEmail(ctx, "\u212Aim@example.com")
	wantErr(t, "UserByEmail with a Kelvin sign for k", err, latch.ErrNotFound)
}

func testPasswords(t *testing.T, s latch.Store) {
	u := mustUser(t, s, "p@example.com")
	_, err := s.PasswordHash(ctx, u.ID)
	wantErr(t, "PasswordHash before any", err, latch.ErrNotFound)
	for _, h := range []string{"$argon2id$first", "$argon2id$second"} {
		if err := s.SetPasswordHash(ctx, u.ID, h); err != nil {
			t.Fatal(err)
		}
		if got, err := s.PasswordHash(ctx, u.ID); err != nil || got != h {
			t.Errorf("PasswordHash = %q, %v; want %q", got, err, h)
		}
	}
	wantErr(t, "SetPasswordHash of a missing user", s.SetPasswordHash(ctx, "missing", "h"), latch.ErrNotFound)
}

// hashInventory is password.HashInventory, optional for a store.
type hashInventory interface {
	PasswordHashParams(ctx context.Context) ([]string, error)
}

func testPasswordHashParams(t *testing.T, s latch.Store) {
	inv, ok := s.(hashInventory)
	if !ok {
		t.Skip("the store does not list its kinds of password hash")
	}
	got, err := inv.PasswordHashParams(ctx)
	if err != nil || len(got) != 0 {
		t.Fatalf("PasswordHashParams of an empty store = %q, %v; want none", got, err)
	}
	const bcryptRest = "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	hashes := []string{
		"$2b$12$" + bcryptRest,
		"$2b$12$" + bcryptRest[1:] + "x",
		"$2a$10$" + bcryptRest,
		"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=19456,t=2,p=1$b3RoZXJzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$AAAAAA",
		"$argon2id$v=19$m=8",
		"{SSHA}abcdef",
		"",
	}
	for i, h := range hashes {
		u := mustUser(t, s, fmt.Sprintf("hash%d@example.com", i))
		if err := s.SetPasswordHash(ctx, u.ID, h); err != nil {
			t.Fatal(err)
		}
	}
	got, err = inv.PasswordHashParams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"$2b$12$": true, "$2a$10$": true, "$argon2id$v=19$m=19456,t=2,p=1$": true, "$argon2id$v=19$m=65536,t=3,p=4$": true}
	seen := map[string]bool{}
	for _, p := range got {
		if seen[p] {
			t.Errorf("PasswordHashParams: %q twice", p)
		}
		seen[p] = true
		// Other formats may come back in any form; the known ones exactly.
		if strings.HasPrefix(p, "$2") || strings.HasSuffix(p, "$") && strings.HasPrefix(p, "$argon2id$") {
			if !want[p] {
				t.Errorf("PasswordHashParams: unexpected %q", p)
			}
		}
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("PasswordHashParams = %q; want %q among them", got, p)
		}
	}
}

func testAccounts(t *testing.T, s latch.Store) {
	u := mustUser(t, s, "acc@example.com")
	acc := latch.LinkedAccount{
		Account:     latch.Account{Provider: "github", Type: "oauth", ProviderAccountID: "123"},
		UserID:      u.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "at", RefreshToken: "rt", ExpiresAt: 1_900_000_000, TokenType: "bearer", Scope: "read:user", IDToken: "idt", SessionState: "ss"},
	}
	if err := s.LinkAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "LinkAccount twice", s.LinkAccount(ctx, acc), latch.ErrConflict)
	other := acc
	other.UserID = "missing"
	other.ProviderAccountID = "456"
	wantErr(t, "LinkAccount for a missing user", s.LinkAccount(ctx, other), latch.ErrNotFound)

	got, err := s.UserByAccount(ctx, "github", "123")
	if err != nil || got.ID != u.ID {
		t.Errorf("UserByAccount = %v, %v; want %s", got, err, u.ID)
	}
	_, err = s.UserByAccount(ctx, "gitlab", "123")
	wantErr(t, "UserByAccount(other provider)", err, latch.ErrNotFound)
	accs, err := s.Accounts(ctx, u.ID)
	if err != nil || len(accs) != 1 || accs[0] != acc {
		t.Errorf("Accounts = %+v, %v; want [%+v]", accs, err, acc)
	}
	if err := s.UnlinkAccount(ctx, "github", "123"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "UnlinkAccount twice", s.UnlinkAccount(ctx, "github", "123"), latch.ErrNotFound)
	if accs, _ := s.Accounts(ctx, u.ID); len(accs) != 0 {
		t.Errorf("Accounts after unlink = %v; want none", accs)
	}
}

func testSessions(t *testing.T, s latch.Store) {
	u := mustUser(t, s, "s@example.com")
	exp := time.UnixMilli(1_900_000_000_500).UTC()
	rec := latch.SessionRecord{Token: "tok-1", UserID: u.ID, Expires: exp}
	if err := s.CreateSession(ctx, rec); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateSession twice", s.CreateSession(ctx, rec), latch.ErrConflict)
	wantErr(t, "CreateSession for a missing user", s.CreateSession(ctx, latch.SessionRecord{Token: "tok-x", UserID: "missing", Expires: exp}), latch.ErrNotFound)

	got, user, err := s.Session(ctx, "tok-1")
	if err != nil || got.UserID != u.ID || !got.Expires.Equal(exp) || user.Email != "s@example.com" {
		t.Fatalf("Session = %+v, %+v, %v", got, user, err)
	}
	_, _, err = s.Session(ctx, "nope")
	wantErr(t, "Session(missing)", err, latch.ErrNotFound)

	later := exp.Add(time.Hour)
	if err := s.UpdateSessionExpiry(ctx, "tok-1", later); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := s.Session(ctx, "tok-1"); !got.Expires.Equal(later) {
		t.Errorf("expiry after update = %v; want %v", got.Expires, later)
	}
	wantErr(t, "UpdateSessionExpiry(missing)", s.UpdateSessionExpiry(ctx, "nope", later), latch.ErrNotFound)

	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "tok-2", UserID: u.ID, Expires: exp}); err != nil {
		t.Fatal(err)
	}
	list, err := s.UserSessions(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].Token != "tok-1" {
		t.Errorf("UserSessions = %+v, %v; want tok-1 (later expiry) first of 2", list, err)
	}
	del, err := s.DeleteSession(ctx, "tok-2")
	if err != nil || del.Token != "tok-2" || del.UserID != u.ID {
		t.Errorf("DeleteSession = %+v, %v", del, err)
	}
	_, err = s.DeleteSession(ctx, "tok-2")
	wantErr(t, "DeleteSession twice", err, latch.ErrNotFound)
	n, err := s.DeleteUserSessions(ctx, u.ID)
	if err != nil || n != 1 {
		t.Errorf("DeleteUserSessions = %d, %v; want 1", n, err)
	}
	_, _, err = s.Session(ctx, "tok-1")
	wantErr(t, "Session after DeleteUserSessions", err, latch.ErrNotFound)
}

func testDeleteUserCascades(t *testing.T, s latch.Store) {
	u := mustUser(t, s, "gone@example.com")
	s.SetPasswordHash(ctx, u.ID, "h")
	s.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "p", Type: "oauth", ProviderAccountID: "1"}, UserID: u.ID})
	s.CreateSession(ctx, latch.SessionRecord{Token: "t", UserID: u.ID, Expires: time.Now().Add(time.Hour)})
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Session(ctx, "t")
	wantErr(t, "session of a deleted user", err, latch.ErrNotFound)
	_, err = s.UserByAccount(ctx, "p", "1")
	wantErr(t, "account of a deleted user", err, latch.ErrNotFound)
	_, err = s.PasswordHash(ctx, u.ID)
	wantErr(t, "password of a deleted user", err, latch.ErrNotFound)
	// The email is free again.
	mustUser(t, s, "gone@example.com")
}

func testVerificationTokens(t *testing.T, s latch.Store) {
	exp := time.UnixMilli(1_900_000_000_000).UTC()
	vt := latch.VerificationToken{Identifier: "v@example.com", Token: "hash-1", Expires: exp}
	if err := s.CreateVerificationToken(ctx, vt); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateVerificationToken twice", s.CreateVerificationToken(ctx, vt), latch.ErrConflict)
	_, err := s.UseVerificationToken(ctx, "other@example.com", "hash-1")
	wantErr(t, "UseVerificationToken with another identifier", err, latch.ErrNotFound)
	got, err := s.UseVerificationToken(ctx, "v@example.com", "hash-1")
	if err != nil || *got != vt {
		t.Errorf("UseVerificationToken = %+v, %v; want %+v", got, err, vt)
	}
	_, err = s.UseVerificationToken(ctx, "v@example.com", "hash-1")
	wantErr(t, "UseVerificationToken twice", err, latch.ErrNotFound)

	// A link and the code of the same email: two tokens of one address,
	// used independently.
	code := latch.VerificationToken{Identifier: "v@example.com", Token: "code:hash-2", Expires: exp.Add(-time.Hour)}
	link := latch.VerificationToken{Identifier: "v@example.com", Token: "hash-2", Expires: exp}
	for _, vt := range []latch.VerificationToken{code, link} {
		if err := s.CreateVerificationToken(ctx, vt); err != nil {
			t.Fatalf("CreateVerificationToken(%s): %v", vt.Token, err)
		}
	}
	if got, err := s.UseVerificationToken(ctx, "v@example.com", "code:hash-2"); err != nil || *got != code {
		t.Errorf("UseVerificationToken(code) = %+v, %v; want %+v", got, err, code)
	}
	if got, err := s.UseVerificationToken(ctx, "v@example.com", "hash-2"); err != nil || *got != link {
		t.Errorf("UseVerificationToken(link) after the code = %+v, %v; want %+v", got, err, link)
	}
}

// testVerificationTokenReader checks VerificationToken of stores that
// implement latch.VerificationTokenReader: it reads without using.
func testVerificationTokenReader(t *testing.T, s latch.Store) {
	r, ok := s.(latch.VerificationTokenReader)
	if !ok {
		t.Skip("the store does not implement latch.VerificationTokenReader")
	}
	exp := time.UnixMilli(1_900_000_000_000).UTC()
	vt := latch.VerificationToken{Identifier: "r@example.com", Token: "hash-r", Expires: exp}
	_, err := r.VerificationToken(ctx, vt.Identifier, vt.Token)
	wantErr(t, "VerificationToken before it exists", err, latch.ErrNotFound)
	if err := s.CreateVerificationToken(ctx, vt); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if got, err := r.VerificationToken(ctx, vt.Identifier, vt.Token); err != nil || *got != vt {
			t.Errorf("VerificationToken, read %d = %+v, %v; want %+v", i+1, got, err, vt)
		}
	}
	_, err = r.VerificationToken(ctx, "other@example.com", vt.Token)
	wantErr(t, "VerificationToken with another identifier", err, latch.ErrNotFound)
	if got, err := s.UseVerificationToken(ctx, vt.Identifier, vt.Token); err != nil || *got != vt {
		t.Errorf("UseVerificationToken after reading = %+v, %v; want %+v", got, err, vt)
	}
	_, err = r.VerificationToken(ctx, vt.Identifier, vt.Token)
	wantErr(t, "VerificationToken after use", err, latch.ErrNotFound)
}

// testConcurrentWriters creates users and sessions from many goroutines at
// once: nothing may fail or be lost.
func testConcurrentWriters(t *testing.T, s latch.Store) {
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: fmt.Sprintf("w%d-%d@example.com", w, i)}})
				if err != nil {
					errs <- err
					continue
				}
				if err := s.CreateSession(ctx, latch.SessionRecord{Token: fmt.Sprintf("t-%d-%d", w, i), UserID: u.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
					errs <- err
				}
				if _, _, err := s.Session(ctx, fmt.Sprintf("t-%d-%d", w, i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	if list, err := s.ListUsers(ctx); err != nil || len(list) != workers*each {
		t.Errorf("ListUsers = %d, %v; want %d", len(list), err, workers*each)
	}
}

// testDeleteExpired: what expired goes, what is live stays, in every
// kind of record the store keeps.
func testDeleteExpired(t *testing.T, s latch.Store) {
	d, ok := s.(latch.ExpiredDeleter)
	if !ok {
		t.Skip("the store has no DeleteExpired")
	}
	u := mustUser(t, s, "old@example.com")
	now := time.Now().Truncate(time.Millisecond)
	for _, r := range []latch.SessionRecord{
		{Token: "expired-session", UserID: u.ID, Expires: now.Add(-time.Hour)},
		{Token: "live-session", UserID: u.ID, Expires: now.Add(time.Hour)},
	} {
		if err := s.CreateSession(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []latch.VerificationToken{
		{Identifier: "old@example.com", Token: "expired-token", Expires: now.Add(-time.Hour)},
		{Identifier: "old@example.com", Token: "live-token", Expires: now.Add(time.Hour)},
	} {
		if err := s.CreateVerificationToken(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	ls, isLocal := s.(latch.LocalStore)
	if isLocal {
		for i, exp := range []time.Time{now.Add(-time.Hour), now.Add(time.Hour)} {
			f := family(fmt.Sprint("fam-", i), u.ID, now.Add(-2*time.Hour))
			f.Expires = exp
			if err := ls.CreateRefreshFamily(ctx, f, latch.RefreshToken{Hash: fmt.Sprint("hash-", i), Created: now}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// (A store that keeps sessions and links where they expire by
	// themselves, as Redis does, counts only what it deleted.)
	if n, err := d.DeleteExpired(ctx, now); err != nil || n < 0 {
		t.Fatalf("DeleteExpired = %d, %v", n, err)
	}
	_, _, err := s.Session(ctx, "expired-session")
	wantErr(t, "expired session after DeleteExpired", err, latch.ErrNotFound)
	if _, _, err := s.Session(ctx, "live-session"); err != nil {
		t.Errorf("live session after DeleteExpired: %v", err)
	}
	_, err = s.UseVerificationToken(ctx, "old@example.com", "expired-token")
	wantErr(t, "expired verification token after DeleteExpired", err, latch.ErrNotFound)
	if _, err := s.UseVerificationToken(ctx, "old@example.com", "live-token"); err != nil {
		t.Errorf("live verification token after DeleteExpired: %v", err)
	}
	if isLocal {
		_, err := ls.RefreshFamily(ctx, "fam-0")
		wantErr(t, "expired refresh family after DeleteExpired", err, latch.ErrNotFound)
		if _, err := ls.RefreshFamily(ctx, "fam-1"); err != nil {
			t.Errorf("live refresh family after DeleteExpired: %v", err)
		}
	}
}

// testSessionRevocations: marks per user, moving only forward, read back
// from a time on; a mark may name a user the store does not have (any
// more).
func testSessionRevocations(t *testing.T, s latch.Store) {
	rs, ok := s.(latch.SessionRevocationStore)
	if !ok {
		t.Skip("the store does not record session revocations")
	}
	t0 := time.UnixMilli(1_900_000_000_250).UTC()
	if err := rs.RevokeSessionsBefore(ctx, "u1", t0); err != nil {
		t.Fatal(err)
	}
	if err := rs.RevokeSessionsBefore(ctx, "removed-user", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := rs.RevokeSessionsBefore(ctx, "u1", t0.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	marks, err := rs.SessionsRevokedSince(ctx, t0.Add(-time.Hour))
	if err != nil || len(marks) != 2 || !marks["u1"].Equal(t0) || !marks["removed-user"].Equal(t0.Add(time.Hour)) {
		t.Fatalf("SessionsRevokedSince = %v, %v; want u1 at %v (an earlier mark does not move it back) and removed-user", marks, err, t0)
	}
	if err := rs.RevokeSessionsBefore(ctx, "u1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	marks, err = rs.SessionsRevokedSince(ctx, t0.Add(90*time.Minute))
	if err != nil || len(marks) != 1 || !marks["u1"].Equal(t0.Add(2*time.Hour)) {
		t.Errorf("SessionsRevokedSince(later) = %v, %v; want only u1, moved forward", marks, err)
	}
}

// testSessionSightings: a sighting per session ID, replaced when seen
// again (its sign-in time kept), listed per user without the expired,
// last seen first; DeleteExpired drops expired ones.
func testSessionSightings(t *testing.T, s latch.Store) {
	ss, ok := s.(latch.SessionSightingStore)
	if !ok {
		t.Skip("the store does not record session sightings")
	}
	t0 := time.UnixMilli(1_900_000_000_250).UTC()
	for _, v := range []latch.SessionSighting{
		{ID: "s1", UserID: "u1", SignedIn: t0, LastSeen: t0, IP: "192.0.2.1", UserAgent: "Firefox", Expires: t0.Add(time.Hour)},
		{ID: "s2", UserID: "u1", LastSeen: t0.Add(time.Minute), IP: "2001:db8::1", UserAgent: "curl", Expires: t0.Add(2 * time.Hour)},
		{ID: "s3", UserID: "u2", SignedIn: t0, LastSeen: t0, Expires: t0.Add(time.Hour)},
		{ID: "old", UserID: "u1", SignedIn: t0, LastSeen: t0, Expires: t0.Add(-time.Second)},
		{ID: "s1", UserID: "u1", SignedIn: t0.Add(time.Hour), LastSeen: t0.Add(2 * time.Minute), IP: "192.0.2.9", UserAgent: "Firefox 2", Expires: t0.Add(3 * time.Hour)},
	} {
		if err := ss.SawSession(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ss.UserSessionSightings(ctx, "u1", t0)
	if err != nil || len(got) != 2 {
		t.Fatalf("UserSessionSightings = %+v, %v; want s1 and s2", got, err)
	}
	want := latch.SessionSighting{ID: "s1", UserID: "u1", SignedIn: t0, LastSeen: t0.Add(2 * time.Minute), IP: "192.0.2.9", UserAgent: "Firefox 2", Expires: t0.Add(3 * time.Hour)}
	if g := got[0]; g.ID != want.ID || !g.SignedIn.Equal(want.SignedIn) || !g.LastSeen.Equal(want.LastSeen) || g.IP != want.IP || g.UserAgent != want.UserAgent || !g.Expires.Equal(want.Expires) {
		t.Errorf("first sighting = %+v; want %+v (seen last, sign-in time kept)", g, want)
	}
	if g := got[1]; g.ID != "s2" || !g.SignedIn.IsZero() || g.IP != "2001:db8::1" {
		t.Errorf("second sighting = %+v; want s2 without a sign-in time", g)
	}
	if v, err := ss.SessionSighting(ctx, "s2"); err != nil || v.UserID != "u1" || v.UserAgent != "curl" {
		t.Errorf("SessionSighting(s2) = %+v, %v", v, err)
	}
	_, err = ss.SessionSighting(ctx, "nope")
	wantErr(t, "SessionSighting(missing)", err, latch.ErrNotFound)
	if d, ok := s.(latch.ExpiredDeleter); ok {
		if _, err := d.DeleteExpired(ctx, t0.Add(150*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got, _ := ss.UserSessionSightings(ctx, "u1", t0); len(got) != 1 || got[0].ID != "s1" {
			t.Errorf("after DeleteExpired: %+v; want s1 alone", got)
		}
	}
}
