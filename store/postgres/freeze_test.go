package postgres_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/storetest"
)

// TestFrozenServerFailsFast: with the server frozen (it keeps the
// connections open and never answers), every call ends at the store's
// deadline, 50 at once as well as one, instead of waiting for the server;
// after the thaw the store works again without a restart.
func TestFrozenServerFailsFast(t *testing.T) {
	dsn := freshSchema(t)
	if !strings.Contains(dsn, "://") {
		t.Skip("the freeze test needs LATCH_TEST_POSTGRES_DSN as a URL")
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	proxy := storetest.NewFreezeProxy(t, u.Host)
	u.Host = proxy.Addr()
	s := open(t, u.String())
	defer s.Close()
	s.Timeout = 300 * time.Millisecond
	ctx := context.Background()
	user, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "frozen@example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, latch.SessionRecord{Token: "tok", UserID: user.ID, Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}

	proxy.Freeze()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 50)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, errs[i] = s.Session(ctx, "tok")
		}()
	}
	wg.Wait()
	// The deadline is 300 ms; pgx closes a connection whose query timed
	// out within about a second more. Minutes would be the defect.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("50 reads against a frozen server took %v; want them to fail at the store's deadline", d)
	}
	for i, err := range errs {
		if err == nil || errors.Is(err, latch.ErrNotFound) {
			t.Fatalf("read %d against a frozen server: %v; want a timeout error", i, err)
		}
	}
	if _, err := s.UserByEmail(ctx, "frozen@example.com"); err == nil {
		t.Error("UserByEmail against a frozen server succeeded")
	}

	proxy.Thaw()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, got, err := s.Session(ctx, "tok")
		if err == nil && got.ID == user.ID {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the thaw: Session = %v, %v; want the user back", got, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
