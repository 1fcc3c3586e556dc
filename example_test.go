package latch_test

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
)

// Mount Latch under /api/auth with a credentials provider and protect a
// route with Require.
func Example() {
	auth, err := latch.New(latch.Config{
		URL:     "http://localhost:3000/api/auth",
		Secrets: []string{"change-me-to-32-random-characters!!"},
		Providers: []latch.Provider{&latch.Credentials{
			Fields: []latch.CredentialField{{Name: "username"}, {Name: "password", Type: "password"}},
			Authorize: func(ctx context.Context, c map[string]string, r *http.Request) (*latch.User, error) {
				if c["username"] == "jane" && subtle.ConstantTimeCompare([]byte(c["password"]), []byte("secret")) == 1 {
					return &latch.User{ID: "1", Name: "Jane", Email: "jane@example.com"}, nil
				}
				return nil, nil // wrong credentials: 401 CredentialsSignin
			},
		}},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("/dashboard", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "Hello, %s", auth.Session(r).User.Name)
	})))
	// http.ListenAndServe(":3000", mux)

	// Without a session, API clients get 401 and browsers the sign-in page.
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/dashboard", nil))
	fmt.Println(w.Code, strings.TrimSpace(w.Body.String()))
	// Output: 401 {"error":"SessionRequired"}
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
