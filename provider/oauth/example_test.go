package oauth_test

import (
	"fmt"
	"os"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/oauth"
)

// Offer "Sign in with GitHub": the preset, edited, then New.
func ExampleNew() {
	cfg := oauth.GitHub("Iv1.0123456789abcdef", "github-client-secret") // from your GitHub app
	cfg.Scopes = []string{"read:user", "user:email"}
	github, err := oauth.New(cfg)
	if err != nil {
		panic(err)
	}
	auth, err := latch.New(latch.Config{
		URL:       "http://localhost:3000/api/auth",
		Secrets:   []string{"change-me-to-32-random-characters!!"},
		Providers: []latch.Provider{github},
	})
	if err != nil {
		panic(err)
	}
	_ = auth // mount it under /api/auth; the sign-in starts at POST /api/auth/signin/github
	fmt.Println(github.Info().ID, github.Checks().State)
	// Output: github true
}

// Offer Sign in with Apple with the team's key: Latch makes the client
// secrets from it.
func ExampleApple() {
	p8, err := os.ReadFile("AuthKey_KEY1234567.p8")
	if err != nil {
		panic(err)
	}
	cfg, err := oauth.Apple("com.example.web", oauth.AppleKey{TeamID: "TEAM123456", KeyID: "KEY1234567", PrivateKey: p8})
	if err != nil {
		panic(err)
	}
	apple, err := oauth.New(cfg)
	if err != nil {
		panic(err)
	}
	_ = apple // a provider for latch.Config.Providers; Latch's URL must be https
}
