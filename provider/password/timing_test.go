package password

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// inventoryStore is a memStore that lists its kinds of hash, as the SQL
// stores do.
type inventoryStore struct {
	*memStore
	listed int
}

func (s *inventoryStore) PasswordHashParams(context.Context) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.listed++
	var out []string
	for _, h := range s.hashes {
		p := h[:7]
		if strings.HasPrefix(h, "$argon2id$") {
			i := strings.Index(h[15:], "$")
			p = h[:15+i+1]
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// params returns the part of a hash that sets what checking it costs:
// "$2b$12$", "$argon2id$v=19$m=19456,t=2,p=1$" (the bcrypt variant
// letter aside, which costs nothing).
func params(h string) string {
	if strings.HasPrefix(h, "$argon2id$") {
		if i := strings.Index(h[15:], "$"); i >= 0 {
			return h[:15+i+1]
		}
	}
	if len(h) >= 7 && strings.HasPrefix(h, "$2") {
		return "$2*" + h[3:7]
	}
	return h
}

// recorder wraps a's verify and records, per sign-in, the parameters of
// the hashes it verified and how many were the user's own. It keeps the
// checks cheap: the dummy hash of the current parameters is replaced by
// a cheap one, and bcrypt hashes above cost 4 are not computed.
type recorder struct {
	mu     sync.Mutex
	params []string
	own    int
	user   string // the user's stored hash
}

func record(a *authorizer) *recorder {
	fastDummy(a)
	verify := a.verify
	r := &recorder{}
	a.verify = func(h, pw string) (bool, bool, error) {
		r.mu.Lock()
		r.params = append(r.params, params(h))
		if h == r.user {
			r.own++
		}
		r.mu.Unlock()
		if strings.HasPrefix(h, "$2") && !strings.HasPrefix(h[3:], "$04$") {
			return false, false, nil
		}
		return verify(h, pw)
	}
	return r
}

// signIn runs one sign-in and returns the parameters verified, sorted,
// and how many verifications used hash (the user's stored hash, or "").
func (r *recorder) signIn(t *testing.T, a *authorizer, email, pw, hash string) ([]string, int) {
	t.Helper()
	r.mu.Lock()
	r.params, r.own, r.user = nil, 0, hash
	r.mu.Unlock()
	if _, err := a.authorize(context.Background(), creds(email, pw), nil); err != nil {
		t.Fatalf("authorize(%s): %v", email, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	got := slices.Clone(r.params)
	slices.Sort(got)
	return got, r.own
}

// TestEverySignInRunsTheSameChecks is the timing defence as a structural
// property: an unknown email, a user without a password, a user with an
// argon2id hash and one with an imported bcrypt hash, with a wrong
// password or the right one, all run exactly one check of each kind of
// hash the store holds, with the same parameters; a known user's own
// hash is one of them.
func TestEverySignInRunsTheSameChecks(t *testing.T) {
	argonHash := cheapHash("right") // argon2id, m=64,t=1,p=1
	bcryptHash := bcryptHash(t, "right", bcrypt.MinCost)
	store := &inventoryStore{memStore: newMemStore()}
	store.add("u1", "argon@example.com", argonHash)
	store.add("u2", "bcrypt@example.com", bcryptHash)
	store.add("u3", "nopass@example.com", "")
	a := newAuthorizer(store, Options{MaxFailuresPerAccountIP: -1, MaxFailuresPerAccount: -1, MaxFailuresPerIP: -1})
	a.hash = func(string) (string, error) { return cheapHash("right"), nil } // the upgrade
	r := record(a)
	// One check of each: the imported bcrypt hashes, the argon2id ones,
	// and the argon2id of new passwords (unknown emails are checked
	// against a dummy of those).
	want := []string{"$2*$04$", "$argon2id$v=19$m=19456,t=2,p=1$", "$argon2id$v=19$m=64,t=1,p=1$"}

	tests := []struct {
		name, email, pw, hash string
	}{
		// First: the store's kinds are known before any user of them
		// signs in.
		{"unknown email", "nobody@example.com", "wrong", ""},
		{"no password", "nopass@example.com", "wrong", ""},
		{"argon2id, wrong password", "argon@example.com", "wrong", argonHash},
		{"bcrypt, wrong password", "bcrypt@example.com", "wrong", bcryptHash},
		{"unknown email again", "nobody@example.com", "right", ""},
		{"bcrypt, right password", "bcrypt@example.com", "right", bcryptHash},
		{"argon2id, right password", "argon@example.com", "right", argonHash},
	}
	for _, tt := range tests {
		got, own := r.signIn(t, a, tt.email, tt.pw, tt.hash)
		if !slices.Equal(got, want) {
			t.Errorf("%s: verified %v; want one of each: %v", tt.name, got, want)
		}
		if wantOwn := min(len(tt.hash), 1); own != wantOwn {
			t.Errorf("%s: verified the user's own hash %d times; want %d", tt.name, own, wantOwn)
		}
	}
	if store.listed != 1 {
		t.Errorf("store inventory read %d times; want once", store.listed)
	}
	// The bcrypt user signed in: the hash is now argon2id.
	if h := store.hash("u2"); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("bcrypt user's hash after sign-in: %q; want argon2id", h)
	}
}
