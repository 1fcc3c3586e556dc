package pages

import "io"

// PasswordReset is the data of the "forgot password" pages: asking for
// the email (Step "ask"), the email sent ("sent"), choosing the new
// password from the emailed link ("choose"), and a link that does not
// work ("invalid").
type PasswordReset struct {
	Theme     Theme
	Step      string
	CSRFToken string
	PageURL   string // the form's action
	Email     string
	Token     string // the link's token, posted back with the new password
	Message   string // a refusal to show
	SignInURL string
}

var resetTemplate = parse("password-reset.html")

// RenderPasswordReset writes a "forgot password" page.
func RenderPasswordReset(w io.Writer, d PasswordReset) error {
	return render(w, resetTemplate, "Reset your password", d.Theme, d)
}
