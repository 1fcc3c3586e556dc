package pages

import (
	"html/template"
	"io"
)

// TwoFactor is the data of the page where a signed-in user turns on the
// second factor (TOTP and recovery codes).
type TwoFactor struct {
	Theme     Theme
	CSRFToken string
	PageURL   string // this page, the forms' action
	SignInURL string // to sign in again when the sign-in is not fresh
	User      string
	Fresh     bool // signed in recently enough to change the factor
	Enabled   bool // a confirmed factor
	CodesLeft int  // unused recovery codes, when Enabled
	// Enrol, when set, shows a pending secret to add to an app and the
	// form for its first code.
	Enrol *TOTPEnrol
	// RecoveryCodes are shown once, right after the factor is turned on.
	RecoveryCodes []string
	Message       string
}

// TOTPEnrol is a secret being added to an authenticator app.
type TOTPEnrol struct {
	QR     string // PNG of the otpauth:// URI, base64
	Secret string // base32, to type in by hand
	URI    string // otpauth://totp/...
}

// QRDataURL is the QR code as a data: URL for an img element.
func (e *TOTPEnrol) QRDataURL() template.URL {
	return template.URL("data:image/png;base64," + e.QR)
}

var twoFactorTemplate = parse("two-factor.html")

// RenderTwoFactor writes the two-factor page.
func RenderTwoFactor(w io.Writer, d TwoFactor) error {
	return render(w, twoFactorTemplate, "Two-factor authentication", d.Theme, d)
}
