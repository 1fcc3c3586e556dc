// Package sqlite is a [latch.Store] on an embedded SQLite database
// (modernc.org/sqlite: pure Go, no cgo). The database runs in WAL mode with
// foreign keys on; versioned migrations are applied by [Open].
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/internal/sessioncache"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a [latch.Store] on SQLite. It is safe for concurrent use.
type Store struct {
	db *sql.DB
	// Now returns the current time; tests may replace it.
	Now func() time.Time
	// Timeout bounds every call (DefaultTimeout when zero, none when
	// negative): a database that stops answering fails requests fast
	// instead of holding them. Set it before the store is used.
	Timeout time.Duration

	// sessions holds sessions read recently (see sessioncache.go);
	// watchOnce starts the reader of changes, stopWatch and watchDone
	// end it.
	sessions  *sessioncache.Cache
	watchOnce sync.Once
	stopWatch context.CancelFunc
	watchDone chan struct{}
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

// maxConns is the size of the connection pool: enough for concurrent
// reads (WAL), few enough that a burst does not leave a file descriptor
// per request it ever had in flight. Callers beyond it wait for a
// connection, within their deadline.
func maxConns() int { return max(8, 2*runtime.GOMAXPROCS(0)) }

var (
	_ latch.AccountTokenStore       = (*Store)(nil)
	_ latch.AccountLister           = (*Store)(nil)
	_ latch.Store                   = (*Store)(nil)
	_ latch.VerificationTokenReader = (*Store)(nil)
)

// Open opens (creating if needed) the database file at path, applies
// pending migrations and returns the store. Its directory is created too.
func Open(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("sqlite: %w", err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(maxConns())
	db.SetMaxIdleConns(maxConns())
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &Store{db: db, Now: time.Now, sessions: sessioncache.New(0)}
	if err := s.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.watchOnce.Do(func() {}) // no reader starts after this
	if s.stopWatch != nil {
		s.stopWatch()
		<-s.watchDone
	}
	return s.db.Close()
}

// Migrate applies the migrations the database lacks, each in its own
// transaction, and records them in latch_migrations.
func (s *Store) Migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS latch_migrations (version INTEGER PRIMARY KEY, applied INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	known := 0
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migration %s has no version number", name)
		}
		body, _ := migrations.ReadFile(name)
		if err := s.apply(ctx, version, string(body)); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
		known = max(known, version)
	}
	var newest int
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM latch_migrations`).Scan(&newest); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if newest > known {
		return fmt.Errorf("sqlite: the database has migration %d, newer than this Latch knows (%d): it was upgraded by a newer version; run that one", newest, known)
	}
	return s.syncEmailKeys(ctx)
}

func (s *Store) apply(ctx context.Context, version int, body string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM latch_migrations WHERE version = ?`, version).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, body); err != nil {
		return err
	}
	if step := migrationSteps[version]; step != nil {
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO latch_migrations (version, applied) VALUES (?, ?)`, version, s.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}

// migrationSteps are the parts of migrations done in Go, after the SQL
// of the same version and in its transaction.
var migrationSteps = map[int]func(context.Context, *sql.Tx) error{
	2: func(ctx context.Context, tx *sql.Tx) error {
		if err := syncEmailKeys(ctx, tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `CREATE UNIQUE INDEX users_email_key ON users (email_key)`)
		return err
	},
}

// syncEmailKeys sets every user's email_key to emailKey(email) where it
// is not: all of them when migration 2 adds the column, and afterwards
// the rows that another program (an older Latch, the sqlite3 tool) wrote
// without it. Users whose emails have the same key stop it with an error
// naming them.
func syncEmailKeys(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, email, email_key FROM users WHERE email IS NOT NULL OR email_key IS NOT NULL`)
	if err != nil {
		return err
	}
	type user struct {
		id       string
		email    sql.NullString
		key, old sql.NullString
	}
	var stale []user
	owner := map[string]string{}
	for rows.Next() {
		var u user
		if err := rows.Scan(&u.id, &u.email, &u.old); err != nil {
			rows.Close()
			return err
		}
		if u.email.Valid {
			u.key = sql.NullString{String: latch.FoldEmail(u.email.String), Valid: true}
			if other, taken := owner[u.key.String]; taken {
				rows.Close()
				return fmt.Errorf("users %s and %s have the same email address %q when case is ignored; Latch needs emails unique regardless of case. "+
					"Change one with the sqlite3 tool, e.g. sqlite3 latch.db \"UPDATE users SET email = 'another address' WHERE id = '%s'\", then start Latch again",
					other, u.id, u.key.String, u.id)
			}
			owner[u.key.String] = u.id
		}
		if u.key != u.old {
			stale = append(stale, u)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// Clear first, so that a key moving from one user to another never
	// meets itself in the unique index.
	for _, u := range stale {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_key = NULL WHERE id = ?`, u.id); err != nil {
			return err
		}
	}
	for _, u := range stale {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email_key = ? WHERE id = ?`, u.key, u.id); err != nil {
			return err
		}
	}
	return nil
}

// syncEmailKeys runs syncEmailKeys in a transaction of its own.
func (s *Store) syncEmailKeys(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := syncEmailKeys(ctx, tx); err != nil {
		return fmt.Errorf("sqlite: email keys: %w", err)
	}
	return tx.Commit()
}

// emailKey is the form of an email address that is unique among users:
// latch.FoldEmail, NULL for none.
func emailKey(email string) any {
	if email == "" {
		return nil
	}
	return latch.FoldEmail(email)
}

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.db.PingContext(ctx)
}

// storeErr maps constraint violations to latch.ErrConflict and
// latch.ErrNotFound (a missing foreign key row).
func storeErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return latch.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w", op, latch.ErrConflict)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: %w", op, latch.ErrNotFound)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

func ms(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v sql.NullInt64) time.Time {
	if !v.Valid {
		return time.Time{}
	}
	return time.UnixMilli(v.Int64).UTC()
}

func null(s string) any {
	if s == "" {
		return nil
	}
	return s
}

const userCols = `id, name, email, "emailVerified", image`

type scanner interface{ Scan(...any) error }

func scanUser(row scanner) (*latch.StoredUser, error) {
	var u latch.StoredUser
	var name, email, image sql.NullString
	var verified sql.NullInt64
	if err := row.Scan(&u.ID, &name, &email, &verified, &image); err != nil {
		return nil, err
	}
	u.Name, u.Email, u.Image = name.String, email.String, image.String
	u.EmailVerified = fromMS(verified)
	return &u, nil
}

// CreateUser implements [latch.UserStore].
func (s *Store) CreateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if u.ID == "" {
		u.ID = uuid.NewString()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO users (`+userCols+`, email_key) VALUES (?, ?, ?, ?, ?, ?)`,
		u.ID, null(u.Name), null(u.Email), ms(u.EmailVerified), null(u.Image), emailKey(u.Email))
	if err != nil {
		return nil, storeErr("create user", err)
	}
	return &u, nil
}

// User implements [latch.UserStore].
func (s *Store) User(ctx context.Context, id string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, storeErr("user", err)
}

// UserByEmail implements [latch.UserStore].
func (s *Store) UserByEmail(ctx context.Context, email string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE email_key = ?`, emailKey(email)))
	return u, storeErr("user by email", err)
}

// UpdateUser implements [latch.UserStore].
func (s *Store) UpdateUser(ctx context.Context, u latch.StoredUser) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `UPDATE users SET name = ?, email = ?, "emailVerified" = ?, image = ?, email_key = ? WHERE id = ?`,
		null(u.Name), null(u.Email), ms(u.EmailVerified), null(u.Image), emailKey(u.Email), u.ID)
	s.sessions.ForgetUsers(u.ID)
	if err != nil {
		return nil, storeErr("update user", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, latch.ErrNotFound
	}
	return &u, nil
}

// DeleteUser implements [latch.UserStore]; accounts, sessions and the
// password go with the user (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetUsers(id)
	return s.execOne(ctx, "delete user", `DELETE FROM users WHERE id = ?`, id)
}

func (s *Store) execOne(ctx context.Context, op, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return storeErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return latch.ErrNotFound
	}
	return nil
}

// ListUsers implements [latch.UserStore].
func (s *Store) ListUsers(ctx context.Context) ([]*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY email_key, id`)
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
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM passwords WHERE "userId" = ?`, userID).Scan(&h)
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
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT CASE
		WHEN hash LIKE '$2_$__$%' THEN substr(hash, 1, 7)
		WHEN hash LIKE '$argon2id$%$%$%' THEN substr(hash, 1, 15 + instr(substr(hash, 16), '$'))
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
	_, err := s.db.ExecContext(ctx, `INSERT INTO passwords ("userId", hash, updated) VALUES (?, ?, ?)
		ON CONFLICT ("userId") DO UPDATE SET hash = excluded.hash, updated = excluded.updated`, userID, hash, s.Now().UnixMilli())
	return storeErr("set password hash", err)
}

const accountCols = `"userId", type, provider, "providerAccountId", refresh_token, access_token, expires_at, id_token, scope, session_state, token_type`

// LinkAccount implements [latch.AccountStore].
func (s *Store) LinkAccount(ctx context.Context, a latch.LinkedAccount) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var exp any
	if a.ExpiresAt != 0 {
		exp = a.ExpiresAt
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO accounts (`+accountCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.UserID, a.Type, a.Provider, a.ProviderAccountID, null(a.RefreshToken), null(a.AccessToken), exp,
		null(a.IDToken), null(a.Scope), null(a.SessionState), null(a.TokenType))
	return storeErr("link account", err)
}

// UserByAccount implements [latch.AccountStore].
func (s *Store) UserByAccount(ctx context.Context, provider, providerAccountID string) (*latch.StoredUser, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT u.id, u.name, u.email, u."emailVerified", u.image
		FROM accounts a JOIN users u ON u.id = a."userId" WHERE a.provider = ? AND a."providerAccountId" = ?`, provider, providerAccountID))
	return u, storeErr("user by account", err)
}

// Accounts implements [latch.AccountStore].
func (s *Store) Accounts(ctx context.Context, userID string) ([]latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts WHERE "userId" = ? ORDER BY provider, "providerAccountId"`, userID)
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

func scanAccount(row interface{ Scan(...any) error }) (*latch.LinkedAccount, error) {
	var a latch.LinkedAccount
	var rt, at, it, sc, ss, tt, re sql.NullString
	var exp sql.NullInt64
	if err := row.Scan(&a.UserID, &a.Type, &a.Provider, &a.ProviderAccountID, &rt, &at, &exp, &it, &sc, &ss, &tt, &re); err != nil {
		return nil, err
	}
	a.RefreshToken, a.AccessToken, a.ExpiresAt = rt.String, at.String, exp.Int64
	a.IDToken, a.Scope, a.SessionState, a.TokenType = it.String, sc.String, ss.String, tt.String
	a.RefreshError = re.String
	return &a, nil
}

// Account implements [latch.AccountTokenStore].
func (s *Store) Account(ctx context.Context, provider, providerAccountID string) (*latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	a, err := scanAccount(s.db.QueryRowContext(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts WHERE provider = ? AND "providerAccountId" = ?`, provider, providerAccountID))
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
	return s.execOne(ctx, "update account tokens", `UPDATE accounts SET refresh_token = ?, access_token = ?, expires_at = ?, id_token = ?,
		scope = ?, session_state = ?, token_type = ?, latch_refresh_error = ? WHERE provider = ? AND "providerAccountId" = ?`,
		null(t.RefreshToken), null(t.AccessToken), exp, null(t.IDToken), null(t.Scope), null(t.SessionState), null(t.TokenType),
		null(refreshError), provider, providerAccountID)
}

// AccountsAfter implements [latch.AccountLister].
func (s *Store) AccountsAfter(ctx context.Context, provider, providerAccountID string, limit int) ([]latch.LinkedAccount, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT `+accountCols+`, latch_refresh_error FROM accounts
		WHERE provider > ? OR (provider = ? AND "providerAccountId" > ?) ORDER BY provider, "providerAccountId" LIMIT ?`,
		provider, provider, providerAccountID, limit)
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
	return s.execOne(ctx, "unlink account", `DELETE FROM accounts WHERE provider = ? AND "providerAccountId" = ?`, provider, providerAccountID)
}

// CreateSession implements [latch.SessionStore].
func (s *Store) CreateSession(ctx context.Context, r latch.SessionRecord) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions ("sessionToken", "userId", expires) VALUES (?, ?, ?)`, r.Token, r.UserID, r.Expires.UnixMilli())
	return storeErr("create session", err)
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
	var exp sql.NullInt64
	var u latch.StoredUser
	var name, email, image sql.NullString
	var verified sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT s."sessionToken", s."userId", s.expires, u.id, u.name, u.email, u."emailVerified", u.image
		FROM sessions s JOIN users u ON u.id = s."userId" WHERE s."sessionToken" = ?`, token).
		Scan(&r.Token, &r.UserID, &exp, &u.ID, &name, &email, &verified, &image)
	if err != nil {
		return nil, nil, storeErr("session", err)
	}
	r.Expires = fromMS(exp)
	u.Name, u.Email, u.Image, u.EmailVerified = name.String, email.String, image.String, fromMS(verified)
	s.sessions.Put(gen, &r, &u)
	return &r, &u, nil
}

// UpdateSessionExpiry implements [latch.SessionStore].
func (s *Store) UpdateSessionExpiry(ctx context.Context, token string, expires time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetToken(token)
	return s.execOne(ctx, "update session", `UPDATE sessions SET expires = ? WHERE "sessionToken" = ?`, expires.UnixMilli(), token)
}

// DeleteSession implements [latch.SessionStore].
func (s *Store) DeleteSession(ctx context.Context, token string) (*latch.SessionRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	defer s.sessions.ForgetToken(token)
	var r latch.SessionRecord
	var exp sql.NullInt64
	err := s.db.QueryRowContext(ctx, `DELETE FROM sessions WHERE "sessionToken" = ? RETURNING "sessionToken", "userId", expires`, token).
		Scan(&r.Token, &r.UserID, &exp)
	if err != nil {
		return nil, storeErr("delete session", err)
	}
	r.Expires = fromMS(exp)
	return &r, nil
}

// UserSessions implements [latch.SessionStore].
func (s *Store) UserSessions(ctx context.Context, userID string) ([]latch.SessionRecord, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT "sessionToken", "userId", expires FROM sessions WHERE "userId" = ? ORDER BY expires DESC`, userID)
	if err != nil {
		return nil, storeErr("user sessions", err)
	}
	defer rows.Close()
	out := []latch.SessionRecord{}
	for rows.Next() {
		var r latch.SessionRecord
		var exp sql.NullInt64
		if err := rows.Scan(&r.Token, &r.UserID, &exp); err != nil {
			return nil, storeErr("user sessions", err)
		}
		r.Expires = fromMS(exp)
		out = append(out, r)
	}
	return out, storeErr("user sessions", rows.Err())
}

// DeleteUserSessions implements [latch.SessionStore].
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE "userId" = ?`, userID)
	s.sessions.ForgetUsers(userID)
	if err != nil {
		return 0, storeErr("delete user sessions", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// CreateVerificationToken implements [latch.VerificationTokenStore].
func (s *Store) CreateVerificationToken(ctx context.Context, t latch.VerificationToken) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO verification_token (identifier, token, expires) VALUES (?, ?, ?)`, t.Identifier, t.Token, t.Expires.UnixMilli())
	return storeErr("create verification token", err)
}

// VerificationToken implements [latch.VerificationTokenReader].
func (s *Store) VerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.VerificationToken
	var exp sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT identifier, token, expires FROM verification_token WHERE identifier = ? AND token = ?`, identifier, token).
		Scan(&t.Identifier, &t.Token, &exp)
	if err != nil {
		return nil, storeErr("read verification token", err)
	}
	t.Expires = fromMS(exp)
	return &t, nil
}

// UseVerificationToken implements [latch.VerificationTokenStore].
func (s *Store) UseVerificationToken(ctx context.Context, identifier, token string) (*latch.VerificationToken, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var t latch.VerificationToken
	var exp sql.NullInt64
	err := s.db.QueryRowContext(ctx, `DELETE FROM verification_token WHERE identifier = ? AND token = ? RETURNING identifier, token, expires`, identifier, token).
		Scan(&t.Identifier, &t.Token, &exp)
	if err != nil {
		return nil, storeErr("use verification token", err)
	}
	t.Expires = fromMS(exp)
	return &t, nil
}

// DeleteExpired implements [latch.ExpiredDeleter].
func (s *Store) DeleteExpired(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n := 0
	for _, q := range []string{
		`DELETE FROM sessions WHERE expires < ?`,
		`DELETE FROM verification_token WHERE expires < ?`,
		`DELETE FROM latch_refresh_families WHERE expires < ?`,
		`DELETE FROM latch_session_sightings WHERE expires < ?`,
	} {
		res, err := s.db.ExecContext(ctx, q, before.UnixMilli())
		if err != nil {
			return n, fmt.Errorf("sqlite: delete expired: %w", err)
		}
		m, _ := res.RowsAffected()
		n += int(m)
	}
	// Not counted: these rows are history, not records that expired.
	if err := s.pruneChanges(ctx, s.db); err != nil {
		return n, fmt.Errorf("sqlite: delete expired: %w", err)
	}
	return n, nil
}

// RevokeSessionsBefore implements [latch.SessionRevocationStore].
func (s *Store) RevokeSessionsBefore(ctx context.Context, userID string, at time.Time) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	_, err := s.db.ExecContext(ctx, `INSERT INTO latch_session_revocations ("userId", before) VALUES (?, ?)
		ON CONFLICT ("userId") DO UPDATE SET before = max(before, excluded.before)`, userID, at.UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: revoke sessions: %w", err)
	}
	return nil
}

// SessionsRevokedSince implements [latch.SessionRevocationStore].
func (s *Store) SessionsRevokedSince(ctx context.Context, since time.Time) (map[string]time.Time, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT "userId", before FROM latch_session_revocations WHERE before >= ?`, since.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: session revocations: %w", err)
	}
	defer rows.Close()
	marks := map[string]time.Time{}
	for rows.Next() {
		var id string
		var ms int64
		if err := rows.Scan(&id, &ms); err != nil {
			return nil, fmt.Errorf("sqlite: session revocations: %w", err)
		}
		marks[id] = time.UnixMilli(ms)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: session revocations: %w", err)
	}
	return marks, nil
}

// SawSession implements [latch.SessionSightingStore].
func (s *Store) SawSession(ctx context.Context, v latch.SessionSighting) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var signedIn sql.NullInt64
	if !v.SignedIn.IsZero() {
		signedIn = sql.NullInt64{Int64: v.SignedIn.UnixMilli(), Valid: true}
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO latch_session_sightings (sid, "userId", "signedIn", "lastSeen", ip, "userAgent", expires)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sid) DO UPDATE SET "lastSeen" = excluded."lastSeen", ip = excluded.ip, "userAgent" = excluded."userAgent", expires = excluded.expires`,
		v.ID, v.UserID, signedIn, v.LastSeen.UnixMilli(), v.IP, v.UserAgent, v.Expires.UnixMilli())
	if err != nil {
		return fmt.Errorf("sqlite: record session: %w", err)
	}
	return nil
}

// UserSessionSightings implements [latch.SessionSightingStore].
func (s *Store) UserSessionSightings(ctx context.Context, userID string, now time.Time) ([]latch.SessionSighting, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	rows, err := s.db.QueryContext(ctx, `SELECT sid, "userId", "signedIn", "lastSeen", coalesce(ip, ''), coalesce("userAgent", ''), expires
		FROM latch_session_sightings WHERE "userId" = ? AND expires > ? ORDER BY "lastSeen" DESC`, userID, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("sqlite: user sessions: %w", err)
	}
	defer rows.Close()
	var out []latch.SessionSighting
	for rows.Next() {
		var v latch.SessionSighting
		var signedIn sql.NullInt64
		var last, exp int64
		if err := rows.Scan(&v.ID, &v.UserID, &signedIn, &last, &v.IP, &v.UserAgent, &exp); err != nil {
			return nil, fmt.Errorf("sqlite: user sessions: %w", err)
		}
		if signedIn.Valid {
			v.SignedIn = time.UnixMilli(signedIn.Int64)
		}
		v.LastSeen, v.Expires = time.UnixMilli(last), time.UnixMilli(exp)
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: user sessions: %w", err)
	}
	return out, nil
}

// SessionSighting implements [latch.SessionSightingStore].
func (s *Store) SessionSighting(ctx context.Context, sid string) (*latch.SessionSighting, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	var v latch.SessionSighting
	var signedIn sql.NullInt64
	var last, exp int64
	err := s.db.QueryRowContext(ctx, `SELECT sid, "userId", "signedIn", "lastSeen", coalesce(ip, ''), coalesce("userAgent", ''), expires
		FROM latch_session_sightings WHERE sid = ?`, sid).Scan(&v.ID, &v.UserID, &signedIn, &last, &v.IP, &v.UserAgent, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, latch.ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("sqlite: session sighting: %w", err)
	}
	if signedIn.Valid {
		v.SignedIn = time.UnixMilli(signedIn.Int64)
	}
	v.LastSeen, v.Expires = time.UnixMilli(last), time.UnixMilli(exp)
	return &v, nil
}
