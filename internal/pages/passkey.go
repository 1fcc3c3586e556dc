package pages

import (
	_ "embed"
	"io"
	"net/http"
	"time"
)

// Passkey is what a page needs to run passkey ceremonies with passkey.js.
type Passkey struct {
	ScriptURL   string // <base>/passkey.js
	OptionsURL  string // <base>/webauthn-options/<id>
	CallbackURL string // <base>/callback/<id>
	// SignUpURL, when set, is the email provider's POST <base>/signin/<id>
	// that starts an account created with a passkey, and SignUpCallback
	// where its sign-in goes (the passkeys page).
	SignUpURL, SignUpCallback string
}

// PasskeySignIn is the data of the page that signs in with a passkey for
// clients that only navigate (next-auth/react v4's signIn("passkey")).
type PasskeySignIn struct {
	Theme       Theme
	Passkey     Passkey
	CSRFToken   string
	CallbackURL string
	SignInURL   string // the sign-in page, for other ways to sign in
}

// PasskeyItem is one passkey on the passkeys page.
type PasskeyItem struct {
	ID       string
	Name     string
	Created  time.Time
	LastUsed time.Time // zero: never
}

// Passkeys is the data of the page that lists, adds and removes the
// signed-in user's passkeys.
type Passkeys struct {
	Theme     Theme
	Passkey   Passkey
	CSRFToken string
	PageURL   string // this page, the form's action and where adding returns
	User      string // the user's email or name
	// Fresh says the user signed in recently enough to add a passkey;
	// otherwise SignInURL is a link to sign in again.
	Fresh     bool
	SignInURL string
	Items     []PasskeyItem
	Message   string
	// New says the user just created their account to add a passkey: the
	// page asks for it at once.
	New bool
}

var (
	passkeySignInTemplate = parse("passkey-signin.html")
	passkeysTemplate      = parse("passkeys.html")
)

// RenderPasskeySignIn writes the page that signs in with a passkey.
func RenderPasskeySignIn(w io.Writer, d PasskeySignIn) error {
	return render(w, passkeySignInTemplate, "Sign in with a passkey", d.Theme, d)
}

// RenderPasskeys writes the passkeys page.
func RenderPasskeys(w io.Writer, d Passkeys) error {
	return render(w, passkeysTemplate, "Passkeys", d.Theme, d)
}

//go:embed passkey.js
var passkeyJS []byte

// ServePasskeyJS answers GET <base>/passkey.js, the script of the passkey
// pages (plain JavaScript, no dependencies).
func ServePasskeyJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Method == http.MethodHead {
		return
	}
	w.Write(passkeyJS)
}

// ScriptCSP is the Content-Security-Policy of built-in pages that run
// passkey.js: scripts and fetches from the site itself only.
const ScriptCSP = "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; img-src * data:; form-action *; frame-ancestors 'none'; base-uri 'none'"
