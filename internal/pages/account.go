package pages

import (
	"io"
	"time"
)

// Account is the data of the signed-in user's account page.
type Account struct {
	Theme     Theme
	CSRFToken string
	PageURL   string // this page, the forms' action
	Name      string
	Email     string
	Message   string // the outcome of the last action
	Error     bool   // Message reports a failure
	// HasPassword shows the password change form.
	HasPassword bool
	Accounts    []AccountLink
	// Linkable are the OAuth providers not linked yet: a sign-in with one
	// while signed in links it.
	Linkable []Provider
	Sessions []AccountSession
	// PasskeysURL and TwoFactorURL link to those pages when they are on.
	PasskeysURL  string
	TwoFactorURL string
	SignOutURL   string
}

// AccountLink is a sign-in method linked to the account (an OAuth
// provider's account).
type AccountLink struct {
	Provider, ProviderName, ID string
	// CanUnlink is false when it is the last way to sign in.
	CanUnlink bool
}

// AccountSession is one of the user's sessions.
type AccountSession struct {
	ID        string // what the sign-out form sends
	SignedIn  time.Time
	LastSeen  time.Time
	IP        string
	UserAgent string
	Current   bool
}

var accountTemplate = parse("account.html")

// RenderAccount writes the account page.
func RenderAccount(w io.Writer, d Account) error {
	return render(w, accountTemplate, "Your account", d.Theme, d)
}
