package pages

import "io"

// VerifyRequest is the data of the "check your email" page.
type VerifyRequest struct {
	Theme   Theme
	HomeURL string
	Host    string // host name shown as a link back to the site
}

// RenderVerifyRequest writes the "check your email" page shown after a
// sign-in link has been sent. If d.Host is empty the host of d.HomeURL is
// shown.
func RenderVerifyRequest(w io.Writer, d VerifyRequest) error {
	if d.Host == "" {
		d.Host = hostOf(d.HomeURL)
	}
	return render(w, verifyRequestTemplate, "Verify Request", d.Theme, d)
}
