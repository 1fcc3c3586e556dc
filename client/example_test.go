package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/client"
)

// A command-line program that signs in with credentials and prints the
// user; a wrong password is an error it can tell from the others.
func Example() {
	srv := exampleServer() // any server speaking the NextAuth v4 API
	defer srv.Close()

	ctx := context.Background()
	for _, pw := range []string{"wrong", "secret"} {
		if err := signIn(ctx, srv.URL+"/api/auth", pw); err != nil {
			panic(err)
		}
	}
	// Output:
	// wrong email or password
	// Ann authenticated
}

// signIn is the README's client example.
func signIn(ctx context.Context, baseURL, pw string) error {
	// readme:begin
	c, err := client.New(baseURL) // e.g. "https://example.com/api/auth"
	if err != nil {
		return err
	}
	_, err = c.SignIn(ctx, "credentials", client.SignInOptions{
		Credentials: map[string]string{"email": "ann@example.com", "password": pw},
	}, nil)
	if errors.Is(err, client.ErrCredentials) {
		fmt.Println("wrong email or password") // c.Data() is nil: signed out
		return nil
	}
	if err != nil {
		return err // server unreachable, CSRF refused, rate limited...
	}
	s, _ := c.Data() // the session, as useSession's data; c.LastRefreshedAt() when it was read
	fmt.Println(s.User.Name, c.Status())
	// readme:end
	return nil
}

func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	auth, _ := latch.New(latch.Config{
		URL:     srv.URL + "/api/auth",
		Secrets: []string{strings.Repeat("e", 32)},
		Logger:  slog.New(slog.DiscardHandler),
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			if c["email"] == "ann@example.com" && c["password"] == "secret" {
				return &latch.User{ID: "7", Name: "Ann", Email: "ann@example.com"}, nil
			}
			return nil, nil
		}}},
	})
	mux.Handle("/api/auth/", auth)
	return srv
}
