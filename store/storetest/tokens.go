package storetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// accountTokens runs a test only for stores that keep account tokens.
func accountTokens(run func(*testing.T, latch.AccountTokenStore, latch.Store)) func(*testing.T, latch.Store) {
	return func(t *testing.T, s latch.Store) {
		ts, ok := s.(latch.AccountTokenStore)
		if !ok {
			t.Skip("the store is not a latch.AccountTokenStore")
		}
		run(t, ts, s)
	}
}

func testAccountTokens(t *testing.T, ts latch.AccountTokenStore, s latch.Store) {
	u := mustUser(t, s, "tok@example.com")
	acc := latch.LinkedAccount{
		Account:     latch.Account{Provider: "idp", Type: "oauth", ProviderAccountID: "sub-1"},
		UserID:      u.ID,
		OAuthTokens: latch.OAuthTokens{AccessToken: "at1", RefreshToken: "rt1", ExpiresAt: 1_900_000_000, TokenType: "Bearer", Scope: "openid", IDToken: "idt1", SessionState: "ss"},
	}
	if err := s.LinkAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	got, err := ts.Account(ctx, "idp", "sub-1")
	if err != nil || *got != acc {
		t.Fatalf("Account = %+v, %v; want %+v", got, err, acc)
	}
	_, err = ts.Account(ctx, "idp", "sub-2")
	wantErr(t, "Account(missing)", err, latch.ErrNotFound)

	next := latch.OAuthTokens{AccessToken: "at2", RefreshToken: "rt2", ExpiresAt: 1_900_000_600, TokenType: "Bearer", Scope: "openid email"}
	if err := ts.UpdateAccountTokens(ctx, "idp", "sub-1", next, ""); err != nil {
		t.Fatal(err)
	}
	want := acc
	want.OAuthTokens = next
	if got, err := ts.Account(ctx, "idp", "sub-1"); err != nil || *got != want {
		t.Errorf("Account after update = %+v, %v; want %+v", got, err, want)
	}
	if err := ts.UpdateAccountTokens(ctx, "idp", "sub-1", next, "invalid_grant"); err != nil {
		t.Fatal(err)
	}
	want.RefreshError = "invalid_grant"
	accs, err := s.Accounts(ctx, u.ID)
	if err != nil || len(accs) != 1 || accs[0] != want {
		t.Errorf("Accounts with a refresh error = %+v, %v; want [%+v]", accs, err, want)
	}
	wantErr(t, "UpdateAccountTokens(missing)", ts.UpdateAccountTokens(ctx, "idp", "sub-2", next, ""), latch.ErrNotFound)
}

// testTokenLocker checks that a store's lease is held by one holder at a
// time, waits for its release, and gives up when the context ends.
func testTokenLocker(t *testing.T, s latch.Store) {
	l, ok := s.(latch.TokenLocker)
	if !ok {
		t.Skip("the store is not a latch.TokenLocker")
	}
	unlock, err := l.LockTokens(ctx, "account:idp:a")
	if err != nil {
		t.Fatal(err)
	}
	// Another key is free.
	unlockB, err := l.LockTokens(ctx, "account:idp:b")
	if err != nil {
		t.Fatalf("LockTokens(other key): %v", err)
	}
	unlockB()
	// The same key waits; a context that ends gives up.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	_, err = l.LockTokens(short, "account:idp:a")
	cancel()
	if err == nil {
		t.Fatal("LockTokens of a held lease succeeded")
	}
	var holders, maxHolders atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			u, err := l.LockTokens(ctx, "account:idp:a")
			if err != nil {
				errs <- err
				return
			}
			n := holders.Add(1)
			for {
				m := maxHolders.Load()
				if n <= m || maxHolders.CompareAndSwap(m, n) {
					break
				}
			}
			for range 1000 { // hold it a moment, to overlap others if the lease were shared
				runtime.Gosched()
			}
			holders.Add(-1)
			u()
		})
	}
	unlock()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if m := maxHolders.Load(); m != 1 {
		t.Errorf("%d holders of one lease at once; want 1", m)
	}
	unlock() // a second unlock is harmless

	// Many leases at once (more than a connection pool holds), each holder
	// using the store meanwhile, as a refresh does: none starves.
	u := mustUser(t, s, "lease@example.com")
	short, cancel = context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	errs = make(chan error, 32)
	for i := range 32 {
		wg.Go(func() {
			unlock, err := l.LockTokens(short, fmt.Sprintf("account:idp:many-%d", i))
			if err != nil {
				errs <- err
				return
			}
			defer unlock()
			if _, err := s.Accounts(short, u.ID); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a lease holder could not use the store: %v", err)
	}
}

// testRefreshResultCache checks a store's refresh-result cache.
func testRefreshResultCache(t *testing.T, s latch.Store) {
	c, ok := s.(latch.RefreshResultCache)
	if !ok {
		t.Skip("the store is not a latch.RefreshResultCache")
	}
	if _, err := c.RefreshResult(ctx, "k1"); !errors.Is(err, latch.ErrNotFound) {
		t.Errorf("RefreshResult(missing) err = %v; want ErrNotFound", err)
	}
	if err := c.PutRefreshResult(ctx, "k1", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err := c.RefreshResult(ctx, "k1"); err != nil || string(v) != "v1" {
		t.Errorf("RefreshResult = %q, %v; want v1", v, err)
	}
}

// testAccountsAfter checks the paging of every account.
func testAccountsAfter(t *testing.T, s latch.Store) {
	l, ok := s.(latch.AccountLister)
	if !ok {
		t.Skip("the store is not a latch.AccountLister")
	}
	u := mustUser(t, s, "pages@example.com")
	want := []string{"a/1", "a/2", "b/1", "b/10", "b/2"}
	for _, k := range []string{"b/2", "a/2", "b/10", "a/1", "b/1"} {
		p, id, _ := strings.Cut(k, "/")
		if err := s.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: p, Type: "oauth", ProviderAccountID: id}, UserID: u.ID,
			OAuthTokens: latch.OAuthTokens{AccessToken: "at-" + k}}); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	p, id := "", ""
	for range 10 {
		page, err := l.AccountsAfter(ctx, p, id, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 2 {
			t.Fatalf("AccountsAfter(limit 2) returned %d", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			got = append(got, a.Provider+"/"+a.ProviderAccountID)
			if a.AccessToken != "at-"+a.Provider+"/"+a.ProviderAccountID || a.UserID != u.ID {
				t.Errorf("account %+v: wrong fields", a)
			}
		}
		p, id = page[len(page)-1].Provider, page[len(page)-1].ProviderAccountID
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("pages = %v; want %v", got, want)
	}
}
