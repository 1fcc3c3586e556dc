package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/redis"
)

// Redis key prefixes of the limiters latch serve makes (providers.go,
// serve.go), under the configured redisPrefix.
const (
	passwordLimitPrefix  = "limit:password:"
	twoFactorLimitPrefix = "limit:2fa:"
)

// userUnlock clears the rate-limit lockouts of a user: the failed
// password tries counted for their account (from every address) and the
// wrong second-factor codes. Only limits kept in Redis can be reached:
// without Redis, each latch serve counts in its own memory.
func userUnlock(ctx context.Context, e *env, c *config, s latch.Store, email string) error {
	if strings.TrimSpace(email) == "" {
		return usageError("user unlock: give the user's email address")
	}
	rs, ok := s.(*redis.Store)
	if !ok {
		return fmt.Errorf("user unlock: without redis, latch serve keeps its rate limits in its own memory, out of reach of this command: "+
			"a lockout ends %v after the last failed try, or when latch serve restarts (set redis to share the limits and unlock at once)",
			password.DefaultFailureWindow)
	}
	rdb := rs.Client()
	account := password.AccountKey(email)
	keys := []string{c.redisPrefix() + passwordLimitPrefix + account}
	// The per-account-and-address keys: every address the user tried from.
	pattern := c.redisPrefix() + passwordLimitPrefix + globEscape(password.KeyPrefixAccountIP+latch.FoldEmail(strings.TrimSpace(email))+" ") + "*"
	iter := rdb.Scan(ctx, 0, pattern, 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return fmt.Errorf("user unlock: %w", err)
	}
	if u, err := s.UserByEmail(ctx, email); err == nil {
		keys = append(keys, c.redisPrefix()+twoFactorLimitPrefix+"user:"+u.ID)
	} else if !errors.Is(err, latch.ErrNotFound) {
		return err
	}
	n, err := rdb.Del(ctx, keys...).Result()
	if err != nil {
		return fmt.Errorf("user unlock: %w", err)
	}
	audit(ctx, e.log, auditUnlock, "account", account, "counters_cleared", n)
	if n == 0 {
		fmt.Fprintf(e.stdout, "%s was not locked out (no failed tries counted in %s)\n", email, redactDSN(c.Redis))
		return nil
	}
	fmt.Fprintf(e.stdout, "unlocked %s: cleared %d rate-limit counter(s) in %s; they may sign in again at once\n", email, n, redactDSN(c.Redis))
	return nil
}

// globEscape escapes the characters special in a Redis MATCH pattern.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[]\^`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// databaseName names c's database for the output of commands: the
// absolute path of a SQLite file, a PostgreSQL URL without its password.
func databaseName(c *config) string {
	if isPostgres(c.Database) {
		return "PostgreSQL " + redactDSN(c.Database)
	}
	if abs, err := filepath.Abs(c.Database); err == nil {
		return "SQLite " + abs
	}
	return "SQLite " + c.Database
}
