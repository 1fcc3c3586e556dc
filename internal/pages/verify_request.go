package pages

import "io"

// VerifyRequest is the data of the "check your email" page.
type VerifyRequest struct {
	Theme   Theme
	HomeURL string
	Host    string // host name shown as a link back to the site

	// Link and Code say what the email carries (neither: a link).
	Link, Code bool
	// With Code, the page has a form that posts Email and the code to
	// ActionURL with CSRFToken and Provider (the provider's id).
	ActionURL, CSRFToken, Provider string
	Email                          string // pre-fills the address
	Error                          string // a message above the form
}

// verifyRequestView is the data of templates/verify-request.html.
type verifyRequestView struct {
	VerifyRequest
	Sent string // what was sent, e.g. "A sign in link"
}

// RenderVerifyRequest writes the "check your email" page shown after a
// sign-in email has been sent. If d.Host is empty the host of d.HomeURL is
// shown.
func RenderVerifyRequest(w io.Writer, d VerifyRequest) error {
	if d.Host == "" {
		d.Host = hostOf(d.HomeURL)
	}
	v := verifyRequestView{VerifyRequest: d, Sent: "A sign in link has"}
	switch {
	case d.Code && d.Link:
		v.Sent = "A sign in link and a code have"
	case d.Code:
		v.Sent = "A sign in code has"
	}
	return render(w, verifyRequestTemplate, "Verify Request", d.Theme, v)
}
