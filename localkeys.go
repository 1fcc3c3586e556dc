package latch

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch/accesstoken"
)

// keyring holds the signing keys of access tokens, loaded from the store
// (shared by every instance) and unsealed with the secrets. A new key is
// created KeyRotation after the newest one, published (in the JWKS) for
// prepublish before it signs, and old keys keep verifying until every
// token they signed has expired.
type keyring struct {
	store   SigningKeyStore
	secrets []string
	alg     string
	rotate  time.Duration // < 0: never
	ttl     time.Duration // access token lifetime
	now     func() time.Time
	log     interface {
		Warn(string, ...any)
		Error(string, ...any)
	}

	mu       sync.Mutex
	keys     map[string]*accesstoken.Key
	active   *accesstoken.Key
	jwks     []byte
	loaded   time.Time // zero: never
	missLoad time.Time // last reload for an unknown kid
	warned   map[string]bool
}

// keyReload is how often the keys are read again from the store, so that
// keys another instance created are known.
const keyReload = time.Minute

func (k *keyring) prepublish() time.Duration {
	if k.rotate < 0 {
		return 0
	}
	return min(time.Hour, k.rotate/10)
}

// signingKey returns the key that signs now.
func (k *keyring) signingKey(ctx context.Context) (*accesstoken.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx, false); err != nil {
		return nil, err
	}
	return k.active, nil
}

// PublicKey implements accesstoken.KeySource; an unknown kid reads the
// store again, at most once a second.
func (k *keyring) PublicKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx, false); err != nil {
		return nil, err
	}
	key, ok := k.keys[kid]
	if !ok && k.now().Sub(k.missLoad) > time.Second {
		k.missLoad = k.now()
		if err := k.refresh(ctx, true); err != nil {
			return nil, err
		}
		key, ok = k.keys[kid]
	}
	if !ok {
		return nil, fmt.Errorf("%w: unknown key", accesstoken.ErrInvalidToken)
	}
	jwk := key.PublicJWK()
	return &jwk, nil
}

// jwksJSON returns the public keys as a JWKS document.
func (k *keyring) jwksJSON(ctx context.Context) ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.refresh(ctx, false); err != nil {
		return nil, err
	}
	return k.jwks, nil
}

// refresh reloads the keys when they are older than keyReload (or
// always, with force), creates a key when one is due, and deletes keys
// no token can need any more. k.mu is held.
func (k *keyring) refresh(ctx context.Context, force bool) error {
	now := k.now()
	if !force && !k.loaded.IsZero() && now.Sub(k.loaded) < keyReload && !k.due(now) {
		return nil
	}
	if err := k.load(ctx); err != nil {
		return err
	}
	if k.due(now) {
		nk, err := accesstoken.GenerateKey(k.alg, now)
		if err != nil {
			return err
		}
		sealed, err := k.seal(nk)
		if err != nil {
			return err
		}
		if err := k.store.AddSigningKey(ctx, SigningKey{ID: nk.ID, Algorithm: nk.Algorithm, Sealed: sealed, Created: now}); err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("latch: store a new signing key: %w", err)
		}
		if err := k.load(ctx); err != nil {
			return err
		}
		if k.active == nil {
			return errors.New("latch: no usable signing key after creating one")
		}
	}
	k.prune(ctx, now)
	return nil
}

// due reports whether a new key must be made: there is no key of the
// configured algorithm, or the newest one is older than KeyRotation less
// the prepublication time.
func (k *keyring) due(now time.Time) bool {
	var newest *accesstoken.Key
	for _, key := range k.keys {
		if key.Algorithm == k.alg && (newest == nil || key.Created.After(newest.Created)) {
			newest = key
		}
	}
	if newest == nil {
		return true
	}
	return k.rotate >= 0 && now.Sub(newest.Created) >= k.rotate-k.prepublish()
}

// load reads every key from the store and picks the active one.
func (k *keyring) load(ctx context.Context) error {
	stored, err := k.store.SigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("latch: read signing keys: %w", err)
	}
	now := k.now()
	keys := make(map[string]*accesstoken.Key, len(stored))
	var set jose.JSONWebKeySet
	var active, newest *accesstoken.Key
	for _, s := range stored {
		key, err := k.unseal(s)
		if err != nil {
			if !k.warned[s.ID] {
				if k.warned == nil {
					k.warned = map[string]bool{}
				}
				k.warned[s.ID] = true
				k.log.Warn("latch: a signing key in the store cannot be opened with the configured secrets; it is ignored", "kid", s.ID, "err", err)
			}
			continue
		}
		keys[key.ID] = key
		set.Keys = append(set.Keys, key.PublicJWK())
		if key.Algorithm != k.alg {
			continue
		}
		if newest == nil || later(key, newest) {
			newest = key
		}
		if !key.Created.Add(k.prepublish()).After(now) && (active == nil || later(key, active)) {
			active = key
		}
	}
	if active == nil {
		active = newest // the first key signs at once
	}
	jwks, err := json.Marshal(set)
	if err != nil {
		return fmt.Errorf("latch: JWKS: %w", err)
	}
	k.keys, k.active, k.jwks, k.loaded = keys, active, jwks, now
	return nil
}

func later(a, b *accesstoken.Key) bool {
	return a.Created.After(b.Created) || a.Created.Equal(b.Created) && a.ID > b.ID
}

// prune deletes keys that stopped signing long enough ago that every
// token they signed has expired.
func (k *keyring) prune(ctx context.Context, now time.Time) {
	if k.rotate < 0 || k.active == nil {
		return
	}
	keep := 2*k.rotate + k.prepublish() + k.ttl + time.Hour
	for id, key := range k.keys {
		if key != k.active && now.Sub(key.Created) > keep {
			if err := k.store.DeleteSigningKey(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
				k.log.Error("latch: delete an old signing key", "kid", id, "err", err)
				continue
			}
			delete(k.keys, id)
		}
	}
}

// sealKey derives the key that seals signing keys from a secret.
func sealKey(secret string) ([]byte, error) {
	return hkdf.Key(sha256.New, []byte(secret), nil, "Latch signing key sealing", 32)
}

// seal encrypts a signing key with the first secret (AES-256-GCM, the
// key ID as additional data): 0x01 || nonce || ciphertext.
func (k *keyring) seal(key *accesstoken.Key) ([]byte, error) {
	der, err := key.MarshalPrivate()
	if err != nil {
		return nil, err
	}
	aead, err := newSealAEAD(k.secrets[0])
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1, 1+aead.NonceSize()+len(der)+aead.Overhead())
	out[0] = 1
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	out = append(out, nonce...)
	return aead.Seal(out, nonce, der, []byte(key.ID)), nil
}

// unseal opens a stored key with any of the secrets.
func (k *keyring) unseal(s SigningKey) (*accesstoken.Key, error) {
	if len(s.Sealed) < 1+12+16 || s.Sealed[0] != 1 {
		return nil, errors.New("not a sealed key")
	}
	for _, secret := range k.secrets {
		aead, err := newSealAEAD(secret)
		if err != nil {
			return nil, err
		}
		nonce := s.Sealed[1 : 1+aead.NonceSize()]
		der, err := aead.Open(nil, nonce, s.Sealed[1+aead.NonceSize():], []byte(s.ID))
		if err != nil {
			continue
		}
		return accesstoken.ParsePrivate(s.ID, s.Algorithm, der, s.Created)
	}
	return nil, errors.New("no secret opens it")
}

func newSealAEAD(secret string) (cipher.AEAD, error) {
	key, err := sealKey(secret)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
