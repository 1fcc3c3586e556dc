package latch

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// newRefreshToken returns a random refresh token: 32 bytes, base64url.
func newRefreshToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is how a refresh token is stored: base64url(SHA-256). The
// tokens are random 256-bit values, so a plain hash cannot be reversed
// or guessed.
func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// successor is the refresh token that replaces t on rotation:
// HMAC-SHA256 of t under a key derived from the secret. Derived, not
// random, so that every instance answering a refresh that races another
// (within the grace window) hands out the same successor without storing
// it anywhere but as a hash.
func (a *Auth) successor(secret, t string) string {
	m := hmac.New(sha256.New, []byte("latch refresh-token rotation\x00"+secret))
	m.Write([]byte(t))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
