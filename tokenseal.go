package latch

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// sealedPrefix starts a provider token sealed by Latch in a store. Values
// without it are tokens an older Latch (or a NextAuth adapter) stored in
// the clear; they are read as they are and sealed when next written.
const sealedPrefix = "latch:v1:"

// tokenSealer encrypts provider tokens with the secrets: AES-256-GCM with
// a key derived from the first secret, the value's place (provider,
// account and field) as associated data, so a sealed value copied to
// another row or field does not open.
type tokenSealer struct {
	aeads []cipher.AEAD // one per secret; the first seals
	mac   []byte        // HMAC key naming refresh tokens (cache keys)
}

func newTokenSealer(secrets []string) (*tokenSealer, error) {
	s := &tokenSealer{}
	for _, secret := range secrets {
		key, err := hkdf.Key(sha256.New, []byte(secret), nil, "Latch provider token sealing", 32)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		s.aeads = append(s.aeads, aead)
	}
	mac, err := hkdf.Key(sha256.New, []byte(secrets[0]), nil, "Latch refresh token naming", 32)
	if err != nil {
		return nil, err
	}
	s.mac = mac
	return s, nil
}

// seal encrypts v for the place ad; "" stays "".
func (s *tokenSealer) seal(v, ad string) string {
	if v == "" {
		return ""
	}
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(s.sealBytes([]byte(v), ad))
}

func (s *tokenSealer) sealBytes(v []byte, ad string) []byte {
	aead := s.aeads[0]
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(v)+aead.Overhead())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, v, []byte(ad))
}

var errUnsealable = errors.New("latch: a sealed provider token does not open with any of the secrets")

// open decrypts a value seal made for ad. A value without the sealed
// prefix is returned as it is (stored in the clear before sealing).
func (s *tokenSealer) open(v, ad string) (string, error) {
	rest, ok := strings.CutPrefix(v, sealedPrefix)
	if !ok {
		return v, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return "", errUnsealable
	}
	out, err := s.openBytes(b, ad)
	return string(out), err
}

func (s *tokenSealer) openBytes(b []byte, ad string) ([]byte, error) {
	for _, aead := range s.aeads {
		if len(b) < aead.NonceSize()+aead.Overhead() {
			return nil, errUnsealable
		}
		if out, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(ad)); err == nil {
			return out, nil
		}
	}
	return nil, errUnsealable
}

// name returns a keyed hash of a refresh token: the key under which the
// result of refreshing it is kept for the grace window, which tells
// nothing of the token to whoever reads the cache.
func (s *tokenSealer) name(refreshToken string) string {
	h := hmac.New(sha256.New, s.mac)
	h.Write([]byte(refreshToken))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// accountAD is the associated data of one token field of an account.
func accountAD(provider, providerAccountID, field string) string {
	return "account\x00" + provider + "\x00" + providerAccountID + "\x00" + field
}

// sealTokens seals the secret fields of an account's tokens.
func (s *tokenSealer) sealTokens(provider, id string, t OAuthTokens) OAuthTokens {
	t.AccessToken = s.seal(t.AccessToken, accountAD(provider, id, "access_token"))
	t.RefreshToken = s.seal(t.RefreshToken, accountAD(provider, id, "refresh_token"))
	t.IDToken = s.seal(t.IDToken, accountAD(provider, id, "id_token"))
	return t
}

// openTokens opens what sealTokens sealed (and passes clear values on).
func (s *tokenSealer) openTokens(provider, id string, t OAuthTokens) (OAuthTokens, error) {
	var errs [3]error
	t.AccessToken, errs[0] = s.open(t.AccessToken, accountAD(provider, id, "access_token"))
	t.RefreshToken, errs[1] = s.open(t.RefreshToken, accountAD(provider, id, "refresh_token"))
	t.IDToken, errs[2] = s.open(t.IDToken, accountAD(provider, id, "id_token"))
	return t, errors.Join(errs[:]...)
}
