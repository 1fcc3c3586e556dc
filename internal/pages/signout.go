package pages

import "io"

// SignOut is the data of the sign-out confirmation page.
type SignOut struct {
	Theme     Theme
	ActionURL string // absolute URL of POST <base>/signout
	CSRFToken string
}

// RenderSignOut writes the sign-out confirmation page.
func RenderSignOut(w io.Writer, d SignOut) error {
	return render(w, signOutTemplate, "Sign Out", d.Theme, d)
}
