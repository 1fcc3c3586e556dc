// Package jwt encodes and decodes the encrypted session tokens of NextAuth.js
// v4 and Auth.js v5, so Go services can read the session cookies a NextAuth
// app or Latch wrote, and write ones they accept.
//
// Tokens are compact JWEs with direct key agreement ("alg":"dir"). The key is
// derived from a secret string with HKDF-SHA256:
//
//   - [V4] (next-auth 4.x): A256GCM; session tokens use an empty salt and the
//     info "NextAuth.js Generated Encryption Key"; other cookies (OAuth state,
//     PKCE verifier, nonce) use the cookie name as salt and the info
//     "NextAuth.js Generated Encryption Key (<salt>)".
//   - [V5] (Auth.js / @auth/core): A256CBC-HS512 with a 64-byte key, the cookie
//     name as salt, the info "Auth.js Generated Encryption Key (<salt>)", and a
//     "kid" header holding the key's SHA-512 JWK thumbprint. V5 decoding also
//     accepts A256GCM tokens.
//
// A [Codec] holds a key ring: the first secret encrypts, every secret
// decrypts, so secrets can be rotated without signing users out. Keys are
// derived once, in [New].
package jwt

import (
	"bytes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/latchauth/latch/internal/claims"
	"github.com/latchauth/latch/internal/jsonobj"
)

// Generation selects the token format.
type Generation int

const (
	// V4 is the next-auth 4.x format: dir + A256GCM.
	V4 Generation = iota
	// V5 is the Auth.js v5 (@auth/core) format: dir + A256CBC-HS512 with kid.
	V5
)

// ClockTolerance is how long after its "exp" a token is still accepted,
// and how long before its "nbf", as in NextAuth.
const ClockTolerance = claims.Tolerance

// ErrInvalidToken is returned by [Codec.Decode] for a token that is malformed,
// was not encrypted with any key of the ring, or carries unusable claims. The
// detail is wrapped; no unverified claim appears in the message.
var ErrInvalidToken = errors.New("jwt: invalid token")

// ErrExpired is returned (wrapped in [ErrInvalidToken]) for a token whose
// "exp" lies [ClockTolerance] or more in the past.
var ErrExpired = claims.ErrExpired

// Claims is the payload of a token. Numbers decode as [json.Number].
type Claims map[string]any

// Codec encrypts and decrypts tokens for one generation and salt.
// It is safe for concurrent use.
type Codec struct {
	gen  Generation
	enc  jose.Encrypter
	keys []ringKey
}

type ringKey struct {
	kid  string      // V5 only
	gcm  []byte      // 32 bytes, A256GCM
	aead cipher.AEAD // AES-256-GCM with gcm
	cbc  []byte      // 64 bytes, A256CBC-HS512 (V5 only)
}

// New returns a codec for gen whose keys are derived from secrets with the
// given salt: "" for next-auth v4 session tokens, the cookie name otherwise.
// The first secret encrypts; every secret decrypts.
func New(gen Generation, salt string, secrets ...string) (*Codec, error) {
	if len(secrets) == 0 {
		return nil, errors.New("jwt: at least one secret is required")
	}
	c := &Codec{gen: gen}
	for i, s := range secrets {
		if s == "" {
			return nil, fmt.Errorf("jwt: secret %d is empty", i+1)
		}
		k, err := deriveKeys(gen, s, salt)
		if err != nil {
			return nil, err
		}
		c.keys = append(c.keys, k)
	}
	first := c.keys[0]
	var err error
	switch gen {
	case V4:
		c.enc, err = jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: first.gcm}, nil)
	case V5:
		c.enc, err = jose.NewEncrypter(jose.A256CBC_HS512, jose.Recipient{Algorithm: jose.DIRECT, Key: first.cbc, KeyID: first.kid}, nil)
	default:
		return nil, fmt.Errorf("jwt: unknown generation %d", gen)
	}
	if err != nil {
		return nil, fmt.Errorf("jwt: %w", err)
	}
	return c, nil
}

// DeriveKey returns the key of length n that gen derives from secret and
// salt. It is exported for tests against published vectors.
func DeriveKey(gen Generation, secret, salt string, n int) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(secret), []byte(salt), info(gen, salt), n)
}

func info(gen Generation, salt string) string {
	if gen == V5 {
		return "Auth.js Generated Encryption Key (" + salt + ")"
	}
	if salt == "" {
		return "NextAuth.js Generated Encryption Key"
	}
	return "NextAuth.js Generated Encryption Key (" + salt + ")"
}

func deriveKeys(gen Generation, secret, salt string) (ringKey, error) {
	var k ringKey
	var err error
	if k.gcm, err = DeriveKey(gen, secret, salt, 32); err != nil {
		return k, fmt.Errorf("jwt: derive key: %w", err)
	}
	if gen == V5 {
		if k.cbc, err = DeriveKey(gen, secret, salt, 64); err != nil {
			return k, fmt.Errorf("jwt: derive key: %w", err)
		}
		k.kid = thumbprint(k.cbc)
	}
	if k.aead, err = newGCM(k.gcm); err != nil {
		return k, fmt.Errorf("jwt: %w", err)
	}
	return k, nil
}

// thumbprint is the RFC 7638 SHA-512 thumbprint of a symmetric JWK.
func thumbprint(key []byte) string {
	sum := sha512.Sum512([]byte(`{"k":"` + base64.RawURLEncoding.EncodeToString(key) + `","kty":"oct"}`))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// Encode encrypts claims into a compact JWE. It sets "iat" to now, "exp" to
// now+maxAge and "jti" to a new random UUID, replacing any values claims had;
// claims itself is not modified.
func (c *Codec) Encode(claims Claims, now time.Time, maxAge time.Duration) (string, error) {
	payload := make(map[string]any, len(claims)+3)
	for k, v := range claims {
		payload[k] = v
	}
	iat := now.Unix()
	payload["iat"] = iat
	payload["exp"] = iat + int64(maxAge/time.Second)
	payload["jti"] = uuid.NewString()
	plain, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("jwt: encode claims: %w", err)
	}
	return c.EncodePayload(plain)
}

// EncodePayload encrypts a JSON payload as it is: unlike [Codec.Encode] it
// sets no claims.
func (c *Codec) EncodePayload(payload []byte) (string, error) {
	if c.gen == V4 {
		return c.sealV4(payload), nil
	}
	obj, err := c.enc.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("jwt: encrypt: %w", err)
	}
	return obj.CompactSerialize()
}

// AppendEncodePayload appends the token [Codec.EncodePayload] makes of
// payload to dst. A token has only base64url characters and dots, which
// need no escaping in a cookie or a URL.
func (c *Codec) AppendEncodePayload(dst, payload []byte) ([]byte, error) {
	if c.gen == V4 {
		return c.appendV4(dst, payload), nil
	}
	tok, err := c.EncodePayload(payload)
	if err != nil {
		return dst, err
	}
	return append(dst, tok...), nil
}

// EncodedLen is the length of the token [Codec.EncodePayload] makes of a
// payload of n bytes: exact for [V4], an estimate for [V5].
func (c *Codec) EncodedLen(n int) int {
	if c.gen == V4 {
		return v4Len(n)
	}
	return v4Len(n+16) + 160 // padding, a longer tag and the kid
}

// Decode decrypts token with any key of the ring and returns its claims.
// It checks the claims as NextAuth's decoder (jose's jwtDecrypt) does: a
// numeric "exp" that is not [ClockTolerance] or more before now (see
// [ErrExpired]), a numeric "nbf" not more than ClockTolerance after now,
// a numeric "iat". Unlike NextAuth it also requires "exp", so that no
// token is valid forever. A key that appears twice counts with its last
// value, as in JavaScript. Every failure wraps [ErrInvalidToken].
func (c *Codec) Decode(token string, now time.Time) (Claims, error) {
	plain, err := c.DecodePayload(token, now)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber()
	var claims Claims
	if err := d.Decode(&claims); err != nil || claims == nil {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrInvalidToken)
	}
	return claims, nil
}

// Open decrypts token with any key of the ring and returns its payload
// without looking at it: the caller must check the claims as
// [Codec.DecodePayload] does, or use DecodePayload. Failures wrap
// [ErrInvalidToken].
func (c *Codec) Open(token string) ([]byte, error) {
	plain, err := c.decrypt(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return plain, nil
}

// Expired reports whether a token whose "exp" claim is exp (seconds since
// the epoch) is no longer accepted at now: exp <= now-[ClockTolerance],
// with now in whole seconds, as jose decides it.
func Expired(exp float64, now time.Time) bool {
	return claims.Expired(exp, now)
}

// DecodePayload is [Codec.Decode] returning the JSON payload undecoded,
// with the same checks.
func (c *Codec) DecodePayload(token string, now time.Time) ([]byte, error) {
	plain, err := c.Open(token)
	if err != nil {
		return nil, err
	}
	obj, err := jsonobj.Parse(plain)
	if err != nil {
		return nil, fmt.Errorf("%w: payload is not a JSON object", ErrInvalidToken)
	}
	if err := claims.Check(obj, now); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	return plain, nil
}

// compactChars reports whether token has only the characters of a
// compact serialisation: base64url and the dots between its parts.
func compactChars(token string) bool {
	for i := 0; i < len(token); i++ {
		if !compactChar[token[i]] {
			return false
		}
	}
	return true
}

// compactChar is the set of compactChars.
var compactChar = func() (set [256]bool) {
	for _, c := range []byte("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") {
		set[c] = true
	}
	return set
}()

// errEncryptedKey is the error for a "dir" token with an encrypted key.
var errEncryptedKey = errors.New(`"dir" token with an encrypted key`)

func (c *Codec) decrypt(token string) ([]byte, error) {
	// openV4 reads only tokens of base64url characters and dots: the
	// check of compactChars is needed on the general path only.
	if plain, err := c.openV4(token); err != errNotFast {
		return plain, err
	}
	if !compactChars(token) {
		// Base64 decoders skip CR and LF, so such a token would be
		// another string for the same session.
		return nil, fmt.Errorf("%w: not a compact serialisation (characters outside base64url and '.')", ErrInvalidToken)
	}
	return c.decryptGeneral(token)
}

// decryptGeneral decrypts any compact "dir" JWE with go-jose.
func (c *Codec) decryptGeneral(token string) ([]byte, error) {
	// With "dir" the encrypted key is empty (RFC 7516 §5.1 step 6;
	// RFC 7518 §4.5). jose refuses a token with one; go-jose ignores it,
	// which would give each session endless token strings.
	header, rest, ok := strings.Cut(token, ".")
	if ok && !strings.HasPrefix(rest, ".") {
		return nil, errEncryptedKey
	}
	// jwtDecrypt refuses a token whose protected header repeats "iss",
	// "sub" or "aud" (RFC 7519 §5.3) with a value other than the
	// payload's. No NextAuth or Auth.js encoder writes them there, so
	// Latch refuses any: never a token jose would refuse.
	if h, err := b64.DecodeString(header); err == nil {
		if obj, err := jsonobj.Parse(h); err == nil {
			for _, k := range [...]string{"iss", "sub", "aud"} {
				if obj.Get(k) != nil {
					return nil, fmt.Errorf("%q in the protected header", k)
				}
			}
		}
	}
	encs := []jose.ContentEncryption{jose.A256GCM}
	if c.gen == V5 {
		encs = append(encs, jose.A256CBC_HS512)
	}
	obj, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.DIRECT}, encs)
	if err != nil {
		return nil, err
	}
	kid := obj.Header.KeyID
	var lastErr error
	for _, k := range c.keys {
		if kid != "" && k.kid != "" && kid != k.kid {
			continue
		}
		// A key of the wrong size for the token's "enc" fails at once,
		// so trying both sizes costs nothing for valid tokens.
		for _, key := range [][]byte{k.cbc, k.gcm} {
			if key == nil {
				continue
			}
			plain, err := obj.Decrypt(key)
			if err == nil {
				return plain, nil
			}
			lastErr = err
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no key matches the token's kid")
	}
	return nil, lastErr
}

// String returns "v4" or "v5".
func (g Generation) String() string {
	if g == V5 {
		return "v5"
	}
	return "v4"
}
