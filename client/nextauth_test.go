package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/client"
	"github.com/latchauth/latch/internal/compat"
)

// scenario runs the same steps against a server and returns what the
// client saw, with the server's origin replaced by ORIGIN.
func scenario(t *testing.T, origin string) []string {
	t.Helper()
	ctx := context.Background()
	c, err := client.New(origin + "/api/auth")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	log := func(format string, args ...any) {
		out = append(out, strings.ReplaceAll(fmt.Sprintf(format, args...), origin, "ORIGIN"))
	}
	providers, err := c.GetProviders(ctx)
	log("providers %v %+v", err, providers["credentials"])
	tok, err := c.GetCsrfToken(ctx)
	log("csrf %d %v", len(tok), err)
	s, err := c.GetSession(ctx, client.GetSessionOptions{})
	log("session %v %v %v", s, err, c.Status())

	res, err := c.SignIn(ctx, "credentials", client.SignInOptions{Credentials: map[string]string{"username": "ann", "password": "wrong"}}, nil)
	log("wrong %+v credentials=%v %v", res, errors.Is(err, client.ErrCredentials), c.Status())
	res, err = c.SignIn(ctx, "credentials", client.SignInOptions{CallbackURL: "/dash", Credentials: map[string]string{"username": "ann", "password": "right"}}, nil)
	log("right %+v %v %v", res, err, c.Status())
	s, _ = c.Data()
	if s == nil {
		t.Fatalf("no session after sign-in")
	}
	log("user %+v extra %d", s.User, len(s.Extra))
	if d := time.Until(s.Expires); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expires in %v; want about 30 days", d)
	}
	res, err = c.SignIn(ctx, "credentials", client.SignInOptions{CallbackURL: "https://evil.example/x", Credentials: map[string]string{"username": "ann", "password": "right"}}, nil)
	log("foreign callback %+v %v", res, err)

	to, err := c.SignOut(ctx, client.SignOutOptions{CallbackURL: "/bye"})
	log("signout %s %v %v", to, err, c.Status())
	s, err = c.GetSession(ctx, client.GetSessionOptions{})
	log("session after %v %v", s, err)
	return out
}

// TestAgainstRealNextAuth runs the client against next-auth 4.24.15 (the
// real handler under node) and against Latch: it must see the same.
func TestAgainstRealNextAuth(t *testing.T) {
	node := compat.Node(t)
	secret := strings.Repeat("n", 32)
	origin := node.StartServer(t, secret, map[string]compat.ServerUser{
		"ann": {ID: "1", Name: "Ann", Email: "ann@example.com", Password: "right"},
	})
	got := scenario(t, origin)
	want := scenario(t, newServer(t).URL)
	t.Logf("next-auth saw:\n%s", strings.Join(got, "\n"))
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w && !strings.HasPrefix(w, "user ") {
			t.Errorf("step %d:\nnext-auth: %s\nlatch:     %s", i, g, w)
		}
	}
	// Latch's test server adds a role field via its Session callback; the
	// user itself must match.
	for _, line := range got {
		if strings.HasPrefix(line, "user ") && !strings.Contains(line, "Name:Ann Email:ann@example.com") {
			t.Errorf("next-auth session user: %s", line)
		}
	}
}
