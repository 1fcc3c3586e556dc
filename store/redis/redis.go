// Package redis keeps Latch's database sessions and email verification
// tokens in Redis (github.com/redis/go-redis), with Redis TTLs doing the
// expiry, and offers a rate limiter shared by every instance. Users and
// accounts stay in a SQL store: [Wrap] combines the two into one
// [latch.Store].
package redis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/latchauth/latch"
	goredis "github.com/redis/go-redis/v9"
)

// Store is a [latch.Store] whose sessions and verification tokens live in
// Redis and whose users and accounts live in the wrapped SQL store.
type Store struct {
	latch.Store // users, accounts (and the SQL connection)
	rdb         goredis.UniversalClient
	prefix      string
	// LeaseTerm is the term of provider-token leases (see
	// [Coordinator.LeaseTerm]). Default 10 s.
	LeaseTerm time.Duration
}

var (
	_ latch.Store                   = (*Store)(nil)
	_ latch.VerificationTokenReader = (*Store)(nil)
)

// Wrap returns a store that keeps sessions and verification tokens in rdb
// under keys starting with prefix (default "latch:"), and everything else
// in sql. Close closes both.
func Wrap(sql latch.Store, rdb goredis.UniversalClient, prefix string) *Store {
	if prefix == "" {
		prefix = "latch:"
	}
	return &Store{Store: sql, rdb: rdb, prefix: prefix}
}

// PasswordHashParams returns what the wrapped SQL store's method of that
// name returns (see password.HashInventory), or an error wrapping
// errors.ErrUnsupported when it has none.
func (s *Store) PasswordHashParams(ctx context.Context) ([]string, error) {
	if l, ok := s.Store.(interface {
		PasswordHashParams(context.Context) ([]string, error)
	}); ok {
		return l.PasswordHashParams(ctx)
	}
	return nil, fmt.Errorf("redis: the wrapped store cannot list password hash parameters: %w", errors.ErrUnsupported)
}

// Open connects to the Redis at url (redis://[user:pass@]host:port/db) and
// wraps sql; it pings Redis first so a wrong URL fails at once.
func Open(ctx context.Context, url string, sql latch.Store, prefix string) (*Store, error) {
	opts, err := goredis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	rdb := goredis.NewClient(opts)
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		return nil, fmt.Errorf("redis: ping %s: %w", opts.Addr, err)
	}
	if err := checkVersion(ctx, rdb); err != nil {
		rdb.Close()
		return nil, err
	}
	return Wrap(sql, rdb, prefix), nil
}

// checkVersion refuses servers older than Redis 7, which lack EXPIRE NX/GT.
func checkVersion(ctx context.Context, rdb goredis.UniversalClient) error {
	info, err := rdb.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("redis: INFO: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
			major, _, _ := strings.Cut(v, ".")
			if n, err := strconv.Atoi(major); err == nil && n < 7 {
				return fmt.Errorf("redis: server version %s; Latch needs Redis 7 or later", v)
			}
		}
	}
	return nil
}

// Close closes the Redis client and the SQL store.
func (s *Store) Close() error {
	return errors.Join(s.rdb.Close(), s.Store.Close())
}

// Ping checks Redis and, when it can, the SQL store (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if p, ok := s.Store.(interface{ Ping(context.Context) error }); ok {
		return p.Ping(ctx)
	}
	return nil
}

// Client returns the Redis client, e.g. for a [Limiter].
func (s *Store) Client() goredis.UniversalClient { return s.rdb }

func (s *Store) sessionKey(token string) string { return s.prefix + "session:" + token }
func (s *Store) userKey(userID string) string   { return s.prefix + "user-sessions:" + userID }
func (s *Store) tokenKey(identifier, token string) string {
	return s.prefix + "verification:" + identifier + "\x00" + token
}

type sessionValue struct {
	UserID  string `json:"u"`
	Expires int64  `json:"e"` // unix milliseconds
}

func redisErr(op string, err error) error {
	return fmt.Errorf("redis: %s: %w", op, err)
}

// CreateSession implements [latch.SessionStore].
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	if _, err := s.Store.User(ctx, r.UserID); err != nil {
		return err
	}
	v, _ := json.Marshal(sessionValue{r.UserID, r.Expires.UnixMilli()})
	ok, err := s.rdb.SetArgs(ctx, s.sessionKey(r.Token), v, goredis.SetArgs{Mode: "NX", ExpireAt: r.Expires}).Result()
	if errors.Is(err, goredis.Nil) || (err == nil && ok != "OK") {
		return fmt.Errorf("redis: create session: %w", latch.ErrConflict)
	}
	if err != nil {
		return redisErr("create session", err)
	}
	pipe := s.rdb.Pipeline()
	// The index lives as long as its longest session.
	ttl := time.Until(r.Expires) + time.Minute
	pipe.SAdd(ctx, s.userKey(r.UserID), r.Token)
	pipe.ExpireNX(ctx, s.userKey(r.UserID), ttl)
	pipe.ExpireGT(ctx, s.userKey(r.UserID), ttl)
	if _, err := pipe.Exec(ctx); err != nil {
		return redisErr("index session", err)
	}
	return nil
}

func (s *Store) readSession(ctx context.Context, token string) (*latch.SessionRecord, error) {
	raw, err := s.rdb.Get(ctx, s.sessionKey(token)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, redisErr("session", err)
	}
	var v sessionValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, redisErr("session", err)
	}
	return &latch.SessionRecord{Token: token, UserID: v.UserID, Expires: time.UnixMilli(v.Expires).UTC()}, nil
}

// Session implements [latch.SessionStore].
func (s *Store) Session(ctx context.Context, token string) (*latch.SessionRecord, *latch.StoredUser, error) {
	r, err := s.readSession(ctx, token)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Store.User(ctx, r.UserID)
	if err != nil {
		return nil, nil, err
	}
	return r, u, nil
}

// UpdateSessionExpiry implements [latch.SessionStore].
func (s *Store) UpdateSessionExpiry(ctx context.Context, token string, expires time.Time) error {
	r, err := s.readSession(ctx, token)
	if err != nil {
		return err
	}
	v, _ := json.Marshal(sessionValue{r.UserID, expires.UnixMilli()})
	res, err := s.rdb.SetArgs(ctx, s.sessionKey(token), v, goredis.SetArgs{Mode: "XX", ExpireAt: expires}).Result()
	if errors.Is(err, goredis.Nil) || (err == nil && res != "OK") {
		return latch.ErrNotFound
	}
	if err != nil {
		return redisErr("update session", err)
	}
	s.rdb.ExpireGT(ctx, s.userKey(r.UserID), time.Until(expires)+time.Minute)
	return nil
}

// DeleteSession implements [latch.SessionStore].
func (s *Store) DeleteSession(ctx context.Context, token string) (*latch.SessionRecord, error) {
	raw, err := s.rdb.GetDel(ctx, s.sessionKey(token)).Bytes()
	if errors.Is(err, goredis.Nil) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, redisErr("delete session", err)
	}
	var v sessionValue
	json.Unmarshal(raw, &v)
	s.rdb.SRem(ctx, s.userKey(v.UserID), token)
	return &latch.SessionRecord{Token: token, UserID: v.UserID, Expires: time.UnixMilli(v.Expires).UTC()}, nil
}

// UserSessions implements [latch.SessionStore].
func (s *Store) UserSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	tokens, err := s.rdb.SMembers(ctx, s.userKey(userID)).Result()
	if err != nil {
		return nil, redisErr("user sessions", err)
	}
	out := []latch.SessionRecord{}
	if len(tokens) == 0 {
		return out, nil
	}
	keys := make([]string, len(tokens))
	for i, t := range tokens {
		keys[i] = s.sessionKey(t)
	}
	vals, err := s.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, redisErr("user sessions", err)
	}
	var gone []any
	for i, v := range vals {
		str, ok := v.(string)
		var sv sessionValue
		if !ok || json.Unmarshal([]byte(str), &sv) != nil || sv.UserID != userID {
			gone = append(gone, tokens[i])
			continue
		}
		out = append(out, latch.SessionRecord{Token: tokens[i], UserID: userID, Expires: time.UnixMilli(sv.Expires).UTC()})
	}
	if len(gone) > 0 {
		s.rdb.SRem(ctx, s.userKey(userID), gone...)
	}
	slices.SortFunc(out, func(a, b latch.SessionRecord) int { return b.Expires.Compare(a.Expires) })
	return out, nil
}

// DeleteUserSessions implements [latch.SessionStore].
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	tokens, err := s.rdb.SMembers(ctx, s.userKey(userID)).Result()
	if err != nil {
		return 0, redisErr("delete user sessions", err)
	}
	if len(tokens) == 0 {
		return 0, nil
	}
	keys := make([]string, len(tokens))
	for i, t := range tokens {
		keys[i] = s.sessionKey(t)
	}
	n, err := s.rdb.Del(ctx, keys...).Result()
	if err != nil {
		return 0, redisErr("delete user sessions", err)
	}
	// Only the tokens read: a session created meanwhile stays indexed, so a
	// later revoke still finds it.
	members := make([]any, len(tokens))
	for i, t := range tokens {
		members[i] = t
	}
	s.rdb.SRem(ctx, s.userKey(userID), members...)
	return int(n), nil
}

// DeleteUser deletes the user's sessions in Redis, then the user.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	if _, err := s.DeleteUserSessions(ctx, id); err != nil {
		return err
	}
	return s.Store.DeleteUser(ctx, id)
}

// CreateVerificationToken implements [latch.VerificationTokenStore].
func (s *Store) CreateVerificationToken(ctx context.Context, t latch.VerificationToken) error {
	if strings.ContainsRune(t.Identifier, 0) {
		return fmt.Errorf("redis: identifier contains NUL")
	}
	res, err := s.rdb.SetArgs(ctx, s.tokenKey(t.Identifier, t.Token), t.Expires.UnixMilli(), goredis.SetArgs{Mode: "NX", ExpireAt: t.Expires}).Result()
	if errors.Is(err, goredis.Nil) || (err == nil && res != "OK") {
		return fmt.Errorf("redis: create verification token: %w", latch.ErrConflict)
	}
	if err != nil {
		return redisErr("create verification token", err)
	}
	return nil
}

// VerificationToken implements [latch.VerificationTokenReader].
func (s *Store) VerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ms, err := s.rdb.Get(ctx, s.tokenKey(identifier, token)).Int64()
	if errors.Is(err, goredis.Nil) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, redisErr("read verification token", err)
	}
	return &latch.VerificationToken{Identifier: identifier, Token: token, Expires: time.UnixMilli(ms).UTC()}, nil
}

// UseVerificationToken implements [latch.VerificationTokenStore]: GETDEL
// makes it single-use even when two instances race.
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ms, err := s.rdb.GetDel(ctx, s.tokenKey(identifier, token)).Int64()
	if errors.Is(err, goredis.Nil) {
		return nil, latch.ErrNotFound
	}
	if err != nil {
		return nil, redisErr("use verification token", err)
	}
	return &latch.VerificationToken{Identifier: identifier, Token: token, Expires: time.UnixMilli(ms).UTC()}, nil
}

// DeleteExpired implements [latch.ExpiredDeleter] with the wrapped SQL
// store (what Redis keeps expires by itself).
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	if d, ok := s.Store.(latch.ExpiredDeleter); ok {
		return d.DeleteExpired(ctx, before)
	}
	return 0, nil
}

// RevokeSessionsBefore implements [latch.SessionRevocationStore] with the
// wrapped SQL store.
func (s *Store) RevokeSessionsBefore(ctx context.Context, userID string, at time.Time) error {
	rs, ok := s.Store.(latch.SessionRevocationStore)
	if !ok {
		return fmt.Errorf("redis: the wrapped store cannot record session revocations: %w", errors.ErrUnsupported)
	}
	return rs.RevokeSessionsBefore(ctx, userID, at)
}

// SessionsRevokedSince implements [latch.SessionRevocationStore] with the
// wrapped SQL store.
func (s *Store) SessionsRevokedSince(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	rs, ok := s.Store.(latch.SessionRevocationStore)
	if !ok {
		return nil, nil
	}
	return rs.SessionsRevokedSince(ctx, since)
}

// SawSession implements [latch.SessionSightingStore] with the wrapped SQL
// store.
func (s *Store) SawSession(ctx context.Context, v latch.SessionSighting) error {
	ss, ok := s.Store.(latch.SessionSightingStore)
	if !ok {
		return fmt.Errorf("redis: the wrapped store cannot record sessions: %w", errors.ErrUnsupported)
	}
	return ss.SawSession(ctx, v)
}

// UserSessionSightings implements [latch.SessionSightingStore] with the
// wrapped SQL store.
func (s *Store) UserSessionSightings(ctx context.Context, userID string, now time.Time) ([]latch.SessionSighting, error) {
	ss, ok := s.Store.(latch.SessionSightingStore)
	if !ok {
		return nil, nil
	}
	return ss.UserSessionSightings(ctx, userID, now)
}

// SessionSighting implements [latch.SessionSightingStore] with the wrapped
// SQL store.
func (s *Store) SessionSighting(ctx context.Context, sid string) (*latch.SessionSighting, error) {
	ss, ok := s.Store.(latch.SessionSightingStore)
	if !ok {
		return nil, latch.ErrNotFound
	}
	return ss.SessionSighting(ctx, sid)
}
