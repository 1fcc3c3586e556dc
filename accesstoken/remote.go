package accesstoken

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// RemoteKeys is a KeySource that fetches a JWKS URL. It keeps the keys
// for MaxAge (default 10 minutes) and fetches again at once for an
// unknown "kid" (a key rotated in), at most once per MinInterval
// (default 10 seconds). It is safe for concurrent use.
type RemoteKeys struct {
	URL         string
	Client      *http.Client // default: one with a 10-second timeout
	MaxAge      time.Duration
	MinInterval time.Duration

	mu      sync.Mutex
	keys    StaticKeys
	fetched time.Time
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

// NewRemoteVerifier returns a verifier of the tokens of the issuer whose
// keys are published at jwksURL; audience "" accepts any audience.
func NewRemoteVerifier(jwksURL, issuer, audience string) *Verifier {
	return &Verifier{Keys: &RemoteKeys{URL: jwksURL}, Issuer: issuer, Audience: audience}
}

// PublicKey implements [KeySource].
func (r *RemoteKeys) PublicKey(ctx context.Context, kid string) (*jose.JSONWebKey, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	maxAge, minInterval := r.MaxAge, r.MinInterval
	if maxAge <= 0 {
		maxAge = 10 * time.Minute
	}
	if minInterval <= 0 {
		minInterval = 10 * time.Second
	}
	age := time.Since(r.fetched)
	if r.fetched.IsZero() || age > maxAge {
		if err := r.fetch(ctx); err != nil {
			return nil, err
		}
	}
	k, err := r.keys.PublicKey(ctx, kid)
	if err != nil && time.Since(r.fetched) > minInterval {
		if err := r.fetch(ctx); err != nil {
			return nil, err
		}
		k, err = r.keys.PublicKey(ctx, kid)
	}
	return k, err
}

func (r *RemoteKeys) fetch(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return fmt.Errorf("accesstoken: JWKS: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	c := r.Client
	if c == nil {
		c = defaultClient
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("accesstoken: JWKS: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("accesstoken: JWKS %s: status %s", r.URL, res.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("accesstoken: JWKS %s: %w", r.URL, err)
	}
	keys := StaticKeys{}
	for _, k := range set.Keys {
		if k.IsPublic() && k.Valid() && (k.Use == "" || k.Use == "sig") {
			keys = append(keys, k)
		}
	}
	r.keys, r.fetched = keys, time.Now()
	return nil
}
