package guard

import (
	"crypto"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch"
)

// HeaderAssertion carries the signed assertion of an allowed check (see
// [AssertionKeys]): a JWT an app can verify instead of trusting the plain
// identity headers.
const HeaderAssertion = "X-Latch-Assertion"

// defaultAssertionTTL is how long an assertion is valid by default.
const defaultAssertionTTL = time.Minute

// assertionKeyInfo is the HKDF info of the assertion keys: they share
// nothing with the session keys derived from the same secret.
const assertionKeyInfo = "Latch forward-auth assertion signing key (Ed25519)"

// AssertionKeys sign the assertions of a [Checker]: Ed25519 keys derived
// from Latch's secrets, so that every instance with the same secrets signs
// with the same key and nothing needs storing. The first secret's key
// signs; the others' stay in the JWKS while secrets are rotated.
type AssertionKeys struct {
	keys []assertionKey
	jwks []byte
}

type assertionKey struct {
	kid  string
	priv ed25519.PrivateKey
}

// NewAssertionKeys derives the keys of secrets (Latch's, first one
// first).
func NewAssertionKeys(secrets ...string) (*AssertionKeys, error) {
	if len(secrets) == 0 {
		return nil, errors.New("guard: assertion keys need at least one secret")
	}
	k := &AssertionKeys{}
	var set jose.JSONWebKeySet
	for _, s := range secrets {
		if s == "" {
			return nil, errors.New("guard: empty secret")
		}
		seed, err := hkdf.Key(sha256.New, []byte(s), nil, assertionKeyInfo, ed25519.SeedSize)
		if err != nil {
			return nil, err
		}
		priv := ed25519.NewKeyFromSeed(seed)
		pub := priv.Public().(ed25519.PublicKey)
		jwk := jose.JSONWebKey{Key: pub, Algorithm: string(jose.EdDSA), Use: "sig"}
		tp, err := jwk.Thumbprint(crypto.SHA256)
		if err != nil {
			return nil, err
		}
		jwk.KeyID = base64.RawURLEncoding.EncodeToString(tp)
		k.keys = append(k.keys, assertionKey{kid: jwk.KeyID, priv: priv})
		set.Keys = append(set.Keys, jwk)
	}
	b, err := json.Marshal(set)
	if err != nil {
		return nil, err
	}
	k.jwks = b
	return k, nil
}

// JWKS serves the public keys as a JSON Web Key Set, for apps that
// verify the assertions.
func (k *AssertionKeys) JWKS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(k.jwks)
	})
}

// assertionClaims are the claims of an assertion.
type assertionClaims struct {
	Issuer   string   `json:"iss"`
	Audience string   `json:"aud"`
	Subject  string   `json:"sub"`
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Groups   []string `json:"groups"`
	IssuedAt int64    `json:"iat"`
	Expiry   int64    `json:"exp"`
}

// sign returns the assertion that s is signed in, for the site aud,
// issued by iss at now and valid for ttl.
func (k *AssertionKeys) sign(s *latch.Session, iss, aud string, now time.Time, ttl time.Duration) (string, error) {
	groups := []string{}
	if g := sessionGroups(s); g != "" {
		groups = strings.Split(g, ",")
	}
	payload, err := json.Marshal(assertionClaims{
		Issuer: iss, Audience: aud, Subject: s.UserID(), Email: s.User.Email, Name: s.User.Name, Groups: groups,
		IssuedAt: now.Unix(), Expiry: now.Add(ttl).Unix(),
	})
	if err != nil {
		return "", err
	}
	key := k.keys[0]
	header, _ := json.Marshal(map[string]string{"alg": "EdDSA", "typ": "JWT", "kid": key.kid})
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(header) + "." + enc.EncodeToString(payload)
	return signing + "." + enc.EncodeToString(ed25519.Sign(key.priv, []byte(signing))), nil
}
