package latch_test

import (
	"context"
	"errors"
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

// TestSignUpPage: the sign-up page creates no account until the address
// is proven: it sends a link (none for a taken address, with the same
// answer); opening the link only asks to confirm (a mail scanner cannot
// use it); confirming creates the account, verified, signs in, and the
// link is spent; the password then signs in.
func TestSignUpPage(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	store.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "taken@example.com"}})
	box := &mailbox{}
	mail, err := email.New(email.Config{From: "no-reply@example.com", Sender: box})
	if err != nil {
		t.Fatal(err)
	}
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("s", 32)},
		Store: store, SignUp: true,
		Providers: []latch.Provider{password.New(store, password.Options{}), mail},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &accountBrowser{t: t, a: a, ua: "New/1", cookies: map[string]string{}}
	if page := b.do("GET", "/api/auth/signin", nil).Body.String(); !strings.Contains(page, `href="http://localhost:3000/api/auth/signup"`) {
		t.Errorf("the sign-in page has no sign-up link")
	}
	post := func(form url.Values) string {
		form.Set("csrfToken", b.csrf())
		w := b.do("POST", "/api/auth/signup", form)
		if w.Code != http.StatusOK {
			t.Fatalf("sign-up POST: %d %s", w.Code, w.Body)
		}
		return w.Body.String()
	}
	for _, tc := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"email": {"nia@example.com"}, "password": {"a new password"}, "confirm": {"other"}}, "The two passwords differ."},
		{url.Values{"email": {"nia@example.com"}, "password": {"short"}, "confirm": {"short"}}, "at least 8 characters"},
		{url.Values{"email": {"not an address"}, "password": {"a new password"}, "confirm": {"a new password"}}, "does not look like an email address"},
		{url.Values{"email": {"taken@example.com"}, "password": {"a new password"}, "confirm": {"a new password"}}, `id="signup-sent"`},
		{url.Values{"email": {"nia@example.com"}, "name": {"Nia"}, "password": {"a new password"}, "confirm": {"a new password"}}, `id="signup-sent"`},
	} {
		if page := post(tc.form); !strings.Contains(page, tc.want) {
			t.Errorf("sign-up %v: page lacks %q:\n%s", tc.form, tc.want, page)
		}
	}
	if _, err := store.UserByEmail(ctx, "nia@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Fatalf("an account exists before its address was proven: %v", err)
	}
	var msg email.Message
	deadline := time.Now().Add(10 * time.Second)
	for msg.URL == "" {
		box.mu.Lock()
		for _, m := range box.msgs {
			if m.To == "nia@example.com" {
				msg = m
			}
		}
		box.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("no sign-up email within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	link := strings.TrimPrefix(msg.URL, "http://localhost:3000")
	for range 2 { // a mail scanner, then the person
		if page := b.do("GET", link, nil).Body.String(); !strings.Contains(page, `id="signup-confirm"`) {
			t.Fatalf("opening the link: no confirmation:\n%s", page)
		}
	}
	if _, err := store.UserByEmail(ctx, "nia@example.com"); !errors.Is(err, latch.ErrNotFound) {
		t.Fatal("opening the link created the account")
	}
	tok, _ := url.Parse(msg.URL)
	forged := tok.Query().Get("t")
	forged = forged[:len(forged)-2] + "AA"
	if w := b.do("POST", "/api/auth/signup/verify", url.Values{"csrfToken": {b.csrf()}, "t": {forged}}); !strings.Contains(w.Body.String(), `id="signup-invalid"`) {
		t.Errorf("a changed link: %d %s", w.Code, w.Body)
	}
	w := b.do("POST", "/api/auth/signup/verify", url.Values{"csrfToken": {b.csrf()}, "t": {tok.Query().Get("t")}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/api/auth/account") {
		t.Fatalf("confirming: %d %q %s", w.Code, w.Header().Get("Location"), w.Body)
	}
	u, err := store.UserByEmail(ctx, "nia@example.com")
	if err != nil || u.Name != "Nia" || u.EmailVerified.IsZero() {
		t.Fatalf("the new account = %+v, %v; want Nia, verified", u, err)
	}
	if s := b.do("GET", "/api/auth/session", nil).Body.String(); !strings.Contains(s, "nia@example.com") {
		t.Errorf("after confirming: %s; want signed in", s)
	}
	if page := b.do("GET", link, nil).Body.String(); !strings.Contains(page, `id="signup-invalid"`) {
		t.Errorf("the used link: still works")
	}
	if !(&accountBrowser{t: t, a: a, ua: "Z", cookies: map[string]string{}}).signIn("nia@example.com", "a new password") {
		t.Error("the new account's password does not sign in")
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	for _, m := range box.msgs {
		if m.To == "taken@example.com" {
			t.Error("a sign-up link went to an address that has an account")
		}
	}
}
