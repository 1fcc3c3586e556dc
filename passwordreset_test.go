package latch_test

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/email"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// TestPasswordReset: "Forgot your password?" sends a single-use link to
// an account with a password (the same answer for any address); opening
// the link uses nothing (a mail scanner cannot spend it); the new password
// is checked, then works, the old one does not, and every session ends.
func TestPasswordReset(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ada", Email: "ada@example.com"}})
	h, _ := password.Hash("old password 1")
	store.SetPasswordHash(ctx, user.ID, h)
	store.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "nopass@example.com"}})
	box := &mailbox{}
	mail, err := email.New(email.Config{From: "no-reply@example.com", Sender: box})
	if err != nil {
		t.Fatal(err)
	}
	clk := &revClock{now: time.Now().Truncate(time.Second)}
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("p", 32)},
		Store: store, Now: clk.Now,
		Providers: []latch.Provider{password.New(store, password.Options{}), mail},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &accountBrowser{t: t, a: a, ua: "Reset/1", cookies: map[string]string{}}
	if page := b.do("GET", "/api/auth/signin", nil).Body.String(); !strings.Contains(page, `href="http://localhost:3000/api/auth/forgot-password"`) {
		t.Errorf("the sign-in page has no forgot-password link:\n%s", page)
	}
	other := &accountBrowser{t: t, a: a, ua: "Other/1", cookies: map[string]string{}}
	if !other.signIn("ada@example.com", "old password 1") {
		t.Fatal("sign-in failed")
	}
	ask := func(addr string) string {
		w := b.do("POST", "/api/auth/forgot-password", url.Values{"csrfToken": {b.csrf()}, "email": {addr}})
		if w.Code != http.StatusOK {
			t.Fatalf("forgot-password %s: %d", addr, w.Code)
		}
		return w.Body.String()
	}
	for _, addr := range []string{"nobody@example.com", "nopass@example.com", "ada@example.com"} {
		if page := ask(addr); !strings.Contains(page, `id="reset-sent"`) {
			t.Errorf("forgot-password %s: not the same 'sent' page:\n%s", addr, page)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	var msg email.Message
	for {
		box.mu.Lock()
		if len(box.msgs) > 0 {
			msg = box.msgs[0]
		}
		box.mu.Unlock()
		if msg.URL != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no reset email within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if msg.To != "ada@example.com" || !strings.Contains(msg.Subject, "Reset your password") || !strings.Contains(msg.Text, msg.URL) {
		t.Fatalf("reset email = %+v", msg)
	}
	link := strings.TrimPrefix(msg.URL, "http://localhost:3000")
	for range 2 { // a mail scanner first, then the person
		if page := b.do("GET", link, nil).Body.String(); !strings.Contains(page, `id="reset-form"`) {
			t.Fatalf("opening the link: no form:\n%s", page)
		}
	}
	u, _ := url.Parse(msg.URL)
	form := func(next, confirm string) url.Values {
		return url.Values{"csrfToken": {b.csrf()}, "email": {u.Query().Get("email")}, "token": {u.Query().Get("token")}, "new": {next}, "confirm": {confirm}}
	}
	if w := b.do("POST", "/api/auth/reset-password", form("new password 2", "other")); !strings.Contains(w.Body.String(), "The two passwords differ.") {
		t.Errorf("different passwords: %s", w.Body)
	}
	if w := b.do("POST", "/api/auth/reset-password", form("short", "short")); !strings.Contains(w.Body.String(), "at least 8 characters") {
		t.Errorf("short password: %s", w.Body)
	}
	tampered := form("new password 2", "new password 2")
	tampered.Set("token", strings.Repeat("0", 64))
	if w := b.do("POST", "/api/auth/reset-password", tampered); !strings.Contains(w.Body.String(), `id="reset-invalid"`) {
		t.Errorf("a made-up token: %s", w.Body)
	}
	clk.Add(2 * time.Second)
	w := b.do("POST", "/api/auth/reset-password", form("new password 2", "new password 2"))
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/api/auth/signin") {
		t.Fatalf("reset: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	if s := other.do("GET", "/api/auth/session", nil).Body.String(); s != "{}" {
		t.Errorf("a session from before the reset: %s; want ended", s)
	}
	if (&accountBrowser{t: t, a: a, ua: "X", cookies: map[string]string{}}).signIn("ada@example.com", "old password 1") {
		t.Error("the old password still signs in")
	}
	if !(&accountBrowser{t: t, a: a, ua: "Y", cookies: map[string]string{}}).signIn("ada@example.com", "new password 2") {
		t.Error("the new password does not sign in")
	}
	if page := b.do("GET", link, nil).Body.String(); !strings.Contains(page, `id="reset-invalid"`) {
		t.Errorf("the used link: %s; want it refused", page)
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	for _, m := range box.msgs {
		if m.To != "ada@example.com" {
			t.Errorf("a reset email went to %s, which has no password", m.To)
		}
	}
}
