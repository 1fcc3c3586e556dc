package sessioncache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

func record(token, user string) (*latch.SessionRecord, *latch.StoredUser) {
	return &latch.SessionRecord{Token: token, UserID: user, Expires: time.Now().Add(time.Hour)},
		&latch.StoredUser{User: latch.User{ID: user, Name: "Name of " + user}}
}

func put(c *Cache, token, user string) {
	s, u := record(token, user)
	c.Put(c.Begin(), s, u)
}

func TestServesOnlyWhileFresh(t *testing.T) {
	c := New(0)
	put(c, "t1", "u1")
	if _, _, ok := c.Get("t1"); ok {
		t.Fatal("served before any freshness report")
	}
	c.FreshAsOf(time.Now())
	s, u, ok := c.Get("t1")
	if !ok || s.UserID != "u1" || u.Name != "Name of u1" {
		t.Fatalf("Get = %+v %+v %v", s, u, ok)
	}
	u.Name = "changed by the caller"
	if _, u, _ := c.Get("t1"); u.Name != "Name of u1" {
		t.Fatal("a caller's change to the returned user reached the cache")
	}
	c2 := New(0)
	put(c2, "t1", "u1")
	c2.FreshAsOf(time.Now().Add(-Window - time.Millisecond))
	if _, _, ok := c2.Get("t1"); ok {
		t.Fatal("served on a report older than Window")
	}
}

func TestStaleIgnoresOlderReports(t *testing.T) {
	c := New(0)
	put(c, "t1", "u1")
	before := time.Now()
	c.FreshAsOf(before)
	c.Stale()
	if _, _, ok := c.Get("t1"); ok {
		t.Fatal("served after Stale")
	}
	c.FreshAsOf(before) // a report from before the feed was lost
	if _, _, ok := c.Get("t1"); ok {
		t.Fatal("a report older than Stale turned serving back on")
	}
	c.FreshAsOf(time.Now())
	if _, _, ok := c.Get("t1"); !ok {
		t.Fatal("a newer report did not turn serving back on")
	}
}

// A read that raced with a change is not stored.
func TestPutAfterForgetIsDropped(t *testing.T) {
	for name, forget := range map[string]func(c *Cache){
		"user":  func(c *Cache) { c.ForgetUsers("u1") },
		"token": func(c *Cache) { c.ForgetToken("t1") },
		"all":   func(c *Cache) { c.ForgetAll() },
	} {
		t.Run(name, func(t *testing.T) {
			c := New(0)
			c.FreshAsOf(time.Now())
			gen := c.Begin()
			forget(c) // the change lands while the read runs
			s, u := record("t1", "u1")
			c.Put(gen, s, u)
			if _, _, ok := c.Get("t1"); ok {
				t.Fatal("a read begun before a change was stored")
			}
		})
	}
}

func TestForgetUsers(t *testing.T) {
	c := New(0)
	c.FreshAsOf(time.Now())
	for i, user := range []string{"u1", "u1", "u2", "u3"} {
		put(c, fmt.Sprint("t", i), user)
	}
	c.ForgetUsers("u1", "u3")
	for tok, want := range map[string]bool{"t0": false, "t1": false, "t2": true, "t3": false} {
		if _, _, ok := c.Get(tok); ok != want {
			t.Errorf("Get(%s) = %v; want %v", tok, ok, want)
		}
	}
	// A session that moved to another user is found under the new one.
	s, u := record("t2", "u4")
	c.Put(c.Begin(), s, u)
	c.ForgetUsers("u2")
	if _, _, ok := c.Get("t2"); !ok {
		t.Error("forgetting the session's former user dropped it")
	}
	c.ForgetUsers("u4")
	if _, _, ok := c.Get("t2"); ok {
		t.Error("forgetting the session's user kept it")
	}
	if _, _, held := c.Stats(); held != 0 || len(c.byUser) != 0 {
		t.Errorf("held %d, index %v; want both empty", held, c.byUser)
	}
}

func TestBounded(t *testing.T) {
	c := New(100)
	c.FreshAsOf(time.Now())
	for i := range 1000 {
		put(c, fmt.Sprint("t", i), fmt.Sprint("u", i%7))
	}
	if _, _, held := c.Stats(); held != 100 {
		t.Errorf("holds %d sessions; want the bound, 100", held)
	}
	n := 0
	for _, tokens := range c.byUser {
		n += len(tokens)
	}
	if n != 100 {
		t.Errorf("the user index has %d tokens; want 100", n)
	}
}

func TestLargeEntriesNotHeld(t *testing.T) {
	c := New(0)
	c.FreshAsOf(time.Now())
	s, u := record("t1", "u1")
	u.Image = "https://example.com/" + strings.Repeat("a", 5000)
	c.Put(c.Begin(), s, u)
	if _, _, ok := c.Get("t1"); ok {
		t.Error("a session with a 5 KB user record was cached")
	}
}
