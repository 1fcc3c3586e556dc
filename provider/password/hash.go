package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// The parameters of new hashes: the OWASP minimum for argon2id.
const (
	argonMemory  = 19 * 1024 // KiB
	argonTime    = 2
	argonThreads = 1
	argonSaltLen = 16
	argonKeyLen  = 32
)

// Bounds on the parameters Verify accepts. A stored hash above them would
// cost too much memory or time to check (or is garbage); below them it is
// not valid argon2.
const (
	maxArgonMemory  = 1 << 20 // KiB: 1 GiB
	maxArgonTime    = 20
	maxArgonThreads = 16
	minArgonSaltLen = 8
	maxArgonSaltLen = 512
	minArgonKeyLen  = 4
	maxArgonKeyLen  = 512
	maxBcryptCost   = 18 // 2^18 rounds: about 20 seconds on one core
	maxHashLen      = 2048
)

// ErrMalformedHash is wrapped by the errors Verify returns for a hash it
// cannot parse or whose parameters are out of bounds.
var ErrMalformedHash = errors.New("password: malformed hash")

// ErrUnsupportedHash is wrapped by the errors Verify returns for a
// well-formed hash of an algorithm or version it does not verify (argon2i,
// argon2d, argon2 version 0x10, ...).
var ErrUnsupportedHash = errors.New("password: unsupported hash")

var b64 = base64.RawStdEncoding.Strict()

// Hash returns the argon2id hash of password in PHC string format, with a
// random 16-byte salt and the OWASP minimum parameters:
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// salt and hash are in unpadded standard base64, as the reference
// implementation writes them. The error is non-nil only when the system's
// random source fails.
func Hash(password string) (string, error) {
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	h := &argonHash{memory: argonMemory, time: argonTime, threads: argonThreads, salt: salt}
	h.key = h.derive(password, argonKeyLen)
	return h.String(), nil
}

// Verify reports whether password matches hash, an argon2id hash in PHC
// string format (any parameters within bounds) or a bcrypt hash ($2a$,
// $2b$ or $2y$). needsRehash is true when the password matches but the
// hash is bcrypt, or argon2id weaker than what [Hash] produces (less
// memory, fewer passes, shorter salt or key): the caller should store a
// new [Hash] of the password.
//
// A wrong password is ok == false with a nil error. An error means the
// hash could not be checked: it wraps [ErrMalformedHash] or
// [ErrUnsupportedHash]. Verify rejects parameters that would be too
// expensive to check (more than 1 GiB of memory, more than 20 passes or
// 16 lanes, bcrypt cost above 18) instead of running them. The comparison
// is constant-time.
func Verify(hash, password string) (ok, needsRehash bool, err error) {
	if len(hash) > maxHashLen {
		return false, false, fmt.Errorf("%w: longer than %d bytes", ErrMalformedHash, maxHashLen)
	}
	for i := 0; i < len(hash); i++ {
		if c := hash[i]; c <= ' ' || c > '~' {
			return false, false, fmt.Errorf("%w: byte %#02x at %d", ErrMalformedHash, c, i)
		}
	}
	switch {
	case strings.HasPrefix(hash, "$argon2id$"):
		h, err := parseArgon2id(hash)
		if err != nil {
			return false, false, err
		}
		got := h.derive(password, uint32(len(h.key)))
		if subtle.ConstantTimeCompare(got, h.key) != 1 {
			return false, false, nil
		}
		return true, h.weak(), nil
	case strings.HasPrefix(hash, "$argon2"):
		alg, _, _ := strings.Cut(hash[1:], "$")
		return false, false, fmt.Errorf("%w: %s", ErrUnsupportedHash, alg)
	case strings.HasPrefix(hash, "$2"):
		if err := checkBcrypt(hash); err != nil {
			return false, false, err
		}
		switch err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)); {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("%w: bcrypt: %v", ErrMalformedHash, err)
		}
	default:
		return false, false, fmt.Errorf("%w: unknown format", ErrMalformedHash)
	}
}

// argonHash is a parsed argon2id hash.
type argonHash struct {
	memory    uint32 // KiB
	time      uint32
	threads   uint8
	salt, key []byte
}

func (h *argonHash) derive(password string, keyLen uint32) []byte {
	return argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, keyLen)
}

// String returns h in PHC string format.
func (h *argonHash) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, h.memory, h.time, h.threads, b64.EncodeToString(h.salt), b64.EncodeToString(h.key))
}

// weak reports whether h is weaker than what Hash produces.
func (h *argonHash) weak() bool {
	return h.memory < argonMemory || h.time < argonTime ||
		len(h.salt) < argonSaltLen || len(h.key) < argonKeyLen
}

// parseArgon2id parses "$argon2id$v=19$m=M,t=T,p=P$SALT$HASH", strictly:
// the parameters in the reference implementation's order, decimal without
// sign or leading zeros, base64 without padding or stray bits.
func parseArgon2id(s string) (*argonHash, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: argon2id: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		if len(parts) == 5 && strings.HasPrefix(parts[2], "m=") {
			return nil, fmt.Errorf("%w: argon2id version 0x10", ErrUnsupportedHash)
		}
		return nil, bad("want 5 fields separated by $")
	}
	h, err := parseArgonParams(parts[2], parts[3])
	if err != nil {
		return nil, err
	}

	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return nil, bad("salt: %v", err)
	}
	if len(salt) < minArgonSaltLen || len(salt) > maxArgonSaltLen {
		return nil, bad("salt of %d bytes not in [%d, %d]", len(salt), minArgonSaltLen, maxArgonSaltLen)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil {
		return nil, bad("hash: %v", err)
	}
	if len(key) < minArgonKeyLen || len(key) > maxArgonKeyLen {
		return nil, bad("hash of %d bytes not in [%d, %d]", len(key), minArgonKeyLen, maxArgonKeyLen)
	}
	h.salt, h.key = salt, key
	return h, nil
}

// parseArgonParams parses the version ("v=19") and parameter
// ("m=M,t=T,p=P") fields of an argon2id hash into an argonHash without
// salt or key.
func parseArgonParams(version, params string) (*argonHash, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: argon2id: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	v, ok := strings.CutPrefix(version, "v=")
	if !ok {
		return nil, bad("no version")
	}
	n, err := parseDecimal(v)
	if err != nil {
		return nil, bad("version: %v", err)
	}
	if n != argon2.Version {
		return nil, fmt.Errorf("%w: argon2id version %d", ErrUnsupportedHash, n)
	}
	fields := strings.Split(params, ",")
	if len(fields) != 3 {
		return nil, bad("want parameters m, t and p")
	}
	var values [3]uint32
	for i, name := range []string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return nil, bad("parameter %d: want %s", i+1, name)
		}
		if values[i], err = parseDecimal(v); err != nil {
			return nil, bad("parameter %s %v", name, err)
		}
	}
	m, t, p := values[0], values[1], values[2]
	switch {
	case p < 1 || p > maxArgonThreads:
		return nil, bad("p=%d not in [1, %d]", p, maxArgonThreads)
	case t < 1 || t > maxArgonTime:
		return nil, bad("t=%d not in [1, %d]", t, maxArgonTime)
	case m < 8*p || m > maxArgonMemory:
		return nil, bad("m=%d not in [8*p, %d]", m, maxArgonMemory)
	}
	return &argonHash{memory: m, time: t, threads: uint8(p)}, nil
}

// parseDecimal parses a PHC decimal: ASCII digits, no sign, no leading
// zero, at most 2^32-1.
func parseDecimal(s string) (uint32, error) {
	if s == "" {
		return 0, errors.New("empty number")
	}
	if len(s) > 1 && s[0] == '0' {
		return 0, fmt.Errorf("leading zero in %q", s)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("not a decimal: %q", s)
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("out of range: %q", s)
	}
	return uint32(n), nil
}

// checkBcrypt checks the shape of a bcrypt hash, "$2b$CC$" then 22
// characters of salt and 31 of hash in bcrypt's base64 alphabet, and that
// its cost is within bounds.
func checkBcrypt(s string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: bcrypt: "+format, append([]any{ErrMalformedHash}, args...)...)
	}
	if len(s) < 4 || s[3] != '$' || (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') {
		return fmt.Errorf("%w: bcrypt variant %q", ErrUnsupportedHash, s[:min(len(s), 4)])
	}
	if len(s) != 60 || s[6] != '$' {
		return bad("want $2x$CC$ and 53 characters")
	}
	c, err := parseDecimal(strings.TrimPrefix(s[4:6], "0"))
	if err != nil {
		return bad("cost: %v", err)
	}
	if cost := int(c); cost < bcrypt.MinCost || cost > maxBcryptCost {
		return bad("cost %d not in [%d, %d]", c, bcrypt.MinCost, maxBcryptCost)
	}
	for i := 7; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return bad("character %q at %d", c, i)
		}
	}
	return nil
}
