package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// local runs a test of the local provider's store methods, or skips it
// for a store without them.
func local(f func(t *testing.T, s latch.LocalStore)) func(t *testing.T, s latch.Store) {
	return func(t *testing.T, s latch.Store) {
		ls, ok := s.(latch.LocalStore)
		if !ok {
			t.Skipf("%T is not a latch.LocalStore", s)
		}
		f(t, ls)
	}
}

func testSigningKeys(t *testing.T, s latch.LocalStore) {
	if keys, err := s.SigningKeys(ctx); err != nil || len(keys) != 0 {
		t.Fatalf("SigningKeys of an empty store = %v, %v; want none", keys, err)
	}
	t0 := time.UnixMilli(1_900_000_000_123).UTC()
	k1 := latch.SigningKey{ID: "k1", Algorithm: "EdDSA", Sealed: []byte{0, 1, 2, 255}, Created: t0.Add(time.Hour)}
	k2 := latch.SigningKey{ID: "k2", Algorithm: "ES256", Sealed: []byte("sealed"), Created: t0}
	for _, k := range []latch.SigningKey{k1, k2} {
		if err := s.AddSigningKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, "AddSigningKey twice", s.AddSigningKey(ctx, k1), latch.ErrConflict)
	keys, err := s.SigningKeys(ctx)
	if err != nil || len(keys) != 2 {
		t.Fatalf("SigningKeys = %v, %v; want 2", keys, err)
	}
	if keys[0].ID != "k2" || keys[1].ID != "k1" {
		t.Errorf("SigningKeys order = %s, %s; want k2 (older) first", keys[0].ID, keys[1].ID)
	}
	if g := keys[1]; g.Algorithm != k1.Algorithm || string(g.Sealed) != string(k1.Sealed) || !g.Created.Equal(k1.Created) {
		t.Errorf("SigningKeys[1] = %+v; want %+v", g, k1)
	}
	if err := s.DeleteSigningKey(ctx, "k2"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteSigningKey twice", s.DeleteSigningKey(ctx, "k2"), latch.ErrNotFound)
	if keys, _ := s.SigningKeys(ctx); len(keys) != 1 || keys[0].ID != "k1" {
		t.Errorf("SigningKeys after delete = %v; want k1", keys)
	}
}

func family(id, userID string, t0 time.Time) latch.RefreshFamily {
	return latch.RefreshFamily{ID: id, UserID: userID, Name: "N", Email: "n@example.com", Image: "https://i/n.png", Provider: "credentials",
		Created: t0, LastUsed: t0, Expires: t0.Add(7 * 24 * time.Hour)}
}

func testRefreshFamilies(t *testing.T, s latch.LocalStore) {
	u := mustUser(t, s.(latch.Store), "rf@example.com")
	t0 := time.UnixMilli(1_900_000_000_500).UTC()
	f := family("fam-1", u.ID, t0)
	first := latch.RefreshToken{Hash: "h1", Family: f.ID, Created: t0}
	if err := s.CreateRefreshFamily(ctx, f, first); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "CreateRefreshFamily twice", s.CreateRefreshFamily(ctx, f, latch.RefreshToken{Hash: "h-other", Created: t0}), latch.ErrConflict)
	f2 := family("fam-2", u.ID, t0.Add(time.Minute))
	wantErr(t, "CreateRefreshFamily with a taken token hash", s.CreateRefreshFamily(ctx, f2, latch.RefreshToken{Hash: "h1", Created: t0}), latch.ErrConflict)
	if _, err := s.RefreshFamily(ctx, "fam-2"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("a family whose first token failed was kept (err %v)", err)
	}
	// Users outside the store (a credentials provider of the app's own)
	// have families too.
	if err := s.CreateRefreshFamily(ctx, family("fam-ext", "external-user", t0), latch.RefreshToken{Hash: "h-ext", Created: t0}); err != nil {
		t.Errorf("family of a user who is not in the store: %v", err)
	}

	tok, fam, err := s.RefreshToken(ctx, "h1")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Hash != "h1" || tok.Family != "fam-1" || !tok.Created.Equal(t0) || !tok.Rotated.IsZero() || tok.Successor != "" {
		t.Errorf("RefreshToken = %+v", tok)
	}
	if *fam != f {
		t.Errorf("RefreshToken family = %+v; want %+v", fam, f)
	}
	_, _, err = s.RefreshToken(ctx, "nope")
	wantErr(t, "RefreshToken(missing)", err, latch.ErrNotFound)

	later := t0.Add(time.Hour)
	if err := s.TouchRefreshFamily(ctx, "fam-1", later, later.Add(7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.RefreshFamily(ctx, "fam-1")
	if err != nil || !got.LastUsed.Equal(later) || !got.Expires.Equal(later.Add(7*24*time.Hour)) || !got.Created.Equal(t0) {
		t.Errorf("RefreshFamily after touch = %+v, %v", got, err)
	}
	wantErr(t, "TouchRefreshFamily(missing)", s.TouchRefreshFamily(ctx, "nope", later, later), latch.ErrNotFound)
	_, err = s.RefreshFamily(ctx, "nope")
	wantErr(t, "RefreshFamily(missing)", err, latch.ErrNotFound)

	f3 := family("fam-3", u.ID, t0)
	f3.LastUsed = t0.Add(2 * time.Hour)
	if err := s.CreateRefreshFamily(ctx, f3, latch.RefreshToken{Hash: "h3", Created: t0}); err != nil {
		t.Fatal(err)
	}
	list, err := s.UserRefreshFamilies(ctx, u.ID)
	if err != nil || len(list) != 2 || list[0].ID != "fam-3" || list[1].ID != "fam-1" {
		t.Errorf("UserRefreshFamilies = %+v, %v; want fam-3 (used last) then fam-1", list, err)
	}
	if list, err := s.UserRefreshFamilies(ctx, "nobody"); err != nil || len(list) != 0 {
		t.Errorf("UserRefreshFamilies(nobody) = %v, %v; want none", list, err)
	}

	if err := s.DeleteRefreshFamily(ctx, "fam-3"); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "DeleteRefreshFamily twice", s.DeleteRefreshFamily(ctx, "fam-3"), latch.ErrNotFound)
	_, _, err = s.RefreshToken(ctx, "h3")
	wantErr(t, "token of a deleted family", err, latch.ErrNotFound)

	n, err := s.DeleteExpiredRefreshFamilies(ctx, t0.Add(7*24*time.Hour+time.Minute))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredRefreshFamilies = %d, %v; want 1 (fam-ext; fam-1 was extended)", n, err)
	}
	if _, err := s.RefreshFamily(ctx, "fam-1"); err != nil {
		t.Errorf("fam-1 (not expired) after DeleteExpiredRefreshFamilies: %v", err)
	}
	n, err = s.DeleteUserRefreshFamilies(ctx, u.ID)
	if err != nil || n != 1 {
		t.Errorf("DeleteUserRefreshFamilies = %d, %v; want 1", n, err)
	}
	_, _, err = s.RefreshToken(ctx, "h1")
	wantErr(t, "token after DeleteUserRefreshFamilies", err, latch.ErrNotFound)
}

func testRefreshRotation(t *testing.T, s latch.LocalStore) {
	u := mustUser(t, s.(latch.Store), "rot@example.com")
	t0 := time.UnixMilli(1_900_000_000_000).UTC()
	if err := s.CreateRefreshFamily(ctx, family("fam", u.ID, t0), latch.RefreshToken{Hash: "a", Family: "fam", Created: t0}); err != nil {
		t.Fatal(err)
	}
	t1 := t0.Add(time.Minute)
	if err := s.RotateRefreshToken(ctx, "a", latch.RefreshToken{Hash: "b", Family: "fam", Created: t1}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "RotateRefreshToken twice", s.RotateRefreshToken(ctx, "a", latch.RefreshToken{Hash: "c", Family: "fam", Created: t1}), latch.ErrConflict)
	if _, _, err := s.RefreshToken(ctx, "c"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("a refused rotation stored its token (err %v)", err)
	}
	wantErr(t, "RotateRefreshToken(missing)", s.RotateRefreshToken(ctx, "zz", latch.RefreshToken{Hash: "d", Family: "fam", Created: t1}), latch.ErrNotFound)
	a, _, err := s.RefreshToken(ctx, "a")
	if err != nil || !a.Rotated.Equal(t1) || a.Successor != "b" {
		t.Errorf("rotated token = %+v, %v; want rotated at %v, successor b", a, err, t1)
	}
	b, fam, err := s.RefreshToken(ctx, "b")
	if err != nil || b.Family != "fam" || !b.Created.Equal(t1) || !b.Rotated.IsZero() || fam.ID != "fam" {
		t.Errorf("successor = %+v, %+v, %v", b, fam, err)
	}
	if err := s.DeleteRefreshFamily(ctx, "fam"); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"a", "b"} {
		_, _, err := s.RefreshToken(ctx, h)
		wantErr(t, "token "+h+" of a deleted family", err, latch.ErrNotFound)
	}
}

// testRefreshRotationRace rotates one token from many goroutines at
// once: exactly one wins, the others get ErrConflict.
func testRefreshRotationRace(t *testing.T, s latch.LocalStore) {
	u := mustUser(t, s.(latch.Store), "race@example.com")
	t0 := time.UnixMilli(1_900_000_000_000).UTC()
	if err := s.CreateRefreshFamily(ctx, family("fam", u.ID, t0), latch.RefreshToken{Hash: "a", Family: "fam", Created: t0}); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.RotateRefreshToken(ctx, "a", latch.RefreshToken{Hash: fmt.Sprintf("next-%d", i), Family: "fam", Created: t0.Add(time.Second)})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, latch.ErrConflict):
			t.Errorf("concurrent RotateRefreshToken: %v; want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d concurrent rotations succeeded; want 1", won)
	}
}

func testDeleteUserRefreshFamilies(t *testing.T, s latch.LocalStore) {
	u := mustUser(t, s.(latch.Store), "gone-rf@example.com")
	t0 := time.Now().UTC()
	if err := s.CreateRefreshFamily(ctx, family("fam-gone", u.ID, t0), latch.RefreshToken{Hash: "g", Family: "fam-gone", Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.(latch.Store).DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.RefreshToken(ctx, "g")
	wantErr(t, "refresh token of a deleted user", err, latch.ErrNotFound)
	_, err = s.RefreshFamily(ctx, "fam-gone")
	wantErr(t, "refresh family of a deleted user", err, latch.ErrNotFound)
}
