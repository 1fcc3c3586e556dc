package latch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// accountBrowser is a cookie jar and a user agent against one Auth.
type accountBrowser struct {
	t       *testing.T
	a       *latch.Auth
	ua      string
	cookies map[string]string
}

func (b *accountBrowser) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	b.t.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, "http://localhost:3000"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, "http://localhost:3000"+path, nil)
	}
	req.Header.Set("User-Agent", b.ua)
	for n, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	w := httptest.NewRecorder()
	b.a.ServeHTTP(w, req)
	for _, c := range w.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return w
}

func (b *accountBrowser) csrf() string {
	w := b.do("GET", "/api/auth/csrf", nil)
	return strings.Split(strings.Split(w.Body.String(), `"csrfToken":"`)[1], `"`)[0]
}

func (b *accountBrowser) signIn(email, pw string) bool {
	b.do("POST", "/api/auth/callback/credentials", url.Values{"csrfToken": {b.csrf()}, "email": {email}, "password": {pw}, "json": {"true"}})
	return strings.Contains(b.do("GET", "/api/auth/session", nil).Body.String(), email)
}

func (b *accountBrowser) post(action string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrfToken", b.csrf())
	form.Set("action", action)
	return b.do("POST", "/api/auth/account", form)
}

// TestAccountPage: the signed-in user's account page shows their
// sessions; changing the password needs the current one and ends the
// other sessions (this browser stays signed in); one session can be
// signed out alone, and all of them at once.
func TestAccountPage(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ada", Email: "ada@example.com"}})
	h, _ := password.Hash("old password 1")
	store.SetPasswordHash(ctx, user.ID, h)
	clk := &revClock{now: time.Now().Truncate(time.Second)}
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("a", 32)},
		Store: store, Now: clk.Now,
		Providers: []latch.Provider{password.New(store, password.Options{})},
	})
	if err != nil {
		t.Fatal(err)
	}
	newAccountBrowser := func(ua string) *accountBrowser {
		return &accountBrowser{t: t, a: a, ua: ua, cookies: map[string]string{}}
	}

	out := newAccountBrowser("Outsider/1")
	if w := out.do("GET", "/api/auth/account", nil); w.Code != http.StatusFound || !strings.Contains(w.Header().Get("Location"), "/api/auth/signin?callbackUrl=") {
		t.Errorf("account page signed out: %d %q; want the sign-in page", w.Code, w.Header().Get("Location"))
	}
	laptop, phone := newAccountBrowser("Laptop/1"), newAccountBrowser("Phone/1")
	if !laptop.signIn("ada@example.com", "old password 1") || !phone.signIn("ada@example.com", "old password 1") {
		t.Fatal("sign-in failed")
	}
	page := laptop.do("GET", "/api/auth/account", nil).Body.String()
	for _, want := range []string{"ada@example.com", `id="password-form"`, "This browser", "Phone/1", "Sign out everywhere"} {
		if !strings.Contains(page, want) {
			t.Errorf("account page lacks %q:\n%s", want, page)
		}
	}

	// The forms are CSRF-checked.
	if w := laptop.do("POST", "/api/auth/account", url.Values{"action": {"signout-everywhere"}}); w.Code != http.StatusForbidden {
		t.Errorf("POST without a CSRF token: %d; want 403", w.Code)
	}
	for _, tc := range []struct{ current, next, confirm, want string }{
		{"wrong password", "new password 2", "new password 2", "The current password is wrong."},
		{"old password 1", "new password 2", "new password 3", "The two new passwords differ."},
		{"old password 1", "short", "short", "at least 8 characters"},
	} {
		w := laptop.post("password", url.Values{"current": {tc.current}, "new": {tc.next}, "confirm": {tc.confirm}})
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("password change %+v: %d; want the page saying %q:\n%s", tc, w.Code, tc.want, w.Body)
		}
	}
	clk.Add(2 * time.Second) // the sessions above are from an earlier second
	w := laptop.post("password", url.Values{"current": {"old password 1"}, "new": {"new password 2"}, "confirm": {"new password 2"}})
	if w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/api/auth/account?done=password") {
		t.Fatalf("password change: %d %q; want 303 to the page", w.Code, w.Header().Get("Location"))
	}
	if s := laptop.do("GET", "/api/auth/session", nil).Body.String(); !strings.Contains(s, "ada@example.com") {
		t.Errorf("this browser after the change: %s; want still signed in", s)
	}
	if s := phone.do("GET", "/api/auth/session", nil).Body.String(); s != "{}" {
		t.Errorf("the other browser after the change: %s; want signed out", s)
	}
	if newAccountBrowser("X/1").signIn("ada@example.com", "old password 1") {
		t.Error("the old password still signs in")
	}
	tablet := newAccountBrowser("Tablet/1")
	if !tablet.signIn("ada@example.com", "new password 2") {
		t.Fatal("the new password does not sign in")
	}

	// One other session signed out alone.
	page = laptop.do("GET", "/api/auth/account", nil).Body.String()
	i := strings.Index(page, "Tablet/1")
	if i < 0 {
		t.Fatalf("the tablet's session is not listed:\n%s", page)
	}
	sid := strings.Split(strings.Split(page[i:], `name="session" value="`)[1], `"`)[0]
	if w := laptop.post("signout-session", url.Values{"session": {sid}}); w.Code != http.StatusSeeOther {
		t.Errorf("sign out one session: %d %s", w.Code, w.Body)
	}
	if s := tablet.do("GET", "/api/auth/session", nil).Body.String(); s != "{}" {
		t.Errorf("the signed-out session: %s; want {}", s)
	}
	if s := laptop.do("GET", "/api/auth/session", nil).Body.String(); !strings.Contains(s, "ada@example.com") {
		t.Errorf("this browser after signing out another: %s", s)
	}

	// Everywhere, this browser too.
	clk.Add(2 * time.Second)
	if w := laptop.post("signout-everywhere", nil); w.Code != http.StatusSeeOther || !strings.HasSuffix(w.Header().Get("Location"), "/api/auth/signin") {
		t.Errorf("sign out everywhere: %d %q", w.Code, w.Header().Get("Location"))
	}
	if s := laptop.do("GET", "/api/auth/session", nil).Body.String(); s != "{}" {
		t.Errorf("after signing out everywhere: %s; want {}", s)
	}
}

// TestAccountUnlink: a linked sign-in method can be unlinked while another
// way to sign in remains, never the last one.
func TestAccountUnlink(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Bo", Email: "bo@example.com"}})
	store.LinkAccount(ctx, latch.LinkedAccount{Account: latch.Account{Provider: "github", Type: "oauth", ProviderAccountID: "gh-7"}, UserID: user.ID})
	// A credentials provider of the app's own: no password in the store.
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("u", 32)}, Store: store,
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) {
			return &user.User, nil
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := &accountBrowser{t: t, a: a, ua: "B/1", cookies: map[string]string{}}
	if !b.signIn("bo@example.com", "x") {
		t.Fatal("sign-in failed")
	}
	page := b.do("GET", "/api/auth/account", nil).Body.String()
	if !strings.Contains(page, "your only way to sign in") || strings.Contains(page, `value="unlink"`) {
		t.Errorf("the only sign-in method is offered for unlinking:\n%s", page)
	}
	w := b.post("unlink", url.Values{"provider": {"github"}, "id": {"gh-7"}})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "only way to sign in") {
		t.Errorf("unlinking the last method: %d; want a refusal on the page", w.Code)
	}
	if links, _ := store.Accounts(ctx, user.ID); len(links) != 1 {
		t.Fatalf("links after the refused unlink: %v", links)
	}
	// A second method makes the first one removable.
	h, _ := password.Hash("bo's password 1")
	store.SetPasswordHash(ctx, user.ID, h)
	a2, _ := latch.New(latch.Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("u", 32)}, Store: store,
		Providers: []latch.Provider{password.New(store, password.Options{})}})
	b.a = a2
	if w := b.post("unlink", url.Values{"provider": {"github"}, "id": {"gh-7"}}); w.Code != http.StatusSeeOther {
		t.Errorf("unlink with a password left: %d %s", w.Code, w.Body)
	}
	if links, _ := store.Accounts(ctx, user.ID); len(links) != 0 {
		t.Errorf("links after unlinking: %v", links)
	}
}

// TestAccountLinkProvider: the account page offers the OAuth providers
// not linked yet; its form starts that provider's sign-in, which links
// the account to the signed-in user, and comes back to the page.
func TestAccountLinkProvider(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "latch.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	user, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Email: "cy@example.com"}})
	h, _ := password.Hash("cy's password 1")
	store.SetPasswordHash(ctx, user.ID, h)
	gh, err := oauth.New(oauth.GitHub("cid", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := latch.New(latch.Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("l", 32)}, Store: store,
		Providers: []latch.Provider{password.New(store, password.Options{}), gh}})
	if err != nil {
		t.Fatal(err)
	}
	b := &accountBrowser{t: t, a: a, ua: "L/1", cookies: map[string]string{}}
	if !b.signIn("cy@example.com", "cy's password 1") {
		t.Fatal("sign-in failed")
	}
	page := b.do("GET", "/api/auth/account", nil).Body.String()
	if !strings.Contains(page, `action="http://localhost:3000/api/auth/signin/github"`) || !strings.Contains(page, "Link GitHub") ||
		!strings.Contains(page, `name="callbackUrl" value="http://localhost:3000/api/auth/account"`) {
		t.Fatalf("no form to link GitHub:\n%s", page)
	}
	w := b.do("POST", "/api/auth/signin/github", url.Values{"csrfToken": {b.csrf()}, "callbackUrl": {"http://localhost:3000/api/auth/account"}})
	if loc := w.Header().Get("Location"); w.Code != http.StatusFound || !strings.HasPrefix(loc, "https://github.com/login/oauth/authorize?") {
		t.Errorf("the link form: %d %q; want GitHub's authorization page", w.Code, loc)
	}
}
