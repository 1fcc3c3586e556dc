package password

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// phc builds an argon2id PHC string with explicit parameters.
func phc(password, salt string, m, t uint32, p uint8, keyLen uint32) string {
	key := argon2.IDKey([]byte(password), []byte(salt), t, m, p, keyLen)
	e := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p, e.EncodeToString([]byte(salt)), e.EncodeToString(key))
}

func TestHashFormat(t *testing.T) {
	h, err := Hash("correct horse battery staple")
	if err != nil {
		t.Fatalf("Hash: got error %v; want nil", err)
	}
	const prefix = "$argon2id$v=19$m=19456,t=2,p=1$"
	if !strings.HasPrefix(h, prefix) {
		t.Fatalf("Hash: got %q; want prefix %q", h, prefix)
	}
	fields := strings.Split(strings.TrimPrefix(h, prefix), "$")
	if len(fields) != 2 {
		t.Fatalf("Hash: got %d fields after the parameters; want 2 (salt, key)", len(fields))
	}
	for i, want := range []int{16, 32} {
		b, err := base64.RawStdEncoding.DecodeString(fields[i])
		if err != nil || len(b) != want {
			t.Errorf("Hash field %d: got %d bytes (err %v); want %d", i, len(b), err, want)
		}
	}
	h2, _ := Hash("correct horse battery staple")
	if h2 == h {
		t.Errorf("Hash twice: got the same string %q; want different salts", h)
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "hunter2"},
		{"empty", ""},
		{"unicode", "pässwörd 密码 🔑"},
		{"long", strings.Repeat("x", 1000)},
		{"nul byte", "a\x00b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := Hash(tt.password)
			if err != nil {
				t.Fatalf("Hash: got error %v; want nil", err)
			}
			ok, rehash, err := Verify(h, tt.password)
			if !ok || rehash || err != nil {
				t.Errorf("Verify(right password): got (%v, %v, %v); want (true, false, nil)", ok, rehash, err)
			}
			ok, rehash, err = Verify(h, tt.password+"!")
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password): got (%v, %v, %v); want (false, false, nil)", ok, rehash, err)
			}
		})
	}
}

// TestVerifyReferenceVector checks the argon2id test vector of the
// reference implementation (phc-winner-argon2, src/test.c): "password"
// with salt "somesalt", t=2, m=65536, p=1.
func TestVerifyReferenceVector(t *testing.T) {
	const vector = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if got := phc("password", "somesalt", 65536, 2, 1, 32); got != vector {
		t.Errorf("argon2.IDKey encoded: got %q; want %q", got, vector)
	}
	tests := []struct {
		password   string
		wantOK     bool
		wantRehash bool
	}{
		{"password", true, true}, // the 8-byte salt is below the current 16
		{"Password", false, false},
		{"", false, false},
	}
	for _, tt := range tests {
		ok, rehash, err := Verify(vector, tt.password)
		if ok != tt.wantOK || rehash != tt.wantRehash || err != nil {
			t.Errorf("Verify(vector, %q): got (%v, %v, %v); want (%v, %v, nil)", tt.password, ok, rehash, err, tt.wantOK, tt.wantRehash)
		}
	}
}

func TestVerifyExplicitParams(t *testing.T) {
	h := phc("s3cret", "0123456789abcdef", 32768, 3, 2, 32)
	ok, rehash, err := Verify(h, "s3cret")
	if !ok || rehash || err != nil {
		t.Errorf("Verify(%q): got (%v, %v, %v); want (true, false, nil)", h, ok, rehash, err)
	}
}

func TestVerifyBcrypt(t *testing.T) {
	b, err := bcrypt.GenerateFromPassword([]byte("hunter2"), 10)
	if err != nil {
		t.Fatal(err)
	}
	h := string(b)
	// The variants differ only in name; a cheap cost keeps the test fast.
	h4 := bcryptHash(t, "hunter2", bcrypt.MinCost)
	tests := []struct {
		name       string
		hash       string
		password   string
		wantOK     bool
		wantRehash bool
	}{
		{"2a cost 10 right", h, "hunter2", true, true},
		{"2a cost 10 wrong", h, "hunter3", false, false},
		{"2b right", "$2b$" + h4[4:], "hunter2", true, true},
		{"2y right", "$2y$" + h4[4:], "hunter2", true, true},
		{"2y wrong", "$2y$" + h4[4:], "", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := Verify(tt.hash, tt.password)
			if ok != tt.wantOK || rehash != tt.wantRehash || err != nil {
				t.Errorf("Verify: got (%v, %v, %v); want (%v, %v, nil)", ok, rehash, err, tt.wantOK, tt.wantRehash)
			}
		})
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	const pw = "pw"
	salt16 := "0123456789abcdef"
	tests := []struct {
		name string
		hash string
		want bool
	}{
		{"current", phc(pw, salt16, 19456, 2, 1, 32), false},
		{"stronger", phc(pw, salt16, 65536, 3, 4, 32), false},
		{"longer key", phc(pw, salt16, 19456, 2, 1, 64), false},
		{"less memory", phc(pw, salt16, 4096, 2, 1, 32), true},
		{"one pass", phc(pw, salt16, 19456, 1, 1, 32), true},
		{"more memory but one pass", phc(pw, salt16, 47104, 1, 1, 32), true},
		{"short key", phc(pw, salt16, 19456, 2, 1, 16), true},
		{"short salt", phc(pw, "saltsalt", 19456, 2, 1, 32), true},
		{"bcrypt", bcryptHash(t, pw, bcrypt.MinCost), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := Verify(tt.hash, pw)
			if !ok || err != nil {
				t.Fatalf("Verify: got (%v, %v); want (true, nil)", ok, err)
			}
			if rehash != tt.want {
				t.Errorf("Verify needsRehash: got %v; want %v", rehash, tt.want)
			}
		})
	}
}

func bcryptHash(t testing.TB, pw string, cost int) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestVerifyMalformed(t *testing.T) {
	const (
		salt = "c29tZXNhbHQ"                                 // "somesalt"
		key  = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc" // 32 bytes
		bc   = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy"
	)
	tests := []struct {
		name        string
		hash        string
		unsupported bool // ErrUnsupportedHash rather than ErrMalformedHash
	}{
		{"empty", "", false},
		{"plain text", "hunter2", false},
		{"dollar", "$", false},
		{"argon2id prefix only", "$argon2id$", false},
		{"argon2i", "$argon2i$v=19$m=65536,t=2,p=1$" + salt + "$" + key, true},
		{"argon2d", "$argon2d$v=19$m=65536,t=2,p=1$" + salt + "$" + key, true},
		{"version 16", "$argon2id$v=16$m=65536,t=2,p=1$" + salt + "$" + key, true},
		{"no version", "$argon2id$m=65536,t=2,p=1$" + salt + "$" + key, true},
		{"bad version", "$argon2id$v=x$m=65536,t=2,p=1$" + salt + "$" + key, false},
		{"missing p", "$argon2id$v=19$m=65536,t=2$" + salt + "$" + key, false},
		{"params out of order", "$argon2id$v=19$t=2,m=65536,p=1$" + salt + "$" + key, false},
		{"extra param", "$argon2id$v=19$m=65536,t=2,p=1,keyid=abc$" + salt + "$" + key, false},
		{"m not a number", "$argon2id$v=19$m=abc,t=2,p=1$" + salt + "$" + key, false},
		{"m negative", "$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key, false},
		{"m with sign", "$argon2id$v=19$m=+65536,t=2,p=1$" + salt + "$" + key, false},
		{"m leading zero", "$argon2id$v=19$m=065536,t=2,p=1$" + salt + "$" + key, false},
		{"m overflow", "$argon2id$v=19$m=99999999999999999999,t=2,p=1$" + salt + "$" + key, false},
		{"m empty", "$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key, false},
		{"m below 8p", "$argon2id$v=19$m=31,t=2,p=4$" + salt + "$" + key, false},
		{"m above 1 GiB", "$argon2id$v=19$m=1048577,t=2,p=1$" + salt + "$" + key, false},
		{"m 4 GiB", "$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key, false},
		{"t zero", "$argon2id$v=19$m=65536,t=0,p=1$" + salt + "$" + key, false},
		{"t above 20", "$argon2id$v=19$m=65536,t=21,p=1$" + salt + "$" + key, false},
		{"p zero", "$argon2id$v=19$m=65536,t=2,p=0$" + salt + "$" + key, false},
		{"p above 16", "$argon2id$v=19$m=65536,t=2,p=17$" + salt + "$" + key, false},
		{"p 256", "$argon2id$v=19$m=65536,t=2,p=256$" + salt + "$" + key, false},
		{"salt not base64", "$argon2id$v=19$m=65536,t=2,p=1$!!!!!!!!!!!$" + key, false},
		{"salt padded", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "=$" + key, false},
		{"salt stray bits", "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHR$" + key, false},
		{"salt too short", "$argon2id$v=19$m=65536,t=2,p=1$c29tZQ$" + key, false},
		{"salt with newline", "$argon2id$v=19$m=65536,t=2,p=1$c29tZX\nNhbHQ$" + key, false},
		{"empty salt", "$argon2id$v=19$m=65536,t=2,p=1$$" + key, false},
		{"empty key", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$", false},
		{"key too short", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$AAAA", false},
		{"url-safe base64", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$-" + key[1:], false},
		{"extra field", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key + "$", false},
		{"no leading dollar", "argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key, false},
		{"trailing space", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key + " ", false},
		{"huge", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + strings.Repeat("A", 5000), false},
		{"bcrypt too short", "$2a$10$abc", false},
		{"bcrypt too long", bc + "x", false},
		{"bcrypt bad cost", "$2a$1x" + bc[6:], false},
		{"bcrypt cost 3", "$2a$03" + bc[6:], false},
		{"bcrypt cost 31", "$2a$31" + bc[6:], false},
		{"bcrypt no separator", "$2a$10x" + bc[7:], false},
		{"bcrypt bad character", bc[:20] + "!" + bc[21:], false},
		{"bcrypt 2x", "$2x$" + bc[4:], true},
		{"bcrypt 2", "$2$10$" + bc[7:], true},
		{"bcrypt prefix only", "$2a$", false},
		{"unknown scheme", "$scrypt$ln=16,r=8,p=1$c29tZXNhbHQ$" + key, false},
		{"non-ascii", "$argon2id$v=19$m=65536,t=2,p=1$" + salt + "$" + key + "é", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			ok, rehash, err := Verify(tt.hash, "password")
			if err == nil || ok || rehash {
				t.Fatalf("Verify(%q): got (%v, %v, %v); want (false, false, error)", tt.hash, ok, rehash, err)
			}
			want := ErrMalformedHash
			if tt.unsupported {
				want = ErrUnsupportedHash
			}
			if !errors.Is(err, want) {
				t.Errorf("Verify(%q): got error %v; want one wrapping %v", tt.hash, err, want)
			}
			if d := time.Since(start); d > 100*time.Millisecond {
				t.Errorf("Verify(%q): took %v; want a fast rejection", tt.hash, d)
			}
		})
	}
}

// TestVerifyBcryptLongPassword: bcrypt uses the first 72 bytes, so a hash
// made elsewhere from a longer password verifies with the same password.
func TestVerifyBcryptLongPassword(t *testing.T) {
	long := strings.Repeat("p", 72)
	h := bcryptHash(t, long, bcrypt.MinCost)
	tests := []struct {
		password string
		want     bool
	}{
		{long, true},
		{long + "ignored", true},
		{long[:71], false},
	}
	for _, tt := range tests {
		ok, _, err := Verify(h, tt.password)
		if ok != tt.want || err != nil {
			t.Errorf("Verify(password of %d bytes): got (%v, %v); want (%v, nil)", len(tt.password), ok, err, tt.want)
		}
	}
}
