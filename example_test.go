package latch_test

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/latchauth/latch"
)

// Mount Latch under /api/auth with a credentials provider that checks
// your own users, and protect a route with Require.
func Example() {
	secret := strings.Repeat("x", latch.MinSecretLength) // in production: os.Getenv("AUTH_SECRET")
	users := exampleUsers{"jane": "secret"}
	var auth *latch.Auth // set below
	dashboard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := auth.Session(r)
		fmt.Fprintf(w, "Hello, %s (user %s)\n", s.User.Name, s.User.ID)
	})

	// readme:begin
	auth, err := latch.New(latch.Config{
		URL:     "https://example.com/api/auth",
		Secrets: []string{secret}, // 32+ random characters: `latch secret` prints some
		Providers: []latch.Provider{&latch.Credentials{
			Fields: []latch.CredentialField{{Name: "username"}, {Name: "password", Type: "password"}},
			Authorize: func(ctx context.Context, c map[string]string, r *http.Request) (*latch.User, error) {
				return users.Check(ctx, c["username"], c["password"]) // nil user: wrong credentials
			},
		}},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("/dashboard", auth.Require(dashboard)) // auth.Session(r) inside: the signed-in user
	// readme:end

	// Without a session, API clients get 401 and browsers the sign-in page.
	var cookies []*http.Cookie
	do := func(method, path string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "https://example.com"+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		cookies = append(cookies, w.Result().Cookies()...)
		return w
	}
	w := do("GET", "/dashboard", nil)
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))

	// Sign in as next-auth/react's signIn("credentials", ...) does.
	var csrf struct{ CsrfToken string }
	json.Unmarshal(do("GET", "/api/auth/csrf", nil).Body.Bytes(), &csrf)
	do("POST", "/api/auth/callback/credentials", url.Values{"username": {"jane"}, "password": {"secret"}, "csrfToken": {csrf.CsrfToken}, "json": {"true"}})
	fmt.Print(do("GET", "/dashboard", nil).Body.String())
	// Output:
	// 401 {"error":"SessionRequired"}
	// Hello, jane (user user-jane)
}

// exampleUsers is a user database of the examples: passwords by user name.
type exampleUsers map[string]string

// Check returns the user whose name and password these are, or nil.
func (u exampleUsers) Check(ctx context.Context, name, password string) (*latch.User, error) {
	want, ok := u[name]
	if !ok || subtle.ConstantTimeCompare([]byte(password), []byte(want)) != 1 {
		return nil, nil
	}
	return &latch.User{ID: "user-" + name, Name: name}, nil
}

// Read the session of a request anywhere in your app, the getServerSession
// of Go.
func ExampleAuth_Session() {
	auth, _ := latch.New(latch.Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("x", 32)}})
	mux := http.NewServeMux()
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		if s := auth.Session(r); s != nil {
			io.WriteString(w, s.User.Email)
			return
		}
		io.WriteString(w, "signed out")
	})
}

// Compare email addresses as the stores do.
func ExampleFoldEmail() {
	fmt.Println(latch.FoldEmail("Ülkü.Öz@Example.COM"))
	fmt.Println(latch.FoldEmail("\u212Aim@example.com") == latch.FoldEmail("kim@example.com")) // Kelvin sign, not K
	// Output:
	// ülkü.öz@example.com
	// false
}
