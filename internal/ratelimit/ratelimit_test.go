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
		hits      int
		advance   time.Duration
		wantOK    bool
		wantRetry time.Duration
	}{
		{"first try", 0, 0, true, 0},
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
			for i := range tt.hits {
				_, ok, err := l.Hit(ctx, "k")
				if err != nil {
					t.Fatalf("Hit %d: got error %v; want nil", i+1, err)
				}
				if want := i < 3; ok != want {
					t.Fatalf("Hit %d: got ok=%v; want %v", i+1, ok, want)
				}
			}
			c.Advance(tt.advance)
			retry, ok, err := l.Hit(ctx, "k")
			if err != nil {
				t.Fatalf("Hit: got error %v; want nil", err)
			}
			if ok != tt.wantOK || retry != tt.wantRetry {
				t.Errorf("Hit: got (%v, %v); want (%v, %v)", retry, ok, tt.wantRetry, tt.wantOK)
			}
			if _, ok, _ := l.Hit(ctx, "other"); !ok {
				t.Errorf("Hit(other): got false; want true")
			}
		})
	}
}

func TestWindowOpensAtFirstHit(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 2, Window: 10 * time.Minute, Now: c.Now})
	l.Hit(ctx, "k")
	c.Advance(9 * time.Minute)
	l.Hit(ctx, "k")
	if retry, ok, _ := l.Hit(ctx, "k"); ok || retry != time.Minute {
		t.Errorf("third Hit: got (%v, %v); want (1m0s, false)", retry, ok)
	}
	c.Advance(time.Minute)
	// The window ended: a new one opens with this try.
	for i := range 2 {
		if _, ok, _ := l.Hit(ctx, "k"); !ok {
			t.Errorf("Hit %d in the new window: got false; want true", i+1)
		}
	}
}

func TestUndo(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 2, Window: 10 * time.Minute, Now: c.Now})
	l.Hit(ctx, "k")
	l.Hit(ctx, "k")
	if err := l.Undo(ctx, "k"); err != nil {
		t.Fatalf("Undo: got error %v; want nil", err)
	}
	if _, ok, _ := l.Hit(ctx, "k"); !ok {
		t.Fatal("Hit after Undo: got false; want true")
	}
	c.Advance(5 * time.Minute)
	// The window kept its start: it ends 5 minutes from now.
	if retry, ok, _ := l.Hit(ctx, "k"); ok || retry != 5*time.Minute {
		t.Errorf("Hit over the limit: got (%v, %v); want (5m0s, false)", retry, ok)
	}
	// Undo never goes below zero, and an unknown key is fine.
	for range 5 {
		l.Undo(ctx, "k")
	}
	l.Undo(ctx, "unknown")
	for i := range 2 {
		if _, ok, _ := l.Hit(ctx, "k"); !ok {
			t.Errorf("Hit %d after undoing all: got false; want true", i+1)
		}
	}
	if _, ok, _ := l.Hit(ctx, "k"); ok {
		t.Error("third Hit after undoing all: got true; want false")
	}
}

// TestConcurrentHitsDoNotOvershoot fires many tries at once: exactly Max
// of them are allowed.
func TestConcurrentHitsDoNotOvershoot(t *testing.T) {
	ctx := context.Background()
	l := New(Config{Max: 5, Window: time.Hour})
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		allowed int
	)
	start := make(chan struct{})
	for range 64 {
		wg.Go(func() {
			<-start
			if _, ok, _ := l.Hit(ctx, "k"); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if allowed != 5 {
		t.Errorf("allowed %d of 64 concurrent tries; want 5", allowed)
	}
}

func TestReset(t *testing.T) {
	ctx := context.Background()
	l := New(Config{Max: 1, Window: time.Hour})
	l.Hit(ctx, "k")
	if _, ok, _ := l.Hit(ctx, "k"); ok {
		t.Fatalf("Hit before Reset: got true; want false")
	}
	if err := l.Reset(ctx, "k"); err != nil {
		t.Fatalf("Reset: got error %v; want nil", err)
	}
	if got := l.Len(); got != 0 {
		t.Errorf("Len after Reset: got %d; want 0", got)
	}
	if _, ok, _ := l.Hit(ctx, "k"); !ok {
		t.Errorf("Hit after Reset: got false; want true")
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
		l.Hit(ctx, fmt.Sprint("old", i))
	}
	c.Advance(30 * time.Second)
	for i := range 10 {
		l.Hit(ctx, fmt.Sprint("new", i))
	}
	c.Advance(30 * time.Second)
	l.Hit(ctx, "latest")
	if got, want := l.Len(), 11; got != want {
		t.Errorf("Len after the first windows ended: got %d; want %d", got, want)
	}
}

func TestMaxEntriesEvictsOldest(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	l := New(Config{Max: 1, Window: time.Hour, MaxEntries: 3, Now: c.Now})
	for _, k := range []string{"a", "b", "c", "d"} {
		l.Hit(ctx, k)
		c.Advance(time.Second)
	}
	if got := l.Len(); got != 3 {
		t.Errorf("Len: got %d; want 3", got)
	}
	tests := []struct {
		key    string
		wantOK bool
	}{
		{"b", false},
		{"c", false},
		{"d", false},
		{"a", true}, // evicted
	}
	for _, tt := range tests {
		if _, ok, _ := l.Hit(ctx, tt.key); ok != tt.wantOK {
			t.Errorf("Hit(%q): got %v; want %v", tt.key, ok, tt.wantOK)
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
				l.Hit(ctx, k)
				l.Hit(ctx, k)
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
