package password

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/clientip"
	"github.com/latchauth/latch/internal/ratelimit"
)

// DefaultMaxHashWait is how long a sign-in waits for a password check
// slot by default.
const DefaultMaxHashWait = 5 * time.Second

// CodeTooManyRequests is the error code of a sign-in refused by the rate
// limit or because the server is too busy hashing.
const CodeTooManyRequests = "TooManyRequests"

// Limiter key prefixes: failures are counted under KeyPrefixAccount plus
// the lower-cased email address, under KeyPrefixIP plus the client's key
// ([clientip.Key]: the address, or its /64 network for IPv6), and under
// KeyPrefixAccountIP plus both. Keys longer than 200 bytes are replaced
// by the prefix, "sha256:" and the hex SHA-256 of the rest.
const (
	KeyPrefixAccount   = "email:"
	KeyPrefixIP        = "ip:"
	KeyPrefixAccountIP = "email-ip:"
)

// Defaults of [Options].
const (
	DefaultMaxFailuresPerAccountIP = 5
	DefaultMaxFailuresPerAccount   = 50
	DefaultMaxFailuresPerIP        = 20
	DefaultFailureWindow           = 15 * time.Minute
)

// Store is what the provider needs of a user store; every [latch.Store]
// has it.
type Store interface {
	// UserByEmail returns the user with the email (case-insensitive), or
	// an error wrapping latch.ErrNotFound.
	UserByEmail(ctx context.Context, email string) (*latch.StoredUser, error)
	// PasswordHash returns the user's password hash, or an error wrapping
	// latch.ErrNotFound when the user has none.
	PasswordHash(ctx context.Context, userID string) (string, error)
	// SetPasswordHash replaces the user's password hash.
	SetPasswordHash(ctx context.Context, userID, hash string) error
}

// Limiter counts sign-in tries per key (see [KeyPrefixAccount] and
// [KeyPrefixIP]). A try is counted before the password is checked, so
// that concurrent tries cannot overshoot a limit, and taken back when it
// turns out not to be a failure. The default keeps counts in memory, per
// process; a limiter on shared storage (Redis, the database) makes the
// limits hold across replicas.
type Limiter interface {
	// Hit counts one try for key and reports whether it is within the
	// limit, atomically; a refused try is not counted, and retryAfter is
	// how long until key may try again.
	Hit(ctx context.Context, key string) (retryAfter time.Duration, ok bool, err error)
	// Undo takes back one counted try of key.
	Undo(ctx context.Context, key string) error
	// Reset forgets the tries of key.
	Reset(ctx context.Context, key string) error
}

// Options configures the provider. The zero value is ready to use.
type Options struct {
	// ID defaults to "credentials", Name to "Email and password".
	ID, Name string
	// Logger receives the failures that do not stop a sign-in (storing an
	// upgraded hash, recording a failure). Default slog.Default().
	Logger *slog.Logger
	// MaxConcurrentHashes bounds how many password checks run at once
	// (each takes 19 MiB for argon2id, more while the store holds
	// argon2id hashes with more memory); others wait up to MaxHashWait
	// (default DefaultMaxHashWait), then are refused with
	// TooManyRequests, status 503 and Retry-After, or give up with
	// TooManyRequests (429) when their request's context ends first.
	// Default runtime.GOMAXPROCS(0): a check keeps one CPU busy, so more
	// would add memory, not throughput.
	MaxConcurrentHashes int
	MaxHashWait         time.Duration
	// MaxFailuresPerAccountIP (default 5), MaxFailuresPerAccount
	// (default 50) and MaxFailuresPerIP (default 20) are how many failed
	// sign-ins one email address from one client address, one email
	// address from anywhere, and one client address may have within
	// FailureWindow (default 15 minutes) before further tries are refused
	// with TooManyRequests, without checking the password, until the
	// window ends. The tight limit is per address and account, so that
	// somebody guessing from one place cannot lock the owner out; the
	// per-account limit bounds guessing from many places. A negative
	// value turns a limit off. A successful sign-in resets the account's
	// counts, not the address's. They configure the default Limiter only.
	MaxFailuresPerAccountIP, MaxFailuresPerAccount, MaxFailuresPerIP int
	FailureWindow                                                    time.Duration
	// ClientIP returns the client's address for the per-IP limit; "" skips
	// that limit. Default: the host of r.RemoteAddr. Behind a proxy, set
	// it to read the proxy's header, or every client shares one limit.
	ClientIP func(*http.Request) string
	// Limiter replaces the in-memory limiter, e.g. with one shared by
	// replicas. It sees both kinds of keys and applies its own limits.
	Limiter Limiter
}

// New returns a credentials provider that signs users in with the email
// and password of the store's users. Its Authorize checks the password
// against the stored hash (see [Verify]), upgrades bcrypt and weak
// argon2id hashes on success, rate-limits failures per account and per
// client address, and takes as long for an unknown email as for a wrong
// password, whatever the kind of the user's hash: it runs a check of
// every kind of hash the store holds each time (see the package
// documentation and [HashInventory]).
//
// A missing field or a wrong password is a nil user (CredentialsSignin).
// A refused try is a *latch.Error with code TooManyRequests, status 429
// and, for the rate limit, RetryAfter. A store or limiter failure is a
// plain error.
func New(store Store, opts Options) *latch.Credentials {
	a := newAuthorizer(store, opts)
	id, name := opts.ID, opts.Name
	if id == "" {
		id = "credentials"
	}
	if name == "" {
		name = "Email and password"
	}
	return &latch.Credentials{
		ID:   id,
		Name: name,
		Fields: []latch.CredentialField{
			{Name: "email", Label: "Email", Type: "email"},
			{Name: "password", Label: "Password", Type: "password"},
		},
		Authorize:      a.authorize,
		SecondFactor:   true,
		ChangePassword: a.changePassword,
		SetPassword:    a.setPassword,
		HashPassword:   a.hashNew,
	}
}

// acquire takes a password check slot, waiting at most maxWait (then an
// overloaded error, 503) or until ctx ends (busy, 429). release gives it
// back.
func (a *authorizer) acquire(ctx context.Context) error {
	select {
	case a.sem <- struct{}{}:
		return nil
	default:
	}
	queued := time.NewTimer(a.maxWait)
	defer queued.Stop()
	select {
	case a.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return busy(ctx)
	case <-queued.C:
		return overloaded(a.maxWait)
	}
}

func (a *authorizer) release() { <-a.sem }

// hashNew checks a new password against the policy and hashes it, in a
// password check slot: hashing is argon2id's 19 MiB, bounded like the
// checks of sign-ins.
func (a *authorizer) hashNew(ctx context.Context, pw string) (string, error) {
	if err := checkNewPassword(pw); err != nil {
		return "", err
	}
	if err := a.acquire(ctx); err != nil {
		return "", err
	}
	defer a.release()
	return a.hash(pw)
}

// setPassword stores a new password (a reset), checked against the policy
// of new accounts.
func (a *authorizer) setPassword(ctx context.Context, user *latch.StoredUser, next string) error {
	h, err := a.hashNew(ctx, next)
	if err != nil {
		return err
	}
	return a.store.SetPasswordHash(ctx, user.ID, h)
}

// checkNewPassword applies the policy of new passwords.
func checkNewPassword(next string) error {
	if utf8.RuneCountInString(next) < MinLength {
		return &latch.SignUpError{Field: "password", Code: "InvalidField", Message: fmt.Sprintf("the new password must have at least %d characters", MinLength)}
	}
	if len(next) > maxLength {
		return &latch.SignUpError{Field: "password", Code: "InvalidField", Message: "the new password is too long"}
	}
	return nil
}

// changePassword checks the user's current password as a sign-in does
// (limits, timing) and stores the new one, hashed with argon2id.
func (a *authorizer) changePassword(ctx context.Context, r *http.Request, user *latch.StoredUser, current, next string) error {
	if err := checkNewPassword(next); err != nil {
		return err
	}
	u, err := a.authorize(ctx, map[string]string{"email": user.Email, "password": current}, r)
	if err != nil {
		return err
	}
	if u == nil || u.ID != user.ID {
		return latch.ErrCredentialsSignin
	}
	h, err := a.hashNew(ctx, next)
	if err != nil {
		return err
	}
	return a.store.SetPasswordHash(ctx, user.ID, h)
}

// authorizer is the state behind a provider's Authorize.
type authorizer struct {
	store    Store
	log      *slog.Logger
	kinds    *kinds
	sem      chan struct{}
	maxWait  time.Duration
	limiter  Limiter
	clientIP func(*http.Request) string

	// verify and hash are Verify and Hash, replaceable in tests.
	verify func(hash, password string) (ok, needsRehash bool, err error)
	hash   func(password string) (string, error)
}

func newAuthorizer(store Store, opts Options) *authorizer {
	a := &authorizer{
		store:    store,
		log:      opts.Logger,
		limiter:  opts.Limiter,
		clientIP: opts.ClientIP,
		verify:   Verify,
		hash:     Hash,
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.kinds = newKinds(store, a.log)
	n := opts.MaxConcurrentHashes
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	a.sem = make(chan struct{}, n)
	a.maxWait = opts.MaxHashWait
	if a.maxWait <= 0 {
		a.maxWait = DefaultMaxHashWait
	}
	if a.limiter == nil {
		a.limiter = newMemoryLimiter(opts, nil)
	}
	if a.clientIP == nil {
		a.clientIP = remoteHost
	}
	return a
}

func (a *authorizer) authorize(ctx context.Context, creds map[string]string, r *http.Request) (*latch.User, error) {
	email := strings.TrimSpace(creds["email"])
	pw := creds["password"]
	if email == "" || pw == "" {
		return nil, nil
	}
	account := latch.FoldEmail(email)
	keys := []string{limitKey(KeyPrefixAccount, account)}
	if r != nil {
		if ip := a.clientIP(r); ip != "" {
			keys = append(keys, limitKey(KeyPrefixAccountIP, account+" "+clientip.Key(ip)), limitKey(KeyPrefixIP, clientip.Key(ip)))
		}
	}
	// The try counts as a failure from here on; what turns out not to be
	// one is taken back below.
	if err := a.hit(ctx, keys); err != nil {
		return nil, err
	}
	user, hash, err := a.lookup(ctx, email)
	if err != nil {
		a.undo(ctx, keys)
		return nil, err
	}
	select {
	case <-ctx.Done():
		a.undo(ctx, keys)
		return nil, busy(ctx)
	default:
	}
	if err := a.acquire(ctx); err != nil {
		a.undo(ctx, keys)
		return nil, err
	}
	defer a.release()

	if user == nil {
		hash = ""
	}
	ok, needsRehash, err := a.check(ctx, hash, pw)
	if err != nil {
		a.undo(ctx, keys)
		if user != nil && hash != "" {
			err = fmt.Errorf("password: user %s: %w", user.ID, err)
		}
		return nil, err
	}
	if !ok {
		return nil, nil
	}
	// Not cut short by a client that has gone: the counts must be right.
	bg := context.WithoutCancel(ctx)
	for _, k := range keys {
		var err error
		if strings.HasPrefix(k, KeyPrefixIP) {
			err = a.limiter.Undo(bg, k) // an address's failures stay counted
		} else {
			err = a.limiter.Reset(bg, k)
		}
		if err != nil {
			a.log.Error("password: reset failure count", "err", err)
		}
	}
	if needsRehash {
		a.rehash(ctx, user.ID, pw)
	}
	return &latch.User{ID: user.ID, Name: user.Name, Email: user.Email, Image: user.Image}, nil
}

// check verifies pw against hash, "" for an unknown user or one without
// a password (never ok). So that the time it takes does not tell which
// users exist or what kind of hash they have, it checks pw once against
// every kind of hash in the store: hash for its own kind, a dummy hash of
// the same parameters for each other kind (see kinds.go).
func (a *authorizer) check(ctx context.Context, hash, pw string) (ok, needsRehash bool, err error) {
	own, known := kindOf(hash)
	if hash != "" && !known {
		return a.verify(hash, pw) // malformed or unsupported: the error
	}
	kinds, dummies, err := a.kinds.forCheck(ctx, own, known)
	if err != nil {
		return false, false, err
	}
	mine := false
	for i, k := range kinds {
		if known && k == own {
			ok, needsRehash, err = a.verify(hash, pw)
			mine = true
		} else {
			a.verify(dummies[i], pw)
		}
	}
	if known && !mine { // a kind too costly to run for everyone
		ok, needsRehash, err = a.verify(hash, pw)
	}
	return ok, needsRehash, err
}

// lookup returns the user with the email and their password hash; a nil
// user when there is none, "" when they have no password.
func (a *authorizer) lookup(ctx context.Context, email string) (*latch.StoredUser, string, error) {
	user, err := a.store.UserByEmail(ctx, email)
	if errors.Is(err, latch.ErrNotFound) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("password: find user: %w", err)
	}
	if user == nil {
		return nil, "", nil
	}
	hash, err := a.store.PasswordHash(ctx, user.ID)
	if errors.Is(err, latch.ErrNotFound) {
		return user, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("password: user %s: read hash: %w", user.ID, err)
	}
	return user, hash, nil
}

// hit counts a try under every key, or, when a key is over its limit,
// none and returns a TooManyRequests error.
func (a *authorizer) hit(ctx context.Context, keys []string) error {
	var retry time.Duration
	var counted []string
	for _, k := range keys {
		d, ok, err := a.limiter.Hit(ctx, k)
		if err != nil {
			a.undo(ctx, counted)
			return fmt.Errorf("password: rate limit: %w", err)
		}
		if !ok {
			retry = max(retry, d)
			continue
		}
		counted = append(counted, k)
	}
	if len(counted) < len(keys) {
		a.undo(ctx, counted)
		return &latch.Error{Code: CodeTooManyRequests, Status: http.StatusTooManyRequests, RetryAfter: retry}
	}
	return nil
}

// undo takes back the try counted under every key. It runs even when
// ctx has ended: the count must not outlive a try that was not made.
func (a *authorizer) undo(ctx context.Context, keys []string) {
	ctx = context.WithoutCancel(ctx)
	for _, k := range keys {
		if err := a.limiter.Undo(ctx, k); err != nil {
			a.log.Error("password: take back a try", "err", err)
		}
	}
}

func (a *authorizer) rehash(ctx context.Context, userID, pw string) {
	h, err := a.hash(pw)
	if err == nil {
		err = a.store.SetPasswordHash(ctx, userID, h)
	}
	if err != nil {
		a.log.Error("password: upgrade hash", "user", userID, "err", err)
		return
	}
	a.log.Debug("password: upgraded hash to argon2id", "user", userID)
}

// overloadedRetry is the Retry-After of a sign-in refused because every
// hashing slot stayed taken.
const overloadedRetry = 2 * time.Second

// overloaded is the error of a try that waited wait for a hashing slot:
// 503 with Retry-After, so that a burst of sign-ins is shed instead of
// queueing without end.
func overloaded(wait time.Duration) error {
	return &latch.Error{Code: CodeTooManyRequests, Status: http.StatusServiceUnavailable, RetryAfter: overloadedRetry,
		Err: fmt.Errorf("password: every password check slot stayed taken for %s", wait)}
}

// busy is the error of a try that gave up waiting to check its password.
func busy(ctx context.Context) error {
	return &latch.Error{Code: CodeTooManyRequests, Status: http.StatusTooManyRequests, Err: context.Cause(ctx)}
}

var dummy struct {
	once sync.Once
	hash string
	err  error
}

// dummyHash returns a hash of a random password with the current
// parameters, computed on first use.
func dummyHash() (string, error) {
	dummy.once.Do(func() {
		dummy.hash, dummy.err = Hash(rand.Text())
	})
	return dummy.hash, dummy.err
}

// remoteHost is the default ClientIP: the host of r.RemoteAddr.
func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

const maxKeyLen = 200

// AccountKey is the limiter key under which the failures of email's
// account are counted; its per-account-and-IP keys start with
// [KeyPrefixAccountIP], the folded address and a space (unless hashed
// for their length). `latch user unlock` resets them.
func AccountKey(email string) string {
	return limitKey(KeyPrefixAccount, latch.FoldEmail(strings.TrimSpace(email)))
}

// limitKey is prefix+s, with s hashed when the key would be long.
func limitKey(prefix, s string) string {
	if len(prefix)+len(s) <= maxKeyLen {
		return prefix + s
	}
	sum := sha256.Sum256([]byte(s))
	return prefix + "sha256:" + hex.EncodeToString(sum[:])
}

// DefaultMaxFailures returns the default limit for a limiter key: the
// per-IP, per-account-and-IP or per-account default by the key's prefix.
// A shared Limiter can use it to apply the same limits.
func DefaultMaxFailures(key string) int {
	switch {
	case strings.HasPrefix(key, KeyPrefixIP):
		return DefaultMaxFailuresPerIP
	case strings.HasPrefix(key, KeyPrefixAccountIP):
		return DefaultMaxFailuresPerAccountIP
	}
	return DefaultMaxFailuresPerAccount
}

// memoryLimiter applies the per-account and per-IP limits of opts with
// two in-memory counters; nil when a limit is off.
type memoryLimiter struct {
	accountIP, account, ip *ratelimit.Limiter
}

// NewMemoryLimiter returns the default in-memory Limiter for the limits
// of opts, for a server that makes its providers again (a configuration
// reload) and keeps the counts: pass it as Options.Limiter each time.
func NewMemoryLimiter(opts Options) Limiter { return newMemoryLimiter(opts, nil) }

// newMemoryLimiter returns the default Limiter for opts; now is the clock
// (nil: time.Now).
func newMemoryLimiter(opts Options, now func() time.Time) Limiter {
	window := opts.FailureWindow
	if window <= 0 {
		window = DefaultFailureWindow
	}
	newLimiter := func(n, def int) *ratelimit.Limiter {
		switch {
		case n < 0:
			return nil
		case n == 0:
			n = def
		}
		return ratelimit.New(ratelimit.Config{Max: n, Window: window, Now: now})
	}
	return &memoryLimiter{
		accountIP: newLimiter(opts.MaxFailuresPerAccountIP, DefaultMaxFailuresPerAccountIP),
		account:   newLimiter(opts.MaxFailuresPerAccount, DefaultMaxFailuresPerAccount),
		ip:        newLimiter(opts.MaxFailuresPerIP, DefaultMaxFailuresPerIP),
	}
}

func (m *memoryLimiter) pick(key string) *ratelimit.Limiter {
	switch {
	case strings.HasPrefix(key, KeyPrefixIP):
		return m.ip
	case strings.HasPrefix(key, KeyPrefixAccountIP):
		return m.accountIP
	}
	return m.account
}

func (m *memoryLimiter) Hit(ctx context.Context, key string) (time.Duration, bool, error) {
	l := m.pick(key)
	if l == nil {
		return 0, true, nil
	}
	return l.Hit(ctx, key)
}

func (m *memoryLimiter) Undo(ctx context.Context, key string) error {
	if l := m.pick(key); l != nil {
		return l.Undo(ctx, key)
	}
	return nil
}

func (m *memoryLimiter) Reset(ctx context.Context, key string) error {
	if l := m.pick(key); l != nil {
		return l.Reset(ctx, key)
	}
	return nil
}
