// Package accesstoken signs and verifies the access tokens of Latch's
// local provider (the backend of @sidebase/nuxt-auth's "local" provider):
// compact JWS (RFC 7515) JWTs signed with EdDSA (Ed25519) or ES256, with
// their public keys published as a JWKS (RFC 7517).
//
// Another Go service checks the tokens with [NewRemoteVerifier] from the
// JWKS URL alone (<base>/local/jwks, e.g.
// https://auth.example.com/api/auth/local/jwks):
//
//	v := accesstoken.NewRemoteVerifier("https://auth.example.com/api/auth/local/jwks",
//		"https://auth.example.com/api/auth", "my-api")
//	claims, err := v.Verify(ctx, bearerToken)
//
// A verifier checks the signature, the algorithm (only EdDSA and ES256;
// "none" and HMAC are refused), the issuer, the audience and the expiry.
// It does not know whether the session was signed out since: Latch itself
// checks the token's "sid" against its store, other services accept a
// token until it expires, which is why access tokens are short-lived
// (30 minutes by default).
package accesstoken

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
)

// Signing algorithms.
const (
	EdDSA = "EdDSA" // Ed25519 (RFC 8037), the default
	ES256 = "ES256" // ECDSA on P-256 with SHA-256
)

// ErrInvalidToken is wrapped by every error of a token that is not valid:
// malformed, signed by an unknown key or with another algorithm, expired,
// or for another issuer or audience.
var ErrInvalidToken = errors.New("accesstoken: invalid token")

// Claims are the claims of an access token.
type Claims struct {
	Issuer    string           `json:"iss"`
	Audience  josejwt.Audience `json:"aud,omitempty"`
	Subject   string           `json:"sub"`           // the user's ID
	SessionID string           `json:"sid,omitempty"` // the sign-in: its refresh-token family
	Email     string           `json:"email,omitempty"`
	Name      string           `json:"name,omitempty"`
	Picture   string           `json:"picture,omitempty"`
	IssuedAt  int64            `json:"iat"`
	Expiry    int64            `json:"exp"`
	ID        string           `json:"jti"`
}

// Key is a signing key.
type Key struct {
	ID        string // "kid"
	Algorithm string // EdDSA or ES256
	Private   crypto.Signer
	Created   time.Time
}

// GenerateKey returns a new random key for alg (EdDSA or ES256), with an
// ID derived from its public key (the RFC 7638 thumbprint).
func GenerateKey(alg string, now time.Time) (*Key, error) {
	var priv crypto.Signer
	var err error
	switch alg {
	case EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return nil, fmt.Errorf("accesstoken: unknown algorithm %q: use EdDSA or ES256", alg)
	}
	if err != nil {
		return nil, fmt.Errorf("accesstoken: generate key: %w", err)
	}
	k := &Key{Algorithm: alg, Private: priv, Created: now}
	jwk := jose.JSONWebKey{Key: priv.Public()}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("accesstoken: key thumbprint: %w", err)
	}
	k.ID = base64.RawURLEncoding.EncodeToString(tp)
	return k, nil
}

// MarshalPrivate returns the private key as PKCS #8 DER.
func (k *Key) MarshalPrivate() ([]byte, error) {
	return x509.MarshalPKCS8PrivateKey(k.Private)
}

// ParsePrivate reads a key written by [Key.MarshalPrivate].
func ParsePrivate(id, alg string, der []byte, created time.Time) (*Key, error) {
	p, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("accesstoken: parse key %s: %w", id, err)
	}
	k := &Key{ID: id, Algorithm: alg, Created: created}
	switch p := p.(type) {
	case ed25519.PrivateKey:
		if alg != EdDSA {
			return nil, fmt.Errorf("accesstoken: key %s is Ed25519, not %s", id, alg)
		}
		k.Private = p
	case *ecdsa.PrivateKey:
		if alg != ES256 || p.Curve != elliptic.P256() {
			return nil, fmt.Errorf("accesstoken: key %s is not a P-256 key for %s", id, alg)
		}
		k.Private = p
	default:
		return nil, fmt.Errorf("accesstoken: key %s has an unsupported type %T", id, p)
	}
	return k, nil
}

// PublicJWK returns the public half of k as a JWK, with "kid", "alg" and
// "use":"sig".
func (k *Key) PublicJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.Private.Public(), KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"}
}

// Sign returns the compact JWS of c signed with k, with "kid" and
// "typ":"at+jwt" (RFC 9068) in its header.
func Sign(k *Key, c *Claims) (string, error) {
	opts := (&jose.SignerOptions{}).WithType("at+jwt").WithHeader(jose.HeaderKey("kid"), k.ID)
	s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(k.Algorithm), Key: k.Private}, opts)
	if err != nil {
		return "", fmt.Errorf("accesstoken: signer: %w", err)
	}
	out, err := josejwt.Signed(s).Claims(c).Serialize()
	if err != nil {
		return "", fmt.Errorf("accesstoken: sign: %w", err)
	}
	return out, nil
}

// KeySource finds the public key of a "kid". An unknown kid is an error
// wrapping ErrInvalidToken.
type KeySource interface {
	PublicKey(ctx context.Context, kid string) (*jose.JSONWebKey, error)
}

// StaticKeys is a KeySource of fixed public keys.
type StaticKeys []jose.JSONWebKey

// PublicKey implements [KeySource].
func (s StaticKeys) PublicKey(_ context.Context, kid string) (*jose.JSONWebKey, error) {
	for i := range s {
		if s[i].KeyID == kid {
			return &s[i], nil
		}
	}
	return nil, fmt.Errorf("%w: unknown key", ErrInvalidToken)
}

// Verifier checks access tokens.
type Verifier struct {
	// Keys finds the public keys.
	Keys KeySource
	// Issuer is the required "iss".
	Issuer string
	// Audience, when set, must be one of the token's "aud" values.
	Audience string
	// Leeway is the clock skew allowed on "exp" and "iat". Default 0
	// for "exp", one minute for an "iat" in the future.
	Leeway time.Duration
	// Now returns the current time. Default time.Now.
	Now func() time.Time
}

// algorithms are the only signature algorithms accepted.
var algorithms = []jose.SignatureAlgorithm{jose.EdDSA, jose.ES256}

// MaxTokenLength bounds the tokens Verify parses.
const MaxTokenLength = 8 << 10

// Verify checks the token and returns its claims. Every problem of the
// token is an error wrapping ErrInvalidToken; other errors are failures
// of the key source.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > MaxTokenLength {
		return nil, fmt.Errorf("%w: too long", ErrInvalidToken)
	}
	tok, err := josejwt.ParseSigned(token, algorithms)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	if len(tok.Headers) != 1 {
		return nil, fmt.Errorf("%w: want one signature", ErrInvalidToken)
	}
	h := tok.Headers[0]
	key, err := v.Keys.PublicKey(ctx, h.KeyID)
	if err != nil {
		return nil, err
	}
	if key.Algorithm != "" && key.Algorithm != h.Algorithm {
		return nil, fmt.Errorf("%w: key %s is for %s, not %s", ErrInvalidToken, h.KeyID, key.Algorithm, h.Algorithm)
	}
	var c Claims
	if err := tok.Claims(key.Key, &c); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	switch {
	case c.Issuer != v.Issuer:
		return nil, fmt.Errorf("%w: issuer %q", ErrInvalidToken, c.Issuer)
	case v.Audience != "" && !c.Audience.Contains(v.Audience):
		return nil, fmt.Errorf("%w: not for audience %q", ErrInvalidToken, v.Audience)
	case c.Expiry == 0 || !now.Before(time.Unix(c.Expiry, 0).Add(v.Leeway)):
		return nil, fmt.Errorf("%w: expired", ErrInvalidToken)
	case c.IssuedAt != 0 && time.Unix(c.IssuedAt, 0).After(now.Add(max(v.Leeway, time.Minute))):
		return nil, fmt.Errorf("%w: issued in the future", ErrInvalidToken)
	case c.Subject == "":
		return nil, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	return &c, nil
}
