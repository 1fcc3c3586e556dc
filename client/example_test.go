package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/client"
)

// A command-line program that signs in with credentials and prints the
// user.
func Example() {
	srv := exampleServer() // any server speaking the NextAuth v4 API
	defer srv.Close()

	ctx := context.Background()
	c, err := client.New(srv.URL + "/api/auth")
	if err != nil {
		panic(err)
	}
	_, err = c.SignIn(ctx, "credentials", client.SignInOptions{
		Credentials: map[string]string{"username": "jane", "password": "secret"},
	}, nil)
	if errors.Is(err, client.ErrCredentials) {
		fmt.Println("wrong username or password")
		return
	}
	if err != nil {
		panic(err)
	}
	s, _ := c.Data()
	fmt.Println(c.Status(), s.User.Name, s.User.Email)
	// Output: authenticated Jane jane@example.com
}

func exampleServer() *httptest.Server {
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	auth, _ := latch.New(latch.Config{
		URL:     srv.URL + "/api/auth",
		Secrets: []string{strings.Repeat("e", 32)},
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			if c["username"] == "jane" && c["password"] == "secret" {
				return &latch.User{ID: "7", Name: "Jane", Email: "jane@example.com"}, nil
			}
			return nil, nil
		}}},
	})
	mux.Handle("/api/auth/", auth)
	return srv
}
