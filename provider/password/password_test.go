package password

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// memStore is an in-memory Store.
type memStore struct {
	mu      sync.Mutex
	users   map[string]*latch.StoredUser // by lower-cased email
	hashes  map[string]string            // by user id
	lookups int
	sets    int
	setErr  error
	findErr error
}

func newMemStore() *memStore {
	return &memStore{users: map[string]*latch.StoredUser{}, hashes: map[string]string{}}
}

func (s *memStore) add(id, email, hash string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[strings.ToLower(email)] = &latch.StoredUser{User: latch.User{ID: id, Name: "Name " + id, Email: email, Image: "https://img/" + id}}
	if hash != "" {
		s.hashes[id] = hash
	}
}

func (s *memStore) hash(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hashes[id]
}

func (s *memStore) UserByEmail(_ context.Context, email string) (*latch.StoredUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lookups++
	if s.findErr != nil {
		return nil, s.findErr
	}
	u, ok := s.users[strings.ToLower(email)]
	if !ok {
		return nil, latch.ErrNotFound
	}
	c := *u
	return &c, nil
}

func (s *memStore) PasswordHash(_ context.Context, id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h, ok := s.hashes[id]
	if !ok {
		return "", latch.ErrNotFound
	}
	return h, nil
}

func (s *memStore) SetPasswordHash(_ context.Context, id, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sets++
	if s.setErr != nil {
		return s.setErr
	}
	s.hashes[id] = hash
	return nil
}

// latch.Store has what the provider needs.
var _ Store = latch.Store(nil)

// fakeClock is a settable time source.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cheapHash is an argon2id hash with tiny parameters, so tests that hash
// many times stay fast (it needs a rehash after a right password).
func cheapHash(pw string) string { return phc(pw, "0123456789abcdef", 64, 1, 1, 32) }

// countVerify wraps a's verify, counting password checks: each runs
// exactly one verification against a hash of the current kind (the
// user's, or a dummy one), and one per other kind it knows.
func countVerify(a *authorizer) *atomic.Int32 {
	var n atomic.Int32
	verify := a.verify
	a.verify = func(h, pw string) (bool, bool, error) {
		if k, _ := kindOf(h); k == current {
			n.Add(1)
		}
		return verify(h, pw)
	}
	return &n
}

// fastDummy makes the unknown-user path of a use a cheap hash.
func fastDummy(a *authorizer) {
	verify := a.verify
	d, _ := dummyHash()
	a.verify = func(h, pw string) (bool, bool, error) {
		if h == d {
			h = cheapHash("dummy")
		}
		return verify(h, pw)
	}
}

func request(ip string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/api/auth/callback/credentials", nil)
	r.RemoteAddr = ip + ":4711"
	if strings.Contains(ip, ":") {
		r.RemoteAddr = "[" + ip + "]:4711"
	}
	return r
}

func creds(email, pw string) map[string]string {
	return map[string]string{"email": email, "password": pw, "csrfToken": "x", "callbackUrl": "/"}
}

func TestNew(t *testing.T) {
	tests := []struct {
		opts             Options
		wantID, wantName string
	}{
		{Options{}, "credentials", "Email and password"},
		{Options{ID: "db", Name: "Database"}, "db", "Database"},
	}
	for _, tt := range tests {
		p := New(newMemStore(), tt.opts)
		info := p.Info()
		if info.ID != tt.wantID || info.Name != tt.wantName || info.Type != latch.TypeCredentials {
			t.Errorf("New(%+v).Info(): got %+v; want ID %q, Name %q, Type %q", tt.opts, info, tt.wantID, tt.wantName, latch.TypeCredentials)
		}
		want := []latch.CredentialField{
			{Name: "email", Label: "Email", Type: "email"},
			{Name: "password", Label: "Password", Type: "password"},
		}
		if len(p.Fields) != len(want) || p.Fields[0] != want[0] || p.Fields[1] != want[1] {
			t.Errorf("New(%+v).Fields: got %+v; want %+v", tt.opts, p.Fields, want)
		}
		if p.Authorize == nil {
			t.Errorf("New(%+v).Authorize: got nil; want a function", tt.opts)
		}
	}
}

func TestAuthorize(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	h, err := Hash("right")
	if err != nil {
		t.Fatal(err)
	}
	store.add("u1", "Alice@Example.com", h)
	store.add("u2", "nopass@example.com", "")
	p := New(store, Options{})
	want := &latch.User{ID: "u1", Name: "Name u1", Email: "Alice@Example.com", Image: "https://img/u1"}

	tests := []struct {
		name  string
		creds map[string]string
		want  *latch.User
	}{
		{"right password", creds("Alice@Example.com", "right"), want},
		{"email in other case, with spaces", creds("  alice@example.COM\t", "right"), want},
		{"wrong password", creds("alice@example.com", "wrong"), nil},
		{"password with spaces is not trimmed", creds("alice@example.com", " right"), nil},
		{"unknown user", creds("bob@example.com", "right"), nil},
		{"user without password", creds("nopass@example.com", "right"), nil},
		{"user without password, empty password", creds("nopass@example.com", ""), nil},
		{"missing email", map[string]string{"password": "right"}, nil},
		{"blank email", creds("   ", "right"), nil},
		{"missing password", map[string]string{"email": "alice@example.com"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := p.Authorize(ctx, tt.creds, request("192.0.2.1"))
			if err != nil {
				t.Fatalf("Authorize: got error %v; want nil", err)
			}
			if (got == nil) != (tt.want == nil) || got != nil && *got != *tt.want {
				t.Errorf("Authorize: got %+v; want %+v", got, tt.want)
			}
		})
	}
	if got := store.sets; got != 0 {
		t.Errorf("SetPasswordHash calls for a current hash: got %d; want 0", got)
	}
}

func TestAuthorizeMissingFieldsSkipStore(t *testing.T) {
	store := newMemStore()
	a := newAuthorizer(store, Options{})
	n := countVerify(a)
	for _, c := range []map[string]string{{}, {"email": "a@b.c"}, {"password": "x"}} {
		if u, err := a.authorize(context.Background(), c, nil); u != nil || err != nil {
			t.Errorf("authorize(%v): got (%v, %v); want (nil, nil)", c, u, err)
		}
	}
	if store.lookups != 0 || n.Load() != 0 {
		t.Errorf("store lookups, verifications: got %d, %d; want 0, 0", store.lookups, n.Load())
	}
}

// TestAuthorizeUnknownUserHashes: an unknown user and a user without a
// password are checked against the dummy hash, like a wrong password.
func TestAuthorizeUnknownUserHashes(t *testing.T) {
	store := newMemStore()
	store.add("u1", "nopass@example.com", "")
	a := newAuthorizer(store, Options{})
	var hashes []string
	a.verify = func(h, pw string) (bool, bool, error) {
		hashes = append(hashes, h)
		return Verify(h, pw)
	}
	d, err := dummyHash()
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"nobody@example.com", "nopass@example.com"} {
		if u, err := a.authorize(context.Background(), creds(email, "pw"), nil); u != nil || err != nil {
			t.Errorf("authorize(%s): got (%v, %v); want (nil, nil)", email, u, err)
		}
	}
	if len(hashes) != 2 || hashes[0] != d || hashes[1] != d {
		t.Errorf("verified hashes: got %q; want the dummy hash twice", hashes)
	}
	if !strings.HasPrefix(d, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("dummy hash: got %q; want current parameters", d)
	}
	if d2, _ := dummyHash(); d2 != d {
		t.Errorf("dummyHash again: got %q; want %q", d2, d)
	}
}

func TestAuthorizeUpgradesHash(t *testing.T) {
	tests := []struct {
		name string
		hash string
	}{
		{"bcrypt", bcryptHash(t, "right", 10)},
		{"weak argon2id", cheapHash("right")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newMemStore()
			store.add("u1", "a@example.com", tt.hash)
			p := New(store, Options{})
			u, err := p.Authorize(context.Background(), creds("a@example.com", "right"), nil)
			if u == nil || err != nil {
				t.Fatalf("Authorize: got (%v, %v); want a user", u, err)
			}
			h := store.hash("u1")
			if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("stored hash after sign-in: got %q; want a current argon2id hash", h)
			}
			if ok, rehash, err := Verify(h, "right"); !ok || rehash || err != nil {
				t.Errorf("Verify(upgraded hash): got (%v, %v, %v); want (true, false, nil)", ok, rehash, err)
			}
			// Signing in again keeps the new hash.
			if u, err := p.Authorize(context.Background(), creds("a@example.com", "right"), nil); u == nil || err != nil {
				t.Fatalf("Authorize again: got (%v, %v); want a user", u, err)
			}
			if got := store.hash("u1"); got != h || store.sets != 1 {
				t.Errorf("after a second sign-in: got hash %q and %d sets; want %q and 1", got, store.sets, h)
			}
		})
	}
}

func TestAuthorizeUpgradeFailureIsLogged(t *testing.T) {
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	store.setErr = errors.New("disk full")
	var log bytes.Buffer
	p := New(store, Options{Logger: slog.New(slog.NewTextHandler(&log, nil))})
	u, err := p.Authorize(context.Background(), creds("a@example.com", "right"), nil)
	if u == nil || u.ID != "u1" || err != nil {
		t.Fatalf("Authorize: got (%v, %v); want user u1", u, err)
	}
	if !strings.Contains(log.String(), "disk full") {
		t.Errorf("log: got %q; want the SetPasswordHash error", log.String())
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Run("store failure", func(t *testing.T) {
		store := newMemStore()
		store.findErr = errors.New("connection refused")
		u, err := New(store, Options{}).Authorize(context.Background(), creds("a@example.com", "pw"), nil)
		var le *latch.Error
		if u != nil || err == nil || errors.As(err, &le) {
			t.Errorf("Authorize: got (%v, %v); want a plain error", u, err)
		}
	})
	t.Run("malformed stored hash", func(t *testing.T) {
		store := newMemStore()
		store.add("u1", "a@example.com", "$argon2id$garbage")
		u, err := New(store, Options{}).Authorize(context.Background(), creds("a@example.com", "pw"), nil)
		if u != nil || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Authorize: got (%v, %v); want an error wrapping ErrMalformedHash", u, err)
		}
	})
	t.Run("limiter failure", func(t *testing.T) {
		store := newMemStore()
		u, err := New(store, Options{Limiter: failingLimiter{}}).Authorize(context.Background(), creds("a@example.com", "pw"), nil)
		if u != nil || err == nil || store.lookups != 0 {
			t.Errorf("Authorize: got (%v, %v) after %d lookups; want an error and no lookup", u, err, store.lookups)
		}
	})
}

type failingLimiter struct{}

func (failingLimiter) Hit(context.Context, string) (time.Duration, bool, error) {
	return 0, false, errors.New("redis down")
}
func (failingLimiter) Undo(context.Context, string) error  { return errors.New("redis down") }
func (failingLimiter) Reset(context.Context, string) error { return errors.New("redis down") }

// wantTooMany checks that err is a TooManyRequests *latch.Error.
func wantTooMany(t *testing.T, what string, u *latch.User, err error, retry bool) *latch.Error {
	t.Helper()
	var le *latch.Error
	if u != nil || !errors.As(err, &le) || le.Code != CodeTooManyRequests || le.Status != http.StatusTooManyRequests {
		t.Fatalf("%s: got (%v, %v); want a TooManyRequests *latch.Error with status 429", what, u, err)
	}
	if retry && le.RetryAfter <= 0 {
		t.Errorf("%s: got RetryAfter %v; want > 0", what, le.RetryAfter)
	}
	return le
}

func TestRateLimitPerAccount(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.add("u1", "alice@example.com", cheapHash("right"))
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	a := newAuthorizer(store, Options{Limiter: newMemoryLimiter(Options{}, clock.Now)})
	n := countVerify(a)
	emails := []string{"alice@example.com", "ALICE@example.com", " Alice@Example.com"}
	for i := range 5 {
		u, err := a.authorize(ctx, creds(emails[i%len(emails)], "wrong"), request("192.0.2.1"))
		if u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
		clock.Advance(time.Minute)
	}
	if got := n.Load(); got != 5 {
		t.Fatalf("verifications after 5 failures: got %d; want 5", got)
	}
	tests := []struct {
		name string
		pw   string
		ip   string
	}{
		{"6th try, wrong password", "wrong", "192.0.2.1"},
		{"6th try, right password", "right", "192.0.2.1"},
	}
	for _, tt := range tests {
		u, err := a.authorize(ctx, creds("Alice@example.com", tt.pw), request(tt.ip))
		le := wantTooMany(t, tt.name, u, err, true)
		if want := 10 * time.Minute; le.RetryAfter != want {
			t.Errorf("%s: got RetryAfter %v; want %v", tt.name, le.RetryAfter, want)
		}
	}
	if got := n.Load(); got != 5 {
		t.Errorf("verifications after refused tries: got %d; want 5", got)
	}
	// The owner, elsewhere, is not locked out by somebody guessing.
	if u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("198.51.100.7")); u == nil || err != nil {
		t.Errorf("right password from another IP: got (%v, %v); want user u1", u, err)
	}
	for range 5 {
		a.authorize(ctx, creds("alice@example.com", "wrong"), request("192.0.2.1"))
	}
	// Other accounts are not affected.
	if u, err := a.authorize(ctx, creds("bob@example.com", "x"), request("192.0.2.1")); u != nil || err != nil {
		t.Errorf("other account: got (%v, %v); want (nil, nil)", u, err)
	}
	// The window ends 15 minutes after the first failure.
	clock.Advance(11 * time.Minute)
	if u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("192.0.2.1")); u == nil || err != nil {
		t.Errorf("after the window: got (%v, %v); want user u1", u, err)
	}
}

// Many places guessing one account reach the per-account limit.
func TestRateLimitPerAccountAcrossIPs(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.add("u1", "alice@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxFailuresPerAccount: 3})
	for i := range 3 {
		if u, err := a.authorize(ctx, creds("alice@example.com", "wrong"), request(fmt.Sprintf("192.0.2.%d", i+1))); u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v)", i+1, u, err)
		}
	}
	u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("203.0.113.9"))
	wantTooMany(t, "4th try from a 4th IP", u, err, true)
}

func TestRateLimitUnknownAccount(t *testing.T) {
	a := newAuthorizer(newMemStore(), Options{MaxFailuresPerAccount: 2, MaxFailuresPerIP: -1})
	fastDummy(a)
	for i := range 2 {
		if u, err := a.authorize(context.Background(), creds("ghost@example.com", "x"), nil); u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
	u, err := a.authorize(context.Background(), creds("GHOST@example.com", "x"), nil)
	wantTooMany(t, "3rd try", u, err, true)
}

func TestRateLimitPerIP(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.add("u1", "alice@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxFailuresPerIP: 3})
	fastDummy(a)
	n := countVerify(a)
	for i, email := range []string{"a@example.com", "b@example.com", "alice@example.com"} {
		if u, err := a.authorize(ctx, creds(email, "wrong"), request("2001:db8:1:2::10")); u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
	tests := []struct {
		name    string
		ip      string
		limited bool
	}{
		{"same address", "2001:db8:1:2::10", true},
		{"same /64", "2001:db8:1:2:ffff::1", true},
		{"other /64", "2001:db8:1:3::10", false},
		{"IPv4", "192.0.2.1", false},
	}
	for _, tt := range tests {
		before := n.Load()
		u, err := a.authorize(ctx, creds("alice@example.com", "right"), request(tt.ip))
		if tt.limited {
			wantTooMany(t, tt.name, u, err, true)
			if n.Load() != before {
				t.Errorf("%s: got a verification; want none", tt.name)
			}
		} else if u == nil || err != nil {
			t.Errorf("%s: got (%v, %v); want user u1", tt.name, u, err)
		}
	}
	// A success does not reset the address's count.
	u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("2001:db8:1:2::10"))
	wantTooMany(t, "after another address's success", u, err, true)
}

func TestRateLimitCustomClientIP(t *testing.T) {
	a := newAuthorizer(newMemStore(), Options{
		MaxFailuresPerIP: 1,
		ClientIP:         func(r *http.Request) string { return r.Header.Get("X-Real-IP") },
	})
	fastDummy(a)
	r := request("10.0.0.1")
	r.Header.Set("X-Real-IP", "203.0.113.9")
	if u, err := a.authorize(context.Background(), creds("a@example.com", "x"), r); u != nil || err != nil {
		t.Fatalf("first failure: got (%v, %v); want (nil, nil)", u, err)
	}
	u, err := a.authorize(context.Background(), creds("b@example.com", "x"), r)
	wantTooMany(t, "second try from 203.0.113.9", u, err, true)
	// No header: no address, no per-IP limit.
	r2 := request("10.0.0.1")
	for i := range 3 {
		if u, err := a.authorize(context.Background(), creds("c"+string(rune('0'+i))+"@example.com", "x"), r2); u != nil || err != nil {
			t.Errorf("try %d without an address: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
}

func TestRateLimitResetAfterSuccess(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.add("u1", "alice@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{})
	a.hash = func(string) (string, error) { return cheapHash("right"), nil } // keep it cheap
	fail := func(n int) {
		t.Helper()
		for i := range n {
			if u, err := a.authorize(ctx, creds("alice@example.com", "wrong"), request("192.0.2.1")); u != nil || err != nil {
				t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
			}
		}
	}
	fail(4)
	if u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("192.0.2.1")); u == nil || err != nil {
		t.Fatalf("success: got (%v, %v); want user u1", u, err)
	}
	fail(5)
	u, err := a.authorize(ctx, creds("alice@example.com", "right"), request("192.0.2.1"))
	wantTooMany(t, "6th failure after the reset", u, err, true)
}

func TestRateLimitOff(t *testing.T) {
	a := newAuthorizer(newMemStore(), Options{MaxFailuresPerAccountIP: -1, MaxFailuresPerAccount: -1, MaxFailuresPerIP: -1})
	fastDummy(a)
	for i := range 30 {
		if u, err := a.authorize(context.Background(), creds("a@example.com", "x"), request("192.0.2.1")); u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
}

func TestRateLimitCustomWindow(t *testing.T) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Unix(1e9, 0)}
	a := newAuthorizer(newMemStore(), Options{Limiter: newMemoryLimiter(Options{MaxFailuresPerAccount: 1, FailureWindow: time.Minute}, clock.Now)})
	fastDummy(a)
	tests := []struct {
		advance time.Duration
		limited bool
	}{
		{0, false},                // first failure opens the window
		{0, true},                 // over the limit
		{59 * time.Second, true},  // still in the window
		{time.Second, false},      // window ended; a new one opens
		{30 * time.Second, true},  // in the new window
		{30 * time.Second, false}, // ended again
	}
	for i, tt := range tests {
		clock.Advance(tt.advance)
		u, err := a.authorize(ctx, creds("a@example.com", "x"), nil)
		if tt.limited {
			wantTooMany(t, "try "+string(rune('1'+i)), u, err, true)
		} else if u != nil || err != nil {
			t.Errorf("try %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
}

func TestConcurrencyBound(t *testing.T) {
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxConcurrentHashes: 1})
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	a.verify = func(h, pw string) (bool, bool, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return Verify(h, pw)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.authorize(context.Background(), creds("a@example.com", "wrong"), nil)
		done <- err
	}()
	<-started

	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	timeout, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	tests := []struct {
		name string
		ctx  context.Context
	}{
		{"cancelled context", cancelled},
		{"context ending while waiting", timeout},
	}
	for _, tt := range tests {
		u, err := a.authorize(tt.ctx, creds("a@example.com", "right"), nil)
		le := wantTooMany(t, tt.name, u, err, false)
		if !errors.Is(le, context.Canceled) && !errors.Is(le, context.DeadlineExceeded) {
			t.Errorf("%s: got Err %v; want the context's error", tt.name, le.Err)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("verifications while the slot was taken: got %d; want 1", got)
	}

	// A waiting try proceeds once the slot is free.
	waiting := make(chan *latch.User, 1)
	go func() {
		u, _ := a.authorize(context.Background(), creds("a@example.com", "right"), nil)
		waiting <- u
	}()
	close(release)
	if err := <-done; err != nil {
		t.Errorf("first try: got error %v; want nil", err)
	}
	if u := <-waiting; u == nil || u.ID != "u1" {
		t.Errorf("waiting try: got %v; want user u1", u)
	}
}

func TestConcurrentAuthorize(t *testing.T) {
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxConcurrentHashes: 2, MaxFailuresPerAccountIP: -1, MaxFailuresPerAccount: -1, MaxFailuresPerIP: -1})
	fastDummy(a)
	a.hash = func(string) (string, error) { return cheapHash("right"), nil }
	var running, peak atomic.Int32
	verify := a.verify
	a.verify = func(h, pw string) (bool, bool, error) {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		defer running.Add(-1)
		time.Sleep(time.Millisecond)
		return verify(h, pw)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			pw, email := "right", "a@example.com"
			if i%2 == 1 {
				pw = "wrong"
			}
			if i%4 == 3 {
				email = "nobody@example.com"
			}
			u, err := a.authorize(context.Background(), creds(email, pw), request("192.0.2.1"))
			if err != nil || (u != nil) != (i%2 == 0) {
				t.Errorf("try %d: got (%v, %v)", i, u, err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got > 2 {
		t.Errorf("concurrent verifications: got %d; want at most 2", got)
	}
}

// TestConcurrentFailuresDoNotOvershoot fires a burst of wrong passwords
// at once: exactly the limit of them are checked, the rest refused, and
// the owner, from elsewhere, can still sign in.
func TestConcurrentFailuresDoNotOvershoot(t *testing.T) {
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxConcurrentHashes: 64})
	n := countVerify(a)
	var (
		wg                 sync.WaitGroup
		refused, unchecked atomic.Int32
	)
	start := make(chan struct{})
	for range 40 {
		wg.Go(func() {
			<-start
			u, err := a.authorize(context.Background(), creds("a@example.com", "wrong"), request("192.0.2.1"))
			var le *latch.Error
			switch {
			case errors.As(err, &le) && le.Code == CodeTooManyRequests:
				refused.Add(1)
			case u != nil || err != nil:
				unchecked.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got, want := n.Load(), int32(DefaultMaxFailuresPerAccountIP); got != want {
		t.Errorf("passwords checked in a burst of 40: got %d; want %d", got, want)
	}
	if refused.Load() != 40-DefaultMaxFailuresPerAccountIP || unchecked.Load() != 0 {
		t.Errorf("refused %d, other outcomes %d; want %d and 0", refused.Load(), unchecked.Load(), 40-DefaultMaxFailuresPerAccountIP)
	}
	if u, err := a.authorize(context.Background(), creds("a@example.com", "right"), request("198.51.100.7")); u == nil || err != nil {
		t.Errorf("owner from another address: got (%v, %v); want signed in", u, err)
	}
}

// TestTryTakenBack checks that a try that was not a failure does not
// count: a successful sign-in, and one that gave up waiting for a slot.
func TestTryTakenBack(t *testing.T) {
	ctx := context.Background()
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxFailuresPerIP: 2, MaxFailuresPerAccountIP: -1, MaxFailuresPerAccount: -1})
	fastDummy(a)
	ip := request("192.0.2.1")
	for i := range 5 {
		if u, err := a.authorize(ctx, creds("a@example.com", "right"), ip); u == nil || err != nil {
			t.Fatalf("sign-in %d: got (%v, %v); want signed in", i+1, u, err)
		}
	}
	// A try that gives up waiting is not a failure either.
	a.sem = make(chan struct{}) // no slot ever frees
	gone, cancel := context.WithCancel(ctx)
	cancel()
	for range 5 {
		_, err := a.authorize(gone, creds("a@example.com", "wrong"), ip)
		wantTooMany(t, "cancelled try", nil, err, false)
	}
	a.sem = make(chan struct{}, 1)
	for i := range 2 {
		if u, err := a.authorize(ctx, creds("a@example.com", "wrong"), ip); u != nil || err != nil {
			t.Fatalf("failure %d: got (%v, %v); want (nil, nil)", i+1, u, err)
		}
	}
	_, err := a.authorize(ctx, creds("a@example.com", "right"), ip)
	wantTooMany(t, "after 2 failures", nil, err, true)
}

func TestLimitKey(t *testing.T) {
	long := strings.Repeat("a", 300) + "@example.com"
	tests := []struct {
		prefix, in string
		want       string
	}{
		{KeyPrefixAccount, "a@example.com", "email:a@example.com"},
		{KeyPrefixIP, "192.0.2.1", "ip:192.0.2.1"},
		{KeyPrefixAccount, long, "email:sha256:"},
	}
	for _, tt := range tests {
		got := limitKey(tt.prefix, tt.in)
		if !strings.HasPrefix(got, tt.want) || len(got) > maxKeyLen {
			t.Errorf("limitKey(%q, %.20q): got %q; want prefix %q and at most %d bytes", tt.prefix, tt.in, got, tt.want, maxKeyLen)
		}
	}
	if limitKey(KeyPrefixAccount, long) == limitKey(KeyPrefixAccount, long+"x") {
		t.Errorf("limitKey of two long emails: got the same key; want different ones")
	}
}

// TestHashQueueSheds: a sign-in that waits MaxHashWait for a password
// check slot is refused with 503 and Retry-After instead of queueing on,
// and the refusals do not count against the account's limits.
func TestHashQueueSheds(t *testing.T) {
	store := newMemStore()
	store.add("u1", "a@example.com", cheapHash("right"))
	a := newAuthorizer(store, Options{MaxConcurrentHashes: 1, MaxHashWait: 30 * time.Millisecond})
	started, release := make(chan struct{}), make(chan struct{})
	var calls atomic.Int32
	a.verify = func(h, pw string) (bool, bool, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-release
		}
		return Verify(h, pw)
	}
	done := make(chan error, 1)
	go func() {
		_, err := a.authorize(context.Background(), creds("a@example.com", "right"), nil)
		done <- err
	}()
	<-started
	req := httptest.NewRequest("POST", "/", nil)
	for i := range 8 {
		u, err := a.authorize(context.Background(), creds("a@example.com", "right"), req)
		var le *latch.Error
		if u != nil || !errors.As(err, &le) || le.Code != CodeTooManyRequests || le.Status != http.StatusServiceUnavailable || le.RetryAfter <= 0 {
			t.Fatalf("try %d while the only slot is taken: (%v, %v); want TooManyRequests with 503 and Retry-After", i, u, err)
		}
	}
	// Hashing a new password (sign-up, reset, change) waits for a slot too.
	var le *latch.Error
	if _, err := a.hashNew(context.Background(), "a new password 1"); !errors.As(err, &le) || le.Status != http.StatusServiceUnavailable {
		t.Errorf("hashing a new password while the only slot is taken: %v; want 503", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if u, err := a.authorize(context.Background(), creds("a@example.com", "right"), req); err != nil || u == nil {
		t.Errorf("after the burst: (%v, %v); want the user: shed tries must not count as failures", u, err)
	}
}
