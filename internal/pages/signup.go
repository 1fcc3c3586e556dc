package pages

import "io"

// SignUp is the data of the sign-up pages: the form (Step "ask"), the
// email sent ("sent"), the emailed link's confirmation ("confirm"), and a
// link that does not work ("invalid").
type SignUp struct {
	Theme     Theme
	Step      string
	CSRFToken string
	PageURL   string // the form's action
	Name      string
	Email     string
	Token     string // the link's token, posted back to confirm
	Message   string // a refusal to show
	SignInURL string
}

var signUpTemplate = parse("signup.html")

// RenderSignUp writes a sign-up page.
func RenderSignUp(w io.Writer, d SignUp) error {
	return render(w, signUpTemplate, "Create an account", d.Theme, d)
}
