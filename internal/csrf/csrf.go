// Package csrf implements NextAuth's signed double-submit CSRF token: the
// cookie holds "TOKEN|HASH" where TOKEN is 32 random bytes in lower-case hex
// and HASH = hex(SHA-256(TOKEN + secret)); a POST is genuine when the cookie
// verifies and the body's csrfToken equals TOKEN.
package csrf

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// New returns a fresh token and the cookie value that carries it, signed
// with secret.
func New(secret string) (token, cookieValue string) {
	var b [32]byte
	rand.Read(b[:])
	token = hex.EncodeToString(b[:])
	return token, token + "|" + Hash(token, secret)
}

// Hash is hex(SHA-256(token + secret)).
func Hash(token, secret string) string {
	sum := sha256.Sum256([]byte(token + secret))
	return hex.EncodeToString(sum[:])
}

// Verify checks a cookie value against each secret and returns its token
// when one of them signed it. It runs on every request to the API, so it
// works in buffers on the stack.
//
// The value may be as the cookie carries it, its "|" percent-encoded
// ("%7C"), which saves decoding it on every request.
func Verify(cookieValue string, secrets []string) (token string, ok bool) {
	token, hash, found := strings.Cut(cookieValue, "|")
	if !found && len(cookieValue) == 64+3+64 && cookieValue[64] == '%' && cookieValue[65] == '7' && (cookieValue[66] == 'C' || cookieValue[66] == 'c') {
		token, hash, found = cookieValue[:64], cookieValue[67:], true
	}
	if !found || len(token) != 64 || len(hash) != 64 || strings.Contains(token, "%") || strings.Contains(hash, "%") {
		return "", false
	}
	var buf [256]byte
	for _, s := range secrets {
		in := append(append(buf[:0], token...), s...)
		sum := sha256.Sum256(in)
		var want [64]byte
		hex.Encode(want[:], sum[:])
		// Constant time: every byte is compared whatever the first
		// difference.
		var diff byte
		for i := range want {
			diff |= want[i] ^ hash[i]
		}
		if diff == 0 {
			return token, true
		}
	}
	return "", false
}

// Match reports, in constant time, whether the token submitted in a body
// equals the cookie's token.
func Match(cookieToken, submitted string) bool {
	return cookieToken != "" && subtle.ConstantTimeCompare([]byte(cookieToken), []byte(submitted)) == 1
}
