package pages

import "io"

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
	// Passkey, when set, adds passkey sign-in (a "webauthn" provider):
	// a button, and passkey autofill in the email or username field.
	Passkey *Passkey
	// SecondFactor, when set, replaces the page with the second step of a
	// password sign-in: the form for the code.
	SecondFactor *SecondFactorStep
	// ForgotPasswordURL, when set, is linked under the password form.
	ForgotPasswordURL string
}

// SecondFactorStep is the second step of a password sign-in.
type SecondFactorStep struct {
	ActionURL string // <base>/callback/<provider>
}

// signInMessages maps the error codes of the sign-in page to their text.
var signInMessages = map[string]string{
	"Signin":                    "Try signing in with a different account.",
	"OAuthSignin":               "Try signing in with a different account.",
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

// signInView is the data of templates/signin.html.
type signInView struct {
	CSRFToken, CallbackURL, Email string
	Message                       string
	Passkey                       *Passkey
	SecondFactor                  *SecondFactorStep
	Providers                     []Provider // only the types the page renders
	ForgotPasswordURL             string
}

// RenderSignIn writes the sign-in page: an error message if d.Error is set,
// then one form per provider, in order. Providers of an unknown type are
// skipped.
func RenderSignIn(w io.Writer, d SignIn) error {
	v := signInView{
		CSRFToken:   d.CSRFToken,
		CallbackURL: d.CallbackURL,
		Email:       d.Email,
		Message:     SignInMessage(d.Error),
		Passkey:     d.Passkey,

		ForgotPasswordURL: d.ForgotPasswordURL,
	}
	if d.SecondFactor != nil {
		v.SecondFactor = d.SecondFactor
		if d.Error == "SecondFactorRequired" {
			v.Message = ""
		}
		return render(w, signInTemplate, "Sign In", d.Theme, v)
	}
	for _, p := range d.Providers {
		switch p.Type {
		case "oauth", "email", "credentials":
			v.Providers = append(v.Providers, p)
		case "webauthn":
			if d.Passkey != nil {
				v.Providers = append(v.Providers, p)
			}
		}
	}
	return render(w, signInTemplate, "Sign In", d.Theme, v)
}
