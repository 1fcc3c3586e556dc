package access_test

import (
	"context"
	"fmt"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/access"
)

// Let in the people of example.com and one outside collaborator, whoever
// signs them in.
func Example() {
	rules := access.Rules{Domains: []string{"example.com"}, Emails: []string{"pat@partner.example"}}
	cfg := latch.Config{ /* URL, Secrets, Providers, ... */ }
	cfg.Callbacks.SignIn = rules.SignIn(nil, nil)

	for _, email := range []string{"ann@example.com", "pat@partner.example", "eve@evil.example"} {
		p := &latch.SignInParams{User: &latch.User{Email: email}, Account: &latch.Account{Provider: "email", Type: "email", ProviderAccountID: email}}
		fmt.Println(email, cfg.Callbacks.SignIn(context.Background(), p) == nil)
	}
	// Output:
	// ann@example.com true
	// pat@partner.example true
	// eve@evil.example false
}
