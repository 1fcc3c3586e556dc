package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestLimit(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      string
		failures  int
		advance   time.Duration
		wantOK    bool
		wantRetry time.Duration
	}{
		{"no failures", 0, 0, true, 0},
		{"below the limit", 2, 0, true, 0},
		{"at the limit", 3, 0, false, 10 * time.Minute},
		{"at the limit, later in the window", 3, 4 * time.Minute, false, 6 * time.Minute},
		{"at the limit, window just ended", 3, 10 * time.Minute, true, 0},
		{"past the limit, window ended", 7, time.Hour, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClock()
			l := New(Config{Max: 3, Window: 10 * time.Minute, Now: c.Now})
			for range tt.failures {
				if err := l.Fail(ctx, "k"); err != nil {
					t.Fatalf("Fail: got error %v; want nil", err)
				}
			}
			c.Advance(tt.advance)
			retry, ok, err := l.Allow(ctx, "k")
			if err != nil {
				t.Fatalf("Allow: got error %v; want nil", err)
			}
			if ok != tt.wantOK || retry != tt.wantRetry {
				t.Errorf("Allow: got (%v, %v); want (%v, %v)", retry, ok, tt.wantRetry, tt.wantOK)
			}
			if _, ok, _ := l.Allow(ctx, "other"); !ok {
				t.Errorf("Allow(other): got false; want true")
			}
		})
	}
}

func TestWindowOpensAtFirstFailure(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 2, Window: 10 * time.Minute, Now: c.Now})
	l.Fail(ctx, "k")
	c.Advance(9 * time.Minute)
	l.Fail(ctx, "k")
	if retry, ok, _ := l.Allow(ctx, "k"); ok || retry != time.Minute {
		t.Errorf("Allow after 2 failures: got (%v, %v); want (1m0s, false)", retry, ok)
	}
	c.Advance(time.Minute)
	if _, ok, _ := l.Allow(ctx, "k"); !ok {
		t.Errorf("Allow after the window: got false; want true")
	}
	// A failure after the window opens a new one.
	l.Fail(ctx, "k")
	if _, ok, _ := l.Allow(ctx, "k"); !ok {
		t.Errorf("Allow after 1 failure in a new window: got false; want true")
	}
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	l := New(Config{Max: 1, Window: time.Hour})
	l.Fail(ctx, "k")
	if _, ok, _ := l.Allow(ctx, "k"); ok {
		t.Fatalf("Allow before Reset: got true; want false")
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatalf("Reset: got error %v; want nil", err)
	}
	if _, ok, _ := l.Allow(ctx, "k"); !ok {
		t.Errorf("Allow after Reset: got false; want true")
	}
	if got := l.Len(); got != 0 {
		t.Errorf("Len after Reset: got %d; want 0", got)
	}
	if err := l.Reset(ctx, "unknown"); err != nil {
		t.Errorf("Reset(unknown): got error %v; want nil", err)
	}
}

func TestExpiredEntriesDropped(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 5, Window: time.Minute, Now: c.Now})
	for i := range 100 {
		l.Fail(ctx, fmt.Sprint("old", i))
	}
	c.Advance(30 * time.Second)
	for i := range 10 {
		l.Fail(ctx, fmt.Sprint("new", i))
	}
	c.Advance(30 * time.Second)
	l.Fail(ctx, "latest")
	if got, want := l.Len(), 11; got != want {
		t.Errorf("Len after the first windows ended: got %d; want %d", got, want)
	}
}

func TestMaxEntriesEvictsOldest(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 1, Window: time.Hour, MaxEntries: 3, Now: c.Now})
	for _, k := range []string{"a", "b", "c", "d"} {
		l.Fail(ctx, k)
		c.Advance(time.Second)
	}
	if got := l.Len(); got != 3 {
		t.Errorf("Len: got %d; want 3", got)
	}
	tests := []struct {
		key    string
		wantOK bool
	}{
		{"a", true}, // evicted
		{"b", false},
		{"c", false},
		{"d", false},
	}
	for _, tt := range tests {
		if _, ok, _ := l.Allow(ctx, tt.key); ok != tt.wantOK {
			t.Errorf("Allow(%q): got %v; want %v", tt.key, ok, tt.wantOK)
		}
	}
}

func TestNewPanicsOnBadConfig(t *testing.T) {
	for _, c := range []Config{{Max: 0, Window: time.Minute}, {Max: 1, Window: 0}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v): got no panic; want one", c)
				}
			}()
			New(c)
		}()
	}
}

func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	l := New(Config{Max: 1000, Window: time.Hour, MaxEntries: 50})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprint(g, "-", i%80)
				l.Fail(ctx, k)
				l.Allow(ctx, k)
				if i%7 == 0 {
					l.Reset(ctx, k)
				}
			}
		})
	}
	wg.Wait()
	if got := l.Len(); got > 50 {
		t.Errorf("Len: got %d; want at most 50", got)
	}
}
