// Package postgres is a [latch.Store] on PostgreSQL (13 or later), through
// pgx and its connection pool.
//
// The tables have the names and columns of the NextAuth PostgreSQL adapter
// (@auth/pg-adapter): users, accounts, sessions and verification_token, plus
// Latch's own passwords and latch_migrations. An existing NextAuth database
// can be opened as it is: its users.id is SERIAL (an integer) where a
// database created by Latch has TEXT ids (random UUIDs), and the store
// compares ids as text so both work. Versioned migrations, embedded from
// migrations/*.sql, are applied by [Open] under an advisory lock, so
// instances starting at the same time do not race.
//
// Emails are compared with lower(), which folds case by the database's
// LC_CTYPE: beyond ASCII with a UTF-8 locale (C.UTF-8, en_US.UTF-8), ASCII
// only with the C locale. The users table stays as NextAuth has it, so that
// an app still writing to it keeps working.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sessioncache"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the key of the transaction-level advisory lock held while
// migrating ("latchmig" in ASCII).
const migrationLock int64 = 0x6c617463686d6967

// PostgreSQL error codes the store maps to latch errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

// Store is a [latch.Store] on PostgreSQL. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// leases bounds the connections that hold provider-token leases to
	// half the pool, so that their holders always find a connection to
	// read and write the account with.
	leases chan struct{}
	// Timeout bounds every call (DefaultTimeout when zero, none when
	// negative): a database that stops answering (a frozen server, a
	// network partition) fails requests fast instead of holding them. Set
	// it before the store is used.
	Timeout time.Duration

	// sessions holds sessions read recently, kept current by watch (see
	// sessioncache.go).
	sessions *sessioncache.Cache
	watch    sessionWatch
}

// DefaultTimeout bounds each call of a Store whose Timeout is zero.
const DefaultTimeout = 5 * time.Second

// bound gives ctx the store's per-call deadline.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	switch {
	case s.Timeout < 0:
		return ctx, func() {}
	case s.Timeout == 0:
		return context.WithTimeout(ctx, DefaultTimeout)
	}
	return context.WithTimeout(ctx, s.Timeout)
}

var (
	_ latch.AccountTokenStore       = (*Store)(nil)
	_ latch.TokenLocker             = (*Store)(nil)
	_ latch.Store                   = (*Store)(nil)
	_ latch.VerificationTokenReader = (*Store)(nil)
)

// Open connects to the database at dsn (a postgres:// URL or a key=value
// connection string, as pgx accepts), applies pending migrations and
// returns the store.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is [Open] with a pool configuration built by the caller, for
// settings a connection string cannot carry.
func OpenConfig(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, leases: make(chan struct{}, max(1, pool.Config().MaxConns/2)), sessions: sessioncache.New(0)}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the connection pool.
func (s *Store) Close() error {
	s.stopWatching()
	s.pool.Close()
	return nil
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w", err)
	}
	return nil
}

type migration struct {
	version int
	name    string
	body    string
}

func loadMigrations() ([]migration, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, name := range names {
		base := path.Base(name)
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s has no version number", base)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("postgres: migration %s: %w", base, err)
		}
		out = append(out, migration{version: version, name: base, body: string(body)})
	}
	return out, nil
}

// Migrate applies the migrations the database lacks and records them in
// latch_migrations. It runs in one transaction that first takes a
// transaction-level advisory lock, so concurrent callers wait for each
// other and the second finds nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	return s.inTx(ctx, "migrate", func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS latch_migrations (
			version INTEGER PRIMARY KEY,
			applied TIMESTAMPTZ NOT NULL DEFAULT now())`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", err)
		}
		for _, m := range ms {
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM latch_migrations WHERE version = $1)`, m.version).Scan(&done); err != nil {
				return fmt.Errorf("postgres: migrate: %w", err)
			}
			if done {
				continue
			}
			// Without arguments pgx uses the simple protocol, which runs
			// the several statements of a migration file.
			if _, err := tx.Exec(ctx, m.body); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO latch_migrations (version) VALUES ($1)`, m.version); err != nil {
				return fmt.Errorf("postgres: migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

// inTx runs fn in a transaction, committed when fn returns nil and rolled
// back otherwise. fn's error is returned as it is; failures to begin or
// commit are prefixed with op.
func (s *Store) inTx(ctx context.Context, op string, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return storeErr(op, err)
	}
	return nil
}

// storeErr maps constraint violations to latch.ErrConflict and
// latch.ErrNotFound (a missing row a foreign key points to), and a missing
// row to latch.ErrNotFound.
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return latch.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case codeUniqueViolation:
			return fmt.Errorf("postgres: %s: %w", op, latch.ErrConflict)
		case codeForeignKeyViolation:
			return fmt.Errorf("postgres: %s: %w", op, latch.ErrNotFound)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// execOne runs a statement that must touch a row: none is ErrNotFound.
func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	tag, err := s.pool.Exec(ctx, query, args...)
	if err != nil {
		return storeErr(op, err)
	}
	if tag.RowsAffected() == 0 {
		return latch.ErrNotFound
	}
	return nil
}

// null is s, or SQL NULL when s is empty.
func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullTime is t, or SQL NULL when t is zero.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func utc(p *time.Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.UTC()
}

// userCols are the columns scanUser reads; ids are read as text whatever
// the column type.
const userCols = `id::text, name, email, "emailVerified", image`

func scanUser(row pgx.Row) (*latch.StoredUser, error) {
	var u latch.StoredUser
	var name, email, image *string
	var verified *time.Time
	if err := row.Scan(&u.ID, &name, &email, &verified, &image); err != nil {
		return nil, err
	}
	u.Name, u.Email, u.Image = str(name), str(email), str(image)
	u.EmailVerified = utc(verified)
	return &u, nil
}

// CreateUser implements [latch.UserStore]. Without u.ID the database picks
// the id: a random UUID, or the next number where users.id is SERIAL.
func (s *Store) CreateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var err error
	if u.ID == "" {
		err = s.pool.QueryRow(ctx, `INSERT INTO users (name, email, "emailVerified", image) VALUES ($1, $2, $3, $4) RETURNING id::text`,
			null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image)).Scan(&u.ID)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO users (id, name, email, "emailVerified", image) VALUES ($1, $2, $3, $4, $5)`,
			u.ID, null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image))
	}
	if err != nil {
		return nil, storeErr("create user", err)
	}
	return &u, nil
}

// User implements [latch.UserStore].
func (s *Store) User(ctx context.Context, id string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users WHERE id::text = $1`, id))
	return u, storeErr("user", err)
}

// UserByEmail implements [latch.UserStore].
func (s *Store) UserByEmail(ctx context.Context, email string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	// lower() may fold a non-ASCII letter into an ASCII one (the Kelvin
	// sign into k): an ASCII address only matches an ASCII one.
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userCols+` FROM users
		WHERE lower(email) = lower($1) AND (email ~ '^[[:ascii:]]*$') = ($1 ~ '^[[:ascii:]]*$')`, email))
	return u, storeErr("user by email", err)
}

// UpdateUser implements [latch.UserStore].
func (s *Store) UpdateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	err := s.execOne(ctx, "update user", `UPDATE users SET name = $1, email = $2, "emailVerified" = $3, image = $4 WHERE id::text = $5`,
		null(u.Name), null(u.Email), nullTime(u.EmailVerified), null(u.Image), u.ID)
	s.sessions.ForgetUsers(u.ID)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// DeleteUser implements [latch.UserStore]. The user's sessions, accounts
// and password are deleted in the same transaction: a NextAuth database may
// have no ON DELETE CASCADE foreign keys to rely on.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetUsers(id)
	return s.inTx(ctx, "delete user", func(tx pgx.Tx) error {
		for _, q := range []string{
			`DELETE FROM sessions WHERE "userId"::text = $1`,
			`DELETE FROM accounts WHERE "userId"::text = $1`,
			`DELETE FROM passwords WHERE "userId"::text = $1`,
			`DELETE FROM latch_refresh_families WHERE "userId" = $1`,
			`DELETE FROM authenticators WHERE "userId" = $1`,
			`DELETE FROM latch_totp WHERE "userId" = $1`,
			`DELETE FROM latch_recovery_codes WHERE "userId" = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return storeErr("delete user", err)
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM users WHERE id::text = $1`, id)
		if err != nil {
			return storeErr("delete user", err)
		}
		if tag.RowsAffected() == 0 {
			return latch.ErrNotFound
		}
		return nil
	})
}

// ListUsers implements [latch.UserStore]. Users without an email come last.
func (s *Store) ListUsers(ctx context.Context) ([]*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+userCols+` FROM users ORDER BY lower(email), id::text`)
	if err != nil {
		return nil, storeErr("list users", err)
	}
	defer rows.Close()
	var out []*latch.StoredUser
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, storeErr("list users", err)
		}
		out = append(out, u)
	}
	return out, storeErr("list users", rows.Err())
}

// PasswordHash implements [latch.UserStore].
func (s *Store) PasswordHash(ctx context.Context, userID string) (string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var h string
	err := s.pool.QueryRow(ctx, `SELECT hash FROM passwords WHERE "userId"::text = $1`, userID).Scan(&h)
	return h, storeErr("password hash", err)
}

// PasswordHashParams returns the distinct parameter prefixes of the
// stored password hashes ("$2b$12$", "$argon2id$v=19$m=19456,t=2,p=1$"),
// and "" for hashes of other formats. It implements
// password.HashInventory: the password provider checks every password
// against each kind, so that sign-in times do not tell users apart. It
// reads the whole table.
func (s *Store) PasswordHashParams(ctx context.Context) ([]string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT CASE
		WHEN hash LIKE '$2_$__$%' THEN substr(hash, 1, 7)
		WHEN hash LIKE '$argon2id$%$%$%' THEN substr(hash, 1, 15 + strpos(substr(hash, 16), '$'))
		ELSE '' END FROM passwords`)
	if err != nil {
		return nil, storeErr("password hash parameters", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, storeErr("password hash parameters", err)
		}
		out = append(out, p)
	}
	return out, storeErr("password hash parameters", rows.Err())
}

// SetPasswordHash implements [latch.UserStore].
func (s *Store) SetPasswordHash(ctx context.Context, userID, hash string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "set password hash", `INSERT INTO passwords ("userId", hash, updated)
		SELECT id, $2::text, now() FROM users WHERE id::text = $1
		ON CONFLICT ("userId") DO UPDATE SET hash = excluded.hash, updated = excluded.updated`, userID, hash)
}

const accountCols = `"userId"::text, type, provider, "providerAccountId", refresh_token, access_token, expires_at, id_token, scope, session_state, token_type`

// LinkAccount implements [latch.AccountStore].
func (s *Store) LinkAccount(ctx context.Context, a latch.LinkedAccount) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var exp any
	if a.ExpiresAt != 0 {
		exp = a.ExpiresAt
	}
	// Selecting the user makes a missing one insert no row, with or
	// without a foreign key on accounts."userId".
	return s.execOne(ctx, "link account", `INSERT INTO accounts ("userId", type, provider, "providerAccountId", refresh_token, access_token, expires_at, id_token, scope, session_state, token_type)
		SELECT id, $2::text, $3::text, $4::text, $5::text, $6::text, $7::bigint, $8::text, $9::text, $10::text, $11::text FROM users WHERE id::text = $1`,
		a.UserID, a.Type, a.Provider, a.ProviderAccountID, null(a.RefreshToken), null(a.AccessToken), exp,
		null(a.IDToken), null(a.Scope), null(a.SessionState), null(a.TokenType))
}

// UserByAccount implements [latch.AccountStore].
func (s *Store) UserByAccount(ctx context.Context, provider, providerAccountID string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT u.id::text, u.name, u.email, u."emailVerified", u.image
		FROM accounts a JOIN users u ON u.id = a."userId" WHERE a.provider = $1 AND a."providerAccountId" = $2`, provider, providerAccountID))
	return u, storeErr("user by account", err)
}

// Accounts implements [latch.AccountStore].
func (s *Store) Accounts(ctx context.Context, userID string) ([]latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts WHERE "userId"::text = $1 ORDER BY provider, "providerAccountId"`, userID)
	if err != nil {
		return nil, storeErr("accounts", err)
	}
	defer rows.Close()
	out := []latch.LinkedAccount{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, storeErr("accounts", err)
		}
		out = append(out, *a)
	}
	return out, storeErr("accounts", rows.Err())
}

func scanAccount(row pgx.Row) (*latch.LinkedAccount, error) {
	var a latch.LinkedAccount
	var rt, at, it, sc, ss, tt, re *string
	var exp *int64
	if err := row.Scan(&a.UserID, &a.Type, &a.Provider, &a.ProviderAccountID, &rt, &at, &exp, &it, &sc, &ss, &tt, &re); err != nil {
		return nil, err
	}
	a.RefreshToken, a.AccessToken, a.IDToken = str(rt), str(at), str(it)
	a.Scope, a.SessionState, a.TokenType, a.RefreshError = str(sc), str(ss), str(tt), str(re)
	if exp != nil {
		a.ExpiresAt = *exp
	}
	return &a, nil
}

// Account implements [latch.AccountTokenStore].
func (s *Store) Account(ctx context.Context, provider, providerAccountID string) (*latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAccount(s.pool.QueryRow(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts WHERE provider = $1 AND "providerAccountId" = $2`, provider, providerAccountID))
	return a, storeErr("account", err)
}

// UpdateAccountTokens implements [latch.AccountTokenStore].
func (s *Store) UpdateAccountTokens(ctx context.Context, provider, providerAccountID string, t latch.OAuthTokens, refreshError string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var exp any
	if t.ExpiresAt != 0 {
		exp = t.ExpiresAt
	}
	return s.execOne(ctx, "update account tokens", `UPDATE accounts SET refresh_token = $1::text, access_token = $2::text, expires_at = $3::bigint,
		id_token = $4::text, scope = $5::text, session_state = $6::text, token_type = $7::text, latch_refresh_error = $8::text
		WHERE provider = $9 AND "providerAccountId" = $10`,
		null(t.RefreshToken), null(t.AccessToken), exp, null(t.IDToken), null(t.Scope), null(t.SessionState), null(t.TokenType),
		null(refreshError), provider, providerAccountID)
}

// tokenLockClass is the first key of the session-level advisory locks
// that are the leases of provider token refreshes ("LTok").
const tokenLockClass = 0x4c546f6b

// LockTokens implements [latch.TokenLocker] with a PostgreSQL
// session-level advisory lock on a connection of its own, held until
// unlock (however slow the refresh) and released by the server when the
// connection dies with its instance.
func (s *Store) LockTokens(ctx context.Context, key string) (func(), error) {
	select {
	case s.leases <- struct{}{}:
	case <-ctx.Done():
		return nil, storeErr("lock tokens", ctx.Err())
	}
	actx, cancel := s.bound(ctx)
	conn, err := s.pool.Acquire(actx)
	cancel()
	if err != nil {
		<-s.leases
		return nil, storeErr("lock tokens", err)
	}
	h := fnv.New32a()
	h.Write([]byte(key))
	k := int32(h.Sum32())
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1, $2)`, int32(tokenLockClass), k); err != nil {
		// A cancelled wait may leave the connection mid-query: drop it.
		conn.Conn().Close(context.Background())
		conn.Release()
		<-s.leases
		return nil, storeErr("lock tokens", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock($1, $2)`, int32(tokenLockClass), k); err != nil {
				conn.Conn().Close(ctx) // the server releases the lock with the connection
			}
			conn.Release()
			<-s.leases
		})
	}, nil
}

// AccountsAfter implements [latch.AccountLister].
func (s *Store) AccountsAfter(ctx context.Context, provider, providerAccountID string, limit int) ([]latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts
		WHERE (provider, "providerAccountId") > ($1::text, $2::text) ORDER BY provider, "providerAccountId" LIMIT $3`,
		provider, providerAccountID, limit)
	if err != nil {
		return nil, storeErr("accounts after", err)
	}
	defer rows.Close()
	out := []latch.LinkedAccount{}
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, storeErr("accounts after", err)
		}
		out = append(out, *a)
	}
	return out, storeErr("accounts after", rows.Err())
}

// UnlinkAccount implements [latch.AccountStore].
func (s *Store) UnlinkAccount(ctx context.Context, provider, providerAccountID string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "unlink account", `DELETE FROM accounts WHERE provider = $1 AND "providerAccountId" = $2`, provider, providerAccountID)
}

// CreateSession implements [latch.SessionStore].
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.execOne(ctx, "create session", `INSERT INTO sessions ("sessionToken", "userId", expires)
		SELECT $1::text, id, $3::timestamptz FROM users WHERE id::text = $2`, r.Token, r.UserID, r.Expires)
}

// Session implements [latch.SessionStore].
func (s *Store) Session(ctx context.Context, token string) (*latch.SessionRecord, *latch.StoredUser, error) {
	s.watchSessions()
	if r, u, ok := s.sessions.Get(token); ok {
		return r, u, nil
	}
	gen := s.sessions.Begin()
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var r latch.SessionRecord
	var u latch.StoredUser
	var name, email, image *string
	var verified *time.Time
	err := s.pool.QueryRow(ctx, `SELECT s."sessionToken", s."userId"::text, s.expires, u.id::text, u.name, u.email, u."emailVerified", u.image
		FROM sessions s JOIN users u ON u.id = s."userId" WHERE s."sessionToken" = $1`, token).
		Scan(&r.Token, &r.UserID, &r.Expires, &u.ID, &name, &email, &verified, &image)
	if err != nil {
		return nil, nil, storeErr("session", err)
	}
	r.Expires = r.Expires.UTC()
	u.Name, u.Email, u.Image, u.EmailVerified = str(name), str(email), str(image), utc(verified)
	s.sessions.Put(gen, &r, &u)
	return &r, &u, nil
}

// UpdateSessionExpiry implements [latch.SessionStore].
func (s *Store) UpdateSessionExpiry(ctx context.Context, token string, expires time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetToken(token)
	return s.execOne(ctx, "update session", `UPDATE sessions SET expires = $1 WHERE "sessionToken" = $2`, expires, token)
}

// DeleteSession implements [latch.SessionStore].
func (s *Store) DeleteSession(ctx context.Context, token string) (*latch.SessionRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetToken(token)
	var r latch.SessionRecord
	err := s.pool.QueryRow(ctx, `DELETE FROM sessions WHERE "sessionToken" = $1 RETURNING "sessionToken", "userId"::text, expires`, token).
		Scan(&r.Token, &r.UserID, &r.Expires)
	if err != nil {
		return nil, storeErr("delete session", err)
	}
	r.Expires = r.Expires.UTC()
	return &r, nil
}

// UserSessions implements [latch.SessionStore].
func (s *Store) UserSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT "sessionToken", "userId"::text, expires FROM sessions WHERE "userId"::text = $1 ORDER BY expires DESC, "sessionToken"`, userID)
	if err != nil {
		return nil, storeErr("user sessions", err)
	}
	defer rows.Close()
	out := []latch.SessionRecord{}
	for rows.Next() {
		var r latch.SessionRecord
		if err := rows.Scan(&r.Token, &r.UserID, &r.Expires); err != nil {
			return nil, storeErr("user sessions", err)
		}
		r.Expires = r.Expires.UTC()
		out = append(out, r)
	}
	return out, storeErr("user sessions", rows.Err())
}

// DeleteUserSessions implements [latch.SessionStore].
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE "userId"::text = $1`, userID)
	s.sessions.ForgetUsers(userID)
	if err != nil {
		return 0, storeErr("delete user sessions", err)
	}
	return int(tag.RowsAffected()), nil
}

// CreateVerificationToken implements [latch.VerificationTokenStore].
func (s *Store) CreateVerificationToken(ctx context.Context, t latch.VerificationToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO verification_token (identifier, token, expires) VALUES ($1, $2, $3)`, t.Identifier, t.Token, t.Expires)
	return storeErr("create verification token", err)
}

// VerificationToken implements [latch.VerificationTokenReader].
func (s *Store) VerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.VerificationToken
	err := s.pool.QueryRow(ctx, `SELECT identifier, token, expires FROM verification_token WHERE identifier = $1 AND token = $2`, identifier, token).
		Scan(&t.Identifier, &t.Token, &t.Expires)
	if err != nil {
		return nil, storeErr("read verification token", err)
	}
	t.Expires = t.Expires.UTC()
	return &t, nil
}

// UseVerificationToken implements [latch.VerificationTokenStore].
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.VerificationToken
	err := s.pool.QueryRow(ctx, `DELETE FROM verification_token WHERE identifier = $1 AND token = $2 RETURNING identifier, token, expires`, identifier, token).
		Scan(&t.Identifier, &t.Token, &t.Expires)
	if err != nil {
		return nil, storeErr("use verification token", err)
	}
	t.Expires = t.Expires.UTC()
	return &t, nil
}

// DeleteExpired implements [latch.ExpiredDeleter].
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := 0
	for _, q := range []string{
		`DELETE FROM sessions WHERE expires < $1`,
		`DELETE FROM verification_token WHERE expires < $1`,
		`DELETE FROM latch_refresh_families WHERE expires < $1`,
		`DELETE FROM latch_session_sightings WHERE expires < $1`,
	} {
		tag, err := s.pool.Exec(ctx, q, before)
		if err != nil {
			return n, storeErr("delete expired", err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// RevokeSessionsBefore implements [latch.SessionRevocationStore].
func (s *Store) RevokeSessionsBefore(ctx context.Context, userID string, at time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO latch_session_revocations ("userId", before) VALUES ($1, $2)
		ON CONFLICT ("userId") DO UPDATE SET before = greatest(latch_session_revocations.before, excluded.before)`, userID, at)
	return storeErr("revoke sessions", err)
}

// SessionsRevokedSince implements [latch.SessionRevocationStore].
func (s *Store) SessionsRevokedSince(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT "userId", before FROM latch_session_revocations WHERE before >= $1`, since)
	if err != nil {
		return nil, storeErr("session revocations", err)
	}
	defer rows.Close()
	marks := map[string]time.Time{}
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			return nil, storeErr("session revocations", err)
		}
		marks[id] = at
	}
	return marks, storeErr("session revocations", rows.Err())
}

// SawSession implements [latch.SessionSightingStore].
func (s *Store) SawSession(ctx context.Context, v latch.SessionSighting) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.pool.Exec(ctx, `INSERT INTO latch_session_sightings (sid, "userId", "signedIn", "lastSeen", ip, "userAgent", expires)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (sid) DO UPDATE SET "lastSeen" = excluded."lastSeen", ip = excluded.ip, "userAgent" = excluded."userAgent", expires = excluded.expires`,
		v.ID, v.UserID, nullTime(v.SignedIn), v.LastSeen, v.IP, v.UserAgent, v.Expires)
	return storeErr("record session", err)
}

// UserSessionSightings implements [latch.SessionSightingStore].
func (s *Store) UserSessionSightings(ctx context.Context, userID string, now time.Time) ([]latch.SessionSighting, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.pool.Query(ctx, `SELECT sid, "userId", "signedIn", "lastSeen", coalesce(ip, ''), coalesce("userAgent", ''), expires
		FROM latch_session_sightings WHERE "userId" = $1 AND expires > $2 ORDER BY "lastSeen" DESC`, userID, now)
	if err != nil {
		return nil, storeErr("user sessions", err)
	}
	defer rows.Close()
	var out []latch.SessionSighting
	for rows.Next() {
		var v latch.SessionSighting
		var signedIn *time.Time
		if err := rows.Scan(&v.ID, &v.UserID, &signedIn, &v.LastSeen, &v.IP, &v.UserAgent, &v.Expires); err != nil {
			return nil, storeErr("user sessions", err)
		}
		if signedIn != nil {
			v.SignedIn = *signedIn
		}
		out = append(out, v)
	}
	return out, storeErr("user sessions", rows.Err())
}

// SessionSighting implements [latch.SessionSightingStore].
func (s *Store) SessionSighting(ctx context.Context, sid string) (*latch.SessionSighting, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var v latch.SessionSighting
	var signedIn *time.Time
	err := s.pool.QueryRow(ctx, `SELECT sid, "userId", "signedIn", "lastSeen", coalesce(ip, ''), coalesce("userAgent", ''), expires
		FROM latch_session_sightings WHERE sid = $1`, sid).Scan(&v.ID, &v.UserID, &signedIn, &v.LastSeen, &v.IP, &v.UserAgent, &v.Expires)
	if err != nil {
		return nil, storeErr("session sighting", err)
	}
	if signedIn != nil {
		v.SignedIn = *signedIn
	}
	return &v, nil
}
