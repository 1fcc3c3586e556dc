package pages

import "io"

// EmailSignIn is the data of the page that opening an email sign-in link
// shows: one button, which posts back to the link. Mail scanners that
// open the link, even running its scripts, do not press it; the page has
// no script, so nothing presses it for them.
type EmailSignIn struct {
	Theme     Theme
	ActionURL string // the link itself
	CSRFToken string
	Email     string // the address signing in
}

// RenderEmailSignIn writes the page of an email sign-in link. It asks
// search engines not to index it (as should the X-Robots-Tag header).
func RenderEmailSignIn(w io.Writer, d EmailSignIn) error {
	return renderLayout(w, emailSignInTemplate, layout{Title: "Sign In", Style: d.Theme.resolve(), NoIndex: true, Data: d})
}
