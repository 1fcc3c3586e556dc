package password

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
	"golang.org/x/crypto/bcrypt"
)

// TestKindsLearnedWithoutInventory: with a store that cannot list its
// hashes, a kind joins every check from the first sign-in of a user who
// has it on.
func TestKindsLearnedWithoutInventory(t *testing.T) {
	store := newMemStore()
	bcryptHash := bcryptHash(t, "right", bcrypt.MinCost)
	store.add("u1", "bcrypt@example.com", bcryptHash)
	a := newAuthorizer(store, Options{MaxFailuresPerAccountIP: -1, MaxFailuresPerAccount: -1, MaxFailuresPerIP: -1})
	r := record(a)
	cur := "$argon2id$v=19$m=19456,t=2,p=1$"
	if got, _ := r.signIn(t, a, "nobody@example.com", "wrong", ""); !slices.Equal(got, []string{cur}) {
		t.Errorf("before any bcrypt user: verified %q; want %q", got, cur)
	}
	for _, email := range []string{"bcrypt@example.com", "nobody@example.com"} {
		got, _ := r.signIn(t, a, email, "wrong", bcryptHash)
		if want := []string{"$2*$04$", cur}; !slices.Equal(got, want) {
			t.Errorf("%s after the bcrypt user: verified %q; want %q", email, got, want)
		}
	}
}

// TestCostlyKindsAreNotRunForEveryone: a kind beyond the bounds is
// checked for its own users only, and logged.
func TestCostlyKindsAreNotRunForEveryone(t *testing.T) {
	costly := kind{bcryptCost: maxPaddedBcryptCost + 1}
	h, _ := dummyOf(costly)
	store := &inventoryStore{memStore: newMemStore()}
	store.add("u1", "slow@example.com", h)
	var logs strings.Builder
	a := newAuthorizer(store, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	r := record(a)
	if got, own := r.signIn(t, a, "slow@example.com", "wrong", h); !slices.Contains(got, params(h)) || own != 1 {
		t.Errorf("own user: verified %q (own %d); want the costly hash checked", got, own)
	}
	if got, _ := r.signIn(t, a, "nobody@example.com", "wrong", ""); !slices.Equal(got, []string{"$argon2id$v=19$m=19456,t=2,p=1$"}) {
		t.Errorf("unknown email: verified %q; want the current argon2id only", got)
	}
	if !strings.Contains(logs.String(), costly.String()) {
		t.Errorf("log %q does not name %v", logs.String(), costly)
	}
}

func TestKindOfPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		want   kind
		ok     bool
	}{
		{"$2b$12$", kind{bcryptCost: 12}, true},
		{"$2a$04$", kind{bcryptCost: 4}, true},
		{"$2y$18$", kind{bcryptCost: 18}, true},
		{"$2y$19$", kind{}, false},
		{"$2x$10$", kind{}, false},
		{"$2b$1$", kind{}, false},
		{"$argon2id$v=19$m=19456,t=2,p=1$", current, true},
		{"$argon2id$v=19$m=65536,t=3,p=4$", kind{memory: 65536, time: 3, threads: 4}, true},
		{"$argon2id$v=19$m=19456,t=2,p=1", kind{}, false},
		{"$argon2id$v=16$m=19456,t=2,p=1$", kind{}, false},
		{"$argon2i$v=19$m=19456,t=2,p=1$", kind{}, false},
		{"$argon2id$v=19$m=2000000,t=2,p=1$", kind{}, false},
		{"$pbkdf2-sha256$", kind{}, false},
		{"", kind{}, false},
	}
	for _, tt := range tests {
		if got, ok := kindOfPrefix(tt.prefix); got != tt.want || ok != tt.ok {
			t.Errorf("kindOfPrefix(%q) = %v, %v; want %v, %v", tt.prefix, got, ok, tt.want, tt.ok)
		}
	}
}

// TestDummyOf: a dummy hash is a well-formed hash of its kind, different
// each time, that the password it is checked with does not match.
func TestDummyOf(t *testing.T) {
	ks := []kind{current, {memory: 64, time: 1, threads: 1}, {memory: 1024, time: 3, threads: 4}}
	for c := bcrypt.MinCost; c <= maxBcryptCost; c++ {
		ks = append(ks, kind{bcryptCost: c})
	}
	for _, k := range ks {
		h, err := dummyOf(k)
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := kindOf(h); !ok || got != k {
			t.Errorf("dummyOf(%v) = %q of kind %v, %v", k, h, got, ok)
		}
		if k != current {
			if h2, _ := dummyOf(k); h2 == h {
				t.Errorf("dummyOf(%v) twice: the same hash", k)
			}
		}
		if k.bcryptCost > bcrypt.MinCost || k.memory > 1024 {
			continue
		}
		if ok, _, err := Verify(h, "password"); ok || err != nil {
			t.Errorf("Verify(dummyOf(%v)): %v, %v; want a mismatch", k, ok, err)
		}
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[kind]string{current: "argon2id m=19456,t=2,p=1", {bcryptCost: 12}: "bcrypt cost 12"} {
		if got := fmt.Sprint(k); got != want {
			t.Errorf("%#v: %q; want %q", k, got, want)
		}
	}
}

// The stores that list their kinds of hash.
var (
	_ HashInventory = (*sqlite.Store)(nil)
	_ HashInventory = (*postgres.Store)(nil)
	_ HashInventory = (*redis.Store)(nil)
)

// TestSQLiteInventory: with the SQLite store, the first sign-in, of an
// unknown email, already checks the imported bcrypt kind.
func TestSQLiteInventory(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "imported@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetPasswordHash(ctx, u.ID, bcryptHash(t, "right", bcrypt.MinCost)); err != nil {
		t.Fatal(err)
	}
	a := newAuthorizer(s, Options{})
	r := record(a)
	got, _ := r.signIn(t, a, "nobody@example.com", "wrong", "")
	if want := []string{"$2*$04$", "$argon2id$v=19$m=19456,t=2,p=1$"}; !slices.Equal(got, want) {
		t.Errorf("unknown email: verified %q; want %q", got, want)
	}
}
