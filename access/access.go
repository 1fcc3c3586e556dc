// Package access decides who may sign in: allowed email addresses, email
// domains, OpenID Connect group or role claim values, and "users already
// in the database only". A [Rules] value becomes a [latch.Callbacks]
// SignIn callback, which Latch runs for every provider before a session
// is made, and for email sign-in before a link is sent.
package access

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/latchauth/latch"
)

// Rules are who may sign in: anyone whom one of the rules lets in. The
// zero value lets nobody in.
type Rules struct {
	// Anyone lets everybody in whom a provider signs in: every GitHub
	// user, every account of an OpenID issuer, every email address.
	Anyone bool
	// Emails are addresses let in, compared as latch.FoldEmail does.
	Emails []string
	// Domains are email domains let in: "example.com" lets in
	// ann@example.com, not ann@sub.example.com nor ann@badexample.com.
	Domains []string
	// Groups are values of the profile's group or role claims (an OAuth
	// or OpenID sign-in) that let a user in.
	Groups []string
	// GroupClaims are the claims Groups are looked for in, a dot
	// separating nested names (Keycloak: "realm_access.roles"). Default
	// "groups" and "roles".
	GroupClaims []string
	// KnownUsers lets in users the store has already: a linked account,
	// or a user with the (verified) email address. It is how "only the
	// users I added with latch user add" is said.
	KnownUsers bool
}

// Empty reports whether r lets nobody in.
func (r Rules) Empty() bool {
	return !r.Anyone && len(r.Emails) == 0 && len(r.Domains) == 0 && len(r.Groups) == 0 && !r.KnownUsers
}

// Validate reports rules that cannot match anything as written.
func (r Rules) Validate() error {
	var errs []error
	for _, e := range r.Emails {
		if at := strings.LastIndexByte(e, '@'); at <= 0 || at == len(e)-1 || strings.TrimSpace(e) != e {
			errs = append(errs, fmt.Errorf("email %q: want an address like ann@example.com", e))
		}
	}
	for _, d := range r.Domains {
		if d == "" || strings.ContainsAny(d, "@/ *") || strings.HasPrefix(d, ".") || strings.HasSuffix(d, ".") {
			errs = append(errs, fmt.Errorf("domain %q: want a domain like example.com (without @, * or dots around it)", d))
		}
	}
	for _, g := range r.Groups {
		if g == "" {
			errs = append(errs, errors.New("groups: an empty group name"))
		}
	}
	return errors.Join(errs...)
}

// SignIn returns a SignIn callback that refuses with latch.ErrAccessDenied
// whom the rules do not let in. users is where KnownUsers looks (nil: no
// user is known). next, when not nil, runs after the rules let a user in
// (an application's own SignIn callback).
func (r Rules) SignIn(users UserLookup, next func(context.Context, *latch.SignInParams) error) func(context.Context, *latch.SignInParams) error {
	emails := map[string]bool{}
	for _, e := range r.Emails {
		emails[latch.FoldEmail(e)] = true
	}
	domains := map[string]bool{}
	for _, d := range r.Domains {
		domains[latch.FoldEmail(d)] = true
	}
	groups := map[string]bool{}
	for _, g := range r.Groups {
		groups[g] = true
	}
	claims := r.GroupClaims
	if len(claims) == 0 {
		claims = []string{"groups", "roles"}
	}
	return func(ctx context.Context, p *latch.SignInParams) error {
		ok, err := r.allows(ctx, p, users, emails, domains, groups, claims)
		if err != nil {
			return err
		}
		if !ok {
			return latch.ErrAccessDenied
		}
		if next != nil {
			return next(ctx, p)
		}
		return nil
	}
}

// UserLookup is what KnownUsers needs of a store (latch.Store has it).
type UserLookup interface {
	UserByEmail(ctx context.Context, email string) (*latch.StoredUser, error)
	UserByAccount(ctx context.Context, provider, providerAccountID string) (*latch.StoredUser, error)
}

func (r Rules) allows(ctx context.Context, p *latch.SignInParams, users UserLookup, emails, domains, groups map[string]bool, claims []string) (bool, error) {
	if r.Anyone {
		return true, nil
	}
	email := verifiedEmail(p)
	if email != "" {
		if emails[email] {
			return true, nil
		}
		if at := strings.LastIndexByte(email, '@'); at > 0 && domains[email[at+1:]] {
			return true, nil
		}
	}
	if len(groups) > 0 && p.Profile != nil {
		for _, c := range claims {
			for _, g := range claimValues(p.Profile.Raw, c) {
				if groups[g] {
					return true, nil
				}
			}
		}
	}
	if r.KnownUsers && users != nil {
		return known(ctx, p, users, email)
	}
	return false, nil
}

// verifiedEmail is the folded email address the sign-in proves: an OAuth
// profile's only when the provider says it is verified; an email sign-in's
// (the link or code goes to it); a credentials or passkey sign-in's user's.
func verifiedEmail(p *latch.SignInParams) string {
	switch {
	case p.Profile != nil:
		if p.Profile.EmailVerified {
			return latch.FoldEmail(p.Profile.Email)
		}
		return ""
	case p.User != nil:
		return latch.FoldEmail(p.User.Email)
	}
	return ""
}

// known reports whether the store has the user: by the linked account,
// else by the verified email address.
func known(ctx context.Context, p *latch.SignInParams, users UserLookup, email string) (bool, error) {
	if p.Account != nil && p.Profile != nil && p.Account.ProviderAccountID != "" {
		_, err := users.UserByAccount(ctx, p.Account.Provider, p.Account.ProviderAccountID)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, latch.ErrNotFound):
			return false, fmt.Errorf("access: look up account: %w", err)
		}
	}
	if email == "" {
		return false, nil
	}
	_, err := users.UserByEmail(ctx, email)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, latch.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("access: look up user: %w", err)
}

// claimValues returns the string values of the claim at path (names
// separated by dots) in raw: a string, or an array of strings.
func claimValues(raw map[string]any, path string) []string {
	var v any = raw
	for _, name := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[name]
	}
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
