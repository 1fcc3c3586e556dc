package access_test

import (
	"context"
	"errors"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/access"
)

// users is a store with ann@example.com, linked to GitHub account 42.
type users struct{}

func (users) UserByEmail(_ context.Context, email string) (*latch.StoredUser, error) {
	if email == "ann@example.com" {
		return &latch.StoredUser{User: latch.User{ID: "u1", Email: email}}, nil
	}
	return nil, latch.ErrNotFound
}

func (users) UserByAccount(_ context.Context, provider, id string) (*latch.StoredUser, error) {
	if provider == "github" && id == "42" {
		return &latch.StoredUser{User: latch.User{ID: "u1"}}, nil
	}
	return nil, latch.ErrNotFound
}

func oauth(provider, id, email string, verified bool, raw map[string]any) *latch.SignInParams {
	return &latch.SignInParams{
		User:    &latch.User{ID: id, Email: email},
		Account: &latch.Account{Provider: provider, Type: "oauth", ProviderAccountID: id},
		Profile: &latch.OAuthProfile{ID: id, Email: email, EmailVerified: verified, Raw: raw},
	}
}

func emailSignIn(email string) *latch.SignInParams {
	return &latch.SignInParams{User: &latch.User{ID: email, Email: email}, Account: &latch.Account{Provider: "email", Type: "email", ProviderAccountID: email}, VerificationRequest: true}
}

func TestRules(t *testing.T) {
	tests := []struct {
		name  string
		rules access.Rules
		p     *latch.SignInParams
		allow bool
	}{
		{"nothing configured lets nobody in", access.Rules{}, emailSignIn("ann@example.com"), false},
		{"anyone", access.Rules{Anyone: true}, oauth("github", "7", "eve@evil.example", false, nil), true},
		{"listed email", access.Rules{Emails: []string{"Ann@Example.com"}}, emailSignIn("ann@example.com"), true},
		{"other email", access.Rules{Emails: []string{"ann@example.com"}}, emailSignIn("bob@example.com"), false},
		{"domain", access.Rules{Domains: []string{"example.com"}}, emailSignIn("bob@EXAMPLE.com"), true},
		{"subdomain is another domain", access.Rules{Domains: []string{"example.com"}}, emailSignIn("bob@sub.example.com"), false},
		{"suffix is not the domain", access.Rules{Domains: []string{"example.com"}}, emailSignIn("bob@badexample.com"), false},
		{"domain in the local part", access.Rules{Domains: []string{"example.com"}}, emailSignIn("example.com@evil.example"), false},
		{"verified OAuth email", access.Rules{Domains: []string{"example.com"}}, oauth("github", "7", "bob@example.com", true, nil), true},
		{"unverified OAuth email does not count", access.Rules{Domains: []string{"example.com"}, Emails: []string{"bob@example.com"}}, oauth("oidc", "7", "bob@example.com", false, nil), false},
		{"group", access.Rules{Groups: []string{"staff"}}, oauth("oidc", "7", "", false, map[string]any{"groups": []any{"users", "staff"}}), true},
		{"role as a string", access.Rules{Groups: []string{"admin"}}, oauth("oidc", "7", "", false, map[string]any{"roles": "admin"}), true},
		{"other group", access.Rules{Groups: []string{"staff"}}, oauth("oidc", "7", "", false, map[string]any{"groups": []any{"users"}}), false},
		{"nested claim", access.Rules{Groups: []string{"ops"}, GroupClaims: []string{"realm_access.roles"}}, oauth("keycloak", "7", "", false, map[string]any{"realm_access": map[string]any{"roles": []any{"ops"}}}), true},
		{"group claims only from a profile", access.Rules{Groups: []string{"staff"}}, &latch.SignInParams{User: &latch.User{Email: "x@y.z"}, Credentials: map[string]string{"groups": "staff"}}, false},
		{"known by linked account", access.Rules{KnownUsers: true}, oauth("github", "42", "", false, nil), true},
		{"known by verified email", access.Rules{KnownUsers: true}, oauth("google", "9", "ann@example.com", true, nil), true},
		{"not known by unverified email", access.Rules{KnownUsers: true}, oauth("entra", "9", "ann@example.com", false, nil), false},
		{"unknown email sign-in", access.Rules{KnownUsers: true}, emailSignIn("new@example.com"), false},
		{"known email sign-in", access.Rules{KnownUsers: true}, emailSignIn("ann@example.com"), true},
		{"credentials user of the database", access.Rules{KnownUsers: true}, &latch.SignInParams{User: &latch.User{ID: "u1", Email: "ann@example.com"}, Account: &latch.Account{Provider: "credentials", Type: "credentials"}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.rules.SignIn(users{}, nil)(context.Background(), tc.p)
			if tc.allow && err != nil {
				t.Errorf("refused: %v; want let in", err)
			}
			if !tc.allow && !errors.Is(err, latch.ErrAccessDenied) {
				t.Errorf("got %v; want ErrAccessDenied", err)
			}
		})
	}
}

// The application's own SignIn callback runs after the rules let a user
// in, and only then.
func TestRulesThenNext(t *testing.T) {
	calls := 0
	next := func(context.Context, *latch.SignInParams) error { calls++; return errors.New("refused by the app") }
	f := access.Rules{Domains: []string{"example.com"}}.SignIn(nil, next)
	if err := f(context.Background(), emailSignIn("eve@evil.example")); !errors.Is(err, latch.ErrAccessDenied) || calls != 0 {
		t.Errorf("outsider: %v, next called %d times; want AccessDenied without next", err, calls)
	}
	if err := f(context.Background(), emailSignIn("ann@example.com")); err == nil || calls != 1 {
		t.Errorf("insider: %v, next called %d times; want next's refusal", err, calls)
	}
}

// A store that fails is an error, not a refusal nor a pass.
func TestKnownUsersStoreError(t *testing.T) {
	err := access.Rules{KnownUsers: true}.SignIn(failing{}, nil)(context.Background(), emailSignIn("ann@example.com"))
	if err == nil || errors.Is(err, latch.ErrAccessDenied) {
		t.Errorf("got %v; want the store's error", err)
	}
}

type failing struct{}

func (failing) UserByEmail(context.Context, string) (*latch.StoredUser, error) {
	return nil, errors.New("database down")
}
func (failing) UserByAccount(context.Context, string, string) (*latch.StoredUser, error) {
	return nil, errors.New("database down")
}

func TestValidate(t *testing.T) {
	bad := []access.Rules{
		{Emails: []string{"ann"}}, {Emails: []string{"@example.com"}}, {Emails: []string{" ann@example.com"}},
		{Domains: []string{"@example.com"}}, {Domains: []string{"*.example.com"}}, {Domains: []string{".example.com"}}, {Domains: []string{""}},
		{Groups: []string{""}},
	}
	for _, r := range bad {
		if r.Validate() == nil {
			t.Errorf("%+v: valid; want an error", r)
		}
	}
	if err := (access.Rules{Emails: []string{"ann@example.com"}, Domains: []string{"example.com"}, Groups: []string{"staff"}}).Validate(); err != nil {
		t.Error(err)
	}
}
