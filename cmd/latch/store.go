package main

import (
	"context"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/redis"
	"github.com/latchauth/latch/store/sqlite"
)

// openStore opens the configured database: SQLite (a file path, the
// default) or PostgreSQL (a postgres:// URL), with sessions, verification
// tokens and rate limits in Redis when redis is set.
func openStore(ctx context.Context, c *config) (latch.Store, error) {
	var s latch.Store
	var err error
	switch {
	case isPostgres(c.Database):
		var ps *postgres.Store
		if ps, err = postgres.Open(ctx, c.Database); err == nil {
			ps.Timeout = c.limits.storeTimeout
			s = ps
		}
	default:
		var ss *sqlite.Store
		if ss, err = sqlite.Open(ctx, c.Database); err == nil {
			ss.Timeout = c.limits.storeTimeout
			s = ss
		}
	}
	if err != nil {
		return nil, err
	}
	if c.Redis != "" {
		rs, err := redis.Open(ctx, c.Redis, s, c.redisPrefix())
		if err != nil {
			s.Close()
			return nil, err
		}
		s = rs
	}
	return s, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// pinger is a store that can say whether it is reachable.
type pinger interface{ Ping(context.Context) error }
