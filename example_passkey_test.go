package latch_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// Offer passkeys and a second factor next to the built-in user database.
// Passkeys need a Store that keeps them and a URL whose host is a domain
// name (it is the relying party ID).
func ExamplePasskey() {
	dir, _ := os.MkdirTemp("", "latch-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "latch.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()
	auth, err := latch.New(latch.Config{
		URL:     "http://localhost:3000/api/auth",
		Secrets: []string{strings.Repeat("s", 32)},
		Store:   store,
		Providers: []latch.Provider{
			password.New(store, password.Options{}), // asks for the second factor
			&latch.Passkey{},
		},
		SecondFactor: latch.SecondFactorConfig{Enabled: true, Issuer: "Example"},
	})
	if err != nil {
		panic(err)
	}
	w := httptest.NewRecorder()
	auth.ServeHTTP(w, httptest.NewRequest("GET", "http://localhost:3000/api/auth/providers", nil))
	fmt.Println(w.Body.String())
	// Output: {"credentials":{"id":"credentials","name":"Email and password","type":"credentials","signinUrl":"http://localhost:3000/api/auth/signin/credentials","callbackUrl":"http://localhost:3000/api/auth/callback/credentials"},"passkey":{"id":"passkey","name":"Passkey","type":"webauthn","signinUrl":"http://localhost:3000/api/auth/signin/passkey","callbackUrl":"http://localhost:3000/api/auth/callback/passkey"}}
}
