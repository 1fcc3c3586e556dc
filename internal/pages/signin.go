package pages

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Field is one input of a credentials form.
type Field struct {
	Name, Label, Type, Placeholder string // Type default "text"
}

// Provider is one sign-in option.
type Provider struct {
	ID, Name    string
	Type        string  // "oauth", "email", "credentials" or "webauthn"
	SigninURL   string  // absolute URL of POST <base>/signin/<id>
	CallbackURL string  // absolute URL of <base>/callback/<id>
	Fields      []Field // credentials only
}

// SignIn is the data of the sign-in page.
type SignIn struct {
	Theme       Theme
	Providers   []Provider
	CSRFToken   string
	CallbackURL string // may be empty
	Error       string // NextAuth error code from ?error=, may be empty
	Email       string // pre-fills the email input
	// RetryAfter is the wait of a rate limit (Error TooManyRequests),
	// shown instead of "a moment" when known.
	RetryAfter time.Duration
	// Passkey, when set, adds passkey sign-in (a "webauthn" provider):
	// a button, and passkey autofill in the email or username field.
	Passkey *Passkey
	// SecondFactor, when set, replaces the page with the second step of a
	// password sign-in: the form for the code.
	SecondFactor *SecondFactorStep
	// ForgotPasswordURL, when set, is linked under the password form.
	ForgotPasswordURL string
	// SignUpURL, when set, is linked under the password form too.
	SignUpURL string
}

// SecondFactorStep is the second step of a password sign-in.
type SecondFactorStep struct {
	ActionURL string // <base>/callback/<provider>
}

// signInMessages maps the error codes of the sign-in page to their text.
var signInMessages = map[string]string{
	"Signin":                    "Try signing in with a different account.",
	"OAuthSignin":               "The sign-in provider could not be reached. Try again later, or sign in another way.",
	"OAuthCallback":             "Try signing in with a different account.",
	"OAuthCreateAccount":        "Try signing in with a different account.",
	"EmailCreateAccount":        "Try signing in with a different account.",
	"Callback":                  "Try signing in with a different account.",
	"OAuthAccountNotLinked":     "To confirm your identity, sign in with the same account you used originally.",
	"EmailSignin":               "The e-mail could not be sent.",
	"CredentialsSignin":         "Sign in failed. Check the details you provided are correct.",
	"SessionRequired":           "Please sign in to access this page.",
	"TooManyRequests":           "Too many attempts. Please wait a moment and try again.",
	"WebAuthnVerificationError": "Signing in with your passkey failed. Try again, or sign in another way.",
	"SecondFactorRequired":      "Enter the code of your authenticator app.",
	"SecondFactorInvalid":       "That code is wrong or was used already. Try again.",
}

// SignInMessage returns the human message the sign-in page shows for an
// error code ("" for "").
func SignInMessage(code string) string {
	if code == "" {
		return ""
	}
	if m, ok := signInMessages[code]; ok {
		return m
	}
	return "Unable to sign in."
}

// waitMessage is the message of a rate limit that ends after d.
func waitMessage(d time.Duration) string {
	var wait string
	switch {
	case d < time.Minute:
		wait = plural(int((d+time.Second-1)/time.Second), "second")
	case d < 2*time.Hour:
		wait = plural(int((d+time.Minute-1)/time.Minute), "minute")
	default:
		wait = plural(int((d+time.Hour-1)/time.Hour), "hour")
	}
	return "Too many attempts. Try again in " + wait + "."
}

// plural is "1 minute", "5 minutes".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// signInView is the data of templates/signin.html.
type signInView struct {
	CSRFToken, CallbackURL, Email string
	Message                       string
	Passkey                       *Passkey
	SecondFactor                  *SecondFactorStep
	Providers                     []providerView // only the types the page renders
	ForgotPasswordURL             string
	SignUpURL                     string
	// BothEmails is set when the page has an email-link form and a
	// password form: their email labels then say which is which.
	BothEmails bool
	// Autofocus is the id of the input the cursor starts in.
	Autofocus string
}

// providerView is a provider of the page, with its inputs ready.
type providerView struct {
	Provider
	Inputs []inputView // credentials
}

// inputView is one input of a credentials form.
type inputView struct {
	ID, Name, Label, Type, Placeholder string
	// Autocomplete helps password managers: username (with webauthn for
	// passkey autofill), current-password, email.
	Autocomplete string
	Value        string // the address tried, after a failure
}

// RenderSignIn writes the sign-in page: an error message if d.Error is set,
// then one form per provider, in order. Providers of an unknown type are
// skipped. The cursor starts in the first input (in the password after a
// failure, with the address kept).
func RenderSignIn(w io.Writer, d SignIn) error {
	v := signInView{
		CSRFToken:   d.CSRFToken,
		CallbackURL: d.CallbackURL,
		Email:       d.Email,
		Message:     SignInMessage(d.Error),
		Passkey:     d.Passkey,

		ForgotPasswordURL: d.ForgotPasswordURL,
		SignUpURL:         d.SignUpURL,
	}
	if d.Error == "TooManyRequests" && d.RetryAfter > 0 {
		v.Message = waitMessage(d.RetryAfter)
	}
	if d.SecondFactor != nil {
		v.SecondFactor = d.SecondFactor
		if d.Error == "SecondFactorRequired" {
			v.Message = ""
		}
		return render(w, signInTemplate, "Sign In", d.Theme, v)
	}
	var hasEmail, hasPassword bool
	for _, p := range d.Providers {
		switch p.Type {
		case "oauth", "email", "credentials":
			hasEmail = hasEmail || p.Type == "email"
			pv := providerView{Provider: p}
			if p.Type == "credentials" {
				for _, f := range p.Fields {
					pv.Inputs = append(pv.Inputs, d.input(p, f))
					hasPassword = hasPassword || f.Type == "password"
				}
			}
			v.Providers = append(v.Providers, pv)
		case "webauthn":
			if d.Passkey != nil {
				v.Providers = append(v.Providers, providerView{Provider: p})
			}
		}
	}
	v.BothEmails = hasEmail && hasPassword
	v.Autofocus = autofocus(v.Providers)
	return render(w, signInTemplate, "Sign In", d.Theme, v)
}

// input prepares field f of credentials provider p.
func (d SignIn) input(p Provider, f Field) inputView {
	in := inputView{ID: "input-" + f.Name + "-for-" + p.ID + "-provider", Name: f.Name, Label: f.Label, Type: f.Type, Placeholder: f.Placeholder}
	if in.Label == "" {
		in.Label = f.Name
	}
	if in.Type == "" {
		in.Type = "text"
	}
	name := strings.ToLower(f.Name)
	switch {
	case in.Type == "password":
		in.Autocomplete = "current-password"
	case name == "email" || name == "username":
		in.Autocomplete = "username"
		if d.Passkey != nil {
			in.Autocomplete = "username webauthn"
		}
	case in.Type == "email":
		in.Autocomplete = "email"
	}
	if name == "email" && in.Type != "password" {
		in.Value = d.Email
	}
	return in
}

// autofocus returns the id of the first input of the page: of a
// credentials form, its first empty one; of an email form, its address.
func autofocus(providers []providerView) string {
	for _, p := range providers {
		switch p.Type {
		case "credentials":
			for _, in := range p.Inputs {
				if in.Value == "" {
					return in.ID
				}
			}
		case "email":
			return "input-email-for-" + p.ID + "-provider"
		}
	}
	return ""
}
