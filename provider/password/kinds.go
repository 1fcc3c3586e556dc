package password

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
)

// Why every check runs every kind of hash:
//
// How long a failed sign-in takes depends on the hash the account has:
// an imported bcrypt hash of cost 12 costs about ten times what the
// argon2id of a new password costs. An unknown email is checked against
// a dummy argon2id hash, so without more an attacker could tell the
// accounts with imported hashes apart, by time, from emails without one.
//
// Wrapping the imported hashes (storing argon2id(bcrypt hash)) does not
// help with this: checking a password against the wrapped hash still
// computes bcrypt first, so such accounts still cost bcrypt plus
// argon2id. Only the user's password can replace the bcrypt hash, which
// happens at their next successful sign-in.
//
// So the provider makes every check cost the same: it knows the kinds of
// hash in the store (bcrypt of a given cost, argon2id with given
// parameters) and checks each password once against each kind, the
// user's own hash for the user's kind and a dummy hash of the same kind
// and parameters for every other one. An unknown email, a user with an
// argon2id hash and one with a bcrypt hash then all run exactly the same
// computations. The price is that while imported hashes remain, every
// sign-in costs what they cost, on top of argon2id.

// A kind is what checking a password against a hash costs: the hash
// function and its cost parameters.
type kind struct {
	bcryptCost int // 0 for argon2id
	// argon2id
	memory, time uint32
	threads      uint8
}

// current is the kind of the hashes Hash writes.
var current = kind{memory: argonMemory, time: argonTime, threads: argonThreads}

func (k kind) String() string {
	if k.bcryptCost > 0 {
		return fmt.Sprintf("bcrypt cost %d", k.bcryptCost)
	}
	return fmt.Sprintf("argon2id m=%d,t=%d,p=%d", k.memory, k.time, k.threads)
}

// Bounds on the kinds every check runs. A store with hashes beyond them
// would make each sign-in cost too much; such hashes are checked for
// their own users only (so their accounts can be told apart by timing),
// and a warning says so.
const (
	maxPaddedBcryptCost  = 14        // about 1 s on one core
	maxPaddedArgonMemory = 64 * 1024 // KiB
	maxPaddedArgonTime   = 10
)

func (k kind) padded() bool {
	if k.bcryptCost > 0 {
		return k.bcryptCost <= maxPaddedBcryptCost
	}
	return k.memory <= maxPaddedArgonMemory && k.time <= maxPaddedArgonTime
}

// kindOf returns the kind of a hash Verify accepts; ok is false for
// anything else (for which Verify returns an error).
func kindOf(hash string) (k kind, ok bool) {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		h, err := parseArgon2id(hash)
		if err != nil {
			return kind{}, false
		}
		return kind{memory: h.memory, time: h.time, threads: h.threads}, true
	case strings.HasPrefix(hash, "$2"):
		if checkBcrypt(hash) != nil {
			return kind{}, false
		}
		return kindOfPrefix(hash[:7])
	}
	return kind{}, false
}

// kindOfPrefix returns the kind of a parameter prefix, as
// [HashInventory.PasswordHashParams] lists them: "$2b$12$" or
// "$argon2id$v=19$m=19456,t=2,p=1$".
func kindOfPrefix(p string) (kind, bool) {
	if rest, ok := strings.CutPrefix(p, "$argon2id$"); ok {
		version, rest, _ := strings.Cut(rest, "$")
		params, rest, ok := strings.Cut(rest, "$")
		if !ok || rest != "" {
			return kind{}, false
		}
		h, err := parseArgonParams(version, params)
		if err != nil {
			return kind{}, false
		}
		return kind{memory: h.memory, time: h.time, threads: h.threads}, true
	}
	if len(p) != 7 || !strings.HasPrefix(p, "$2") || p[3] != '$' || p[6] != '$' || !strings.ContainsRune("aby", rune(p[2])) {
		return kind{}, false
	}
	c, err := parseDecimal(strings.TrimPrefix(p[4:6], "0"))
	if err != nil || c < 4 || c > maxBcryptCost {
		return kind{}, false
	}
	return kind{bcryptCost: int(c)}, true
}

// bcryptB64 is the base64 alphabet of bcrypt hashes.
var bcryptB64 = base64.NewEncoding("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789").WithPadding(base64.NoPadding)

// dummyOf returns a hash of kind k that no password matches (in
// practice): random salt, random hash. Checking a password against it
// costs what checking against a real hash of kind k costs. The hash of
// the current kind is dummyHash's, computed once.
func dummyOf(k kind) (string, error) {
	if k == current {
		return dummyHash()
	}
	if k.bcryptCost > 0 {
		var b [16 + 23]byte // salt, hash
		rand.Read(b[:])
		return fmt.Sprintf("$2b$%02d$%s%s", k.bcryptCost, bcryptB64.EncodeToString(b[:16]), bcryptB64.EncodeToString(b[16:])), nil
	}
	h := &argonHash{memory: k.memory, time: k.time, threads: k.threads, salt: make([]byte, argonSaltLen), key: make([]byte, argonKeyLen)}
	rand.Read(h.salt)
	rand.Read(h.key)
	return h.String(), nil
}

// HashInventory is implemented by a [Store] that can list the kinds of
// password hash it holds. The provider asks at its first sign-in, then
// checks every password against each kind (see [New]); the SQLite and
// PostgreSQL stores implement it. With a store that does not, the
// provider learns the kinds as users sign in, so the first sign-in
// attempt for an account with a new kind of hash takes longer than
// those before it.
type HashInventory interface {
	// PasswordHashParams returns the distinct parameter prefixes of the
	// stored password hashes, in any order: each hash up to the "$" that
	// ends its parameters, as "$2b$12$" or
	// "$argon2id$v=19$m=19456,t=2,p=1$". Prefixes of other formats are
	// ignored. It may return an error wrapping errors.ErrUnsupported.
	PasswordHashParams(ctx context.Context) ([]string, error)
}

// kinds is the set of kinds every check runs, with a dummy hash of each.
type kinds struct {
	store Store
	log   *slog.Logger

	mu       sync.Mutex
	listed   bool     // the store's inventory was read (or it has none)
	list     []kind   // never modified: replaced when a kind is added
	dummies  []string // dummies[i] is a hash of kind list[i]
	unpadded []kind   // kinds seen beyond the bounds, warned about
}

func newKinds(store Store, log *slog.Logger) *kinds {
	return &kinds{store: store, log: log}
}

// forCheck returns the kinds a check of a hash of kind own (ok false: no
// hash) must run, and their dummy hashes. It reads the store's inventory
// the first time, and adds own when it is new.
func (ks *kinds) forCheck(ctx context.Context, own kind, ok bool) ([]kind, []string, error) {
	ks.mu.Lock()
	defer ks.mu.Unlock()
	if ks.list == nil {
		d, err := dummyOf(current)
		if err != nil {
			return nil, nil, err
		}
		ks.list, ks.dummies = []kind{current}, []string{d}
	}
	if !ks.listed {
		ks.readInventory(ctx)
	}
	if ok {
		ks.add(own, "a user's stored hash")
	}
	return ks.list, ks.dummies, nil
}

// readInventory adds the kinds the store holds. On failure it logs and
// leaves ks.listed false, to try again at the next sign-in.
func (ks *kinds) readInventory(ctx context.Context) {
	inv, ok := ks.store.(HashInventory)
	if !ok {
		ks.listed = true
		return
	}
	prefixes, err := inv.PasswordHashParams(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		ks.listed = true
		return
	}
	if err != nil {
		ks.log.Error("password: list the kinds of stored hashes", "err", err)
		return
	}
	ks.listed = true
	slices.Sort(prefixes)
	for _, p := range prefixes {
		if k, ok := kindOfPrefix(p); ok {
			ks.add(k, "the store's hashes")
		}
	}
}

// add adds k to the kinds every check runs, unless it is there or beyond
// the bounds. ks.mu is held.
func (ks *kinds) add(k kind, from string) {
	if slices.Contains(ks.list, k) || slices.Contains(ks.unpadded, k) {
		return
	}
	if !k.padded() {
		ks.unpadded = append(ks.unpadded, k)
		ks.log.Warn("password: some stored hashes are too costly to check at every sign-in; sign-ins of their users take longer than others, which tells that these accounts exist",
			"kind", k.String(), "from", from)
		return
	}
	d, err := dummyOf(k)
	if err != nil {
		ks.log.Error("password: dummy hash", "kind", k.String(), "err", err)
		return
	}
	ks.list = append(slices.Clip(ks.list), k)
	ks.dummies = append(slices.Clip(ks.dummies), d)
	if k != current {
		ks.log.Warn("password: every sign-in now also checks a hash of this kind, so that its users cannot be told apart by timing; it stops at the next start once no stored hash is of this kind (they are replaced at each user's next sign-in)",
			"kind", k.String(), "from", from)
	}
}
