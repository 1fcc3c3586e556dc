package redis

import (
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"time"

	"github.com/latchauth/latch"
	goredis "github.com/redis/go-redis/v9"
)

// Coordinator lets several instances share provider-token refreshes
// through Redis: it is the [latch.TokenLocker] (a lease per token, renewed
// while its refresh runs) and the [latch.RefreshResultCache] (the sealed
// result of each refresh, for the grace window). A [Store] is one; for
// JWT sessions without a Store, make one with [NewCoordinator] and set it
// as latch.Config.ProviderTokens.Cache.
type Coordinator struct {
	rdb    goredis.UniversalClient
	prefix string
	// LeaseTerm is how long a lease lasts unless renewed; its holder
	// renews it every third of it, so a lease outlives a slow refresh and
	// ends soon after its holder dies. Default 10 s.
	LeaseTerm time.Duration
}

var (
	_ latch.TokenLocker        = (*Coordinator)(nil)
	_ latch.RefreshResultCache = (*Coordinator)(nil)
	_ latch.TokenLocker        = (*Store)(nil)
	_ latch.RefreshResultCache = (*Store)(nil)
	_ latch.AccountTokenStore  = (*Store)(nil)
	_ latch.AccountLister      = (*Store)(nil)
)

// NewCoordinator returns a coordinator keeping its keys in rdb under
// prefix (default "latch:").
func NewCoordinator(rdb goredis.UniversalClient, prefix string) *Coordinator {
	if prefix == "" {
		prefix = "latch:"
	}
	return &Coordinator{rdb: rdb, prefix: prefix}
}

func (c *Coordinator) term() time.Duration {
	if c.LeaseTerm > 0 {
		return c.LeaseTerm
	}
	return 10 * time.Second
}

// renewScript extends the lease if the caller still holds it.
var renewScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// releaseScript deletes the lease if the caller still holds it.
var releaseScript = goredis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

// LockTokens implements [latch.TokenLocker]: SET NX with the lease term,
// retried until it succeeds or ctx ends, then renewed every third of the
// term until unlock.
func (c *Coordinator) LockTokens(ctx context.Context, key string) (func(), error) {
	k := c.prefix + "token-lease:" + key
	holder := rand.Text()
	term := c.term()
	wait := 5 * time.Millisecond
	for {
		ok, err := c.rdb.SetNX(ctx, k, holder, term).Result()
		if err != nil {
			return nil, redisErr("lock tokens", err)
		}
		if ok {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, redisErr("lock tokens", ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(term / 3)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				rctx, cancel := context.WithTimeout(context.Background(), term/2)
				renewScript.Run(rctx, c.rdb, []string{k}, holder, term.Milliseconds())
				cancel()
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			rctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			releaseScript.Run(rctx, c.rdb, []string{k}, holder)
		})
	}, nil
}

// PutRefreshResult implements [latch.RefreshResultCache].
func (c *Coordinator) PutRefreshResult(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	if err := c.rdb.Set(ctx, c.prefix+"refresh-result:"+key, v, ttl).Err(); err != nil {
		return redisErr("put refresh result", err)
	}
	return nil
}

// RefreshResult implements [latch.RefreshResultCache].
func (c *Coordinator) RefreshResult(ctx context.Context, key string) ([]byte, error) {
	v, err := c.rdb.Get(ctx, c.prefix+"refresh-result:"+key).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, redisErr("refresh result", err)
	}
	return v, nil
}

// LockTokens implements [latch.TokenLocker] in Redis (see
// [Coordinator.LockTokens]).
func (s *Store) LockTokens(ctx context.Context, key string) (func(), error) {
	return s.coordinator().LockTokens(ctx, key)
}

// PutRefreshResult implements [latch.RefreshResultCache] in Redis.
func (s *Store) PutRefreshResult(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	return s.coordinator().PutRefreshResult(ctx, key, v, ttl)
}

// RefreshResult implements [latch.RefreshResultCache] in Redis.
func (s *Store) RefreshResult(ctx context.Context, key string) ([]byte, error) {
	return s.coordinator().RefreshResult(ctx, key)
}

func (s *Store) coordinator() *Coordinator {
	return &Coordinator{rdb: s.rdb, prefix: s.prefix, LeaseTerm: s.LeaseTerm}
}

var errNoAccountTokens = errors.New("redis: the wrapped store does not keep account tokens (latch.AccountTokenStore)")

// Account implements [latch.AccountTokenStore] with the SQL store.
func (s *Store) Account(ctx context.Context, provider, providerAccountID string) (*latch.LinkedAccount, error) {
	ts, ok := s.Store.(latch.AccountTokenStore)
	if !ok {
		return nil, errNoAccountTokens
	}
	return ts.Account(ctx, provider, providerAccountID)
}

// UpdateAccountTokens implements [latch.AccountTokenStore] with the SQL
// store.
func (s *Store) UpdateAccountTokens(ctx context.Context, provider, providerAccountID string, t latch.OAuthTokens, refreshError string) error {
	ts, ok := s.Store.(latch.AccountTokenStore)
	if !ok {
		return errNoAccountTokens
	}
	return ts.UpdateAccountTokens(ctx, provider, providerAccountID, t, refreshError)
}

// AccountsAfter implements [latch.AccountLister] with the SQL store.
func (s *Store) AccountsAfter(ctx context.Context, provider, providerAccountID string, limit int) ([]latch.LinkedAccount, error) {
	l, ok := s.Store.(latch.AccountLister)
	if !ok {
		return nil, errors.New("redis: the wrapped store does not list accounts (latch.AccountLister)")
	}
	return l.AccountsAfter(ctx, provider, providerAccountID, limit)
}
