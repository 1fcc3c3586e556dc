package accesstoken

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

func claimsAt(now time.Time) *Claims {
	return &Claims{Issuer: "https://a.example/api/auth", Subject: "u1", SessionID: "s1", IssuedAt: now.Unix(), Expiry: now.Add(time.Minute).Unix(), ID: "j"}
}

func TestSignVerifyBothAlgorithms(t *testing.T) {
	now := time.Now()
	for _, alg := range []string{EdDSA, ES256} {
		k, err := GenerateKey(alg, now)
		if err != nil {
			t.Fatal(err)
		}
		der, _ := k.MarshalPrivate()
		back, err := ParsePrivate(k.ID, alg, der, now)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := Sign(back, claimsAt(now))
		if err != nil {
			t.Fatal(err)
		}
		v := &Verifier{Keys: StaticKeys{k.PublicJWK()}, Issuer: "https://a.example/api/auth"}
		if c, err := v.Verify(context.Background(), tok); err != nil || c.Subject != "u1" || c.SessionID != "s1" {
			t.Errorf("%s: Verify = %+v, %v", alg, c, err)
		}
		v.Now = func() time.Time { return now.Add(time.Minute) }
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: expired token: %v; want ErrInvalidToken", alg, err)
		}
	}
	if _, err := GenerateKey("HS256", now); err == nil {
		t.Error("GenerateKey(HS256): want an error")
	}
	k, _ := GenerateKey(EdDSA, now)
	der, _ := k.MarshalPrivate()
	if _, err := ParsePrivate(k.ID, ES256, der, now); err == nil {
		t.Error("an Ed25519 key read as ES256: want an error")
	}
}

// RemoteKeys fetches the JWKS once, and again for a kid it does not know
// (a rotated-in key), not more often than MinInterval.
func TestRemoteKeys(t *testing.T) {
	now := time.Now()
	k1, _ := GenerateKey(EdDSA, now)
	k2, _ := GenerateKey(EdDSA, now)
	var mu sync.Mutex
	published := []jose.JSONWebKey{k1.PublicJWK()}
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		mu.Lock()
		defer mu.Unlock()
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: published})
	}))
	defer srv.Close()
	v := NewRemoteVerifier(srv.URL, "https://a.example/api/auth", "")
	rk := v.Keys.(*RemoteKeys)
	rk.MinInterval = time.Minute
	ctx := context.Background()
	t1, _ := Sign(k1, claimsAt(now))
	t2, _ := Sign(k2, claimsAt(now))
	for range 3 {
		if _, err := v.Verify(ctx, t1); err != nil {
			t.Fatal(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for one key; want 1", n)
	}
	if _, err := v.Verify(ctx, t2); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("unknown key: %v; want ErrInvalidToken", err)
	}
	mu.Lock()
	published = append(published, k2.PublicJWK())
	mu.Unlock()
	// Within MinInterval of the last fetch, an unknown kid is refused
	// without fetching.
	if _, err := v.Verify(ctx, t2); !errors.Is(err, ErrInvalidToken) || fetches.Load() != 1 {
		t.Errorf("unknown key within MinInterval: %v after %d fetches; want ErrInvalidToken after 1", err, fetches.Load())
	}
	rk.mu.Lock()
	rk.fetched = rk.fetched.Add(-2 * time.Minute) // MinInterval has passed
	rk.mu.Unlock()
	if _, err := v.Verify(ctx, t2); err != nil {
		t.Errorf("rotated-in key: %v", err)
	}
}
