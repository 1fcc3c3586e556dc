package password

import (
	"strings"
	"testing"
)

// FuzzVerify feeds arbitrary strings to the hash parsers. Verify must
// never panic, and must either fail with an error or give a consistent
// answer. Only hashes that are cheap to check are run in full.
//
// Minimizing long inputs can take the engine's whole default minute;
// -fuzzminimizetime=5s keeps a run moving.
func FuzzVerify(f *testing.F) {
	seeds := []string{
		"",
		"$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
		"$argon2id$v=19$m=64,t=1,p=1$MDEyMzQ1Njc4OWFiY2RlZg$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"$argon2id$v=19$m=8,t=1,p=1$c29tZXNhbHQ$AAAAAA",
		"$argon2id$v=19$m=4294967295,t=4294967295,p=255$c29tZXNhbHQ$AAAAAA",
		"$argon2id$m=65536,t=2,p=1$c29tZXNhbHQ$AAAAAA",
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$AAAAAA",
		"$2a$04$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$2y$31$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"$2$",
		"$$$$$",
	}
	for _, s := range seeds {
		f.Add(s, "password")
	}
	f.Fuzz(func(t *testing.T, hash, password string) {
		if !cheap(hash) {
			return
		}
		ok, rehash, err := Verify(hash, password)
		if err != nil && (ok || rehash) {
			t.Errorf("Verify(%q): got (%v, %v, %v); want no result with an error", hash, ok, rehash, err)
		}
		if rehash && !ok {
			t.Errorf("Verify(%q): got needsRehash for a wrong password", hash)
		}
	})
}

// cheap parses hash (exercising the parsers on every input) and reports
// whether checking a password against it is fast enough to fuzz.
func cheap(hash string) bool {
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		h, err := parseArgon2id(hash)
		return err != nil || uint64(h.memory)*uint64(h.time) <= 256
	case strings.HasPrefix(hash, "$2"):
		if checkBcrypt(hash) != nil {
			return true
		}
		return hash[4:6] == "04"
	}
	return true
}
