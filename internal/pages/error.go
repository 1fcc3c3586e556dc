package pages

import (
	"io"
	"net/http"
	"strings"
)

// Error is the data of the error page.
type Error struct {
	Theme     Theme
	Code      string // error code, e.g. "AccessDenied"
	HomeURL   string // the site origin
	SignInURL string // <base>/signin
}

// errorView is the data of templates/error.html.
type errorView struct {
	Kind      string // "configuration", "accessdenied", "verification" or "default"
	HomeURL   string
	Host      string
	SignInURL string
	// Message explains a code the sign-in page knows (default page).
	Message string
}

// errorKind returns the lower-cased code if the error page has a variant
// for it, and "default" otherwise.
func errorKind(code string) string {
	switch c := strings.ToLower(code); c {
	case "configuration", "accessdenied", "verification":
		return c
	}
	return "default"
}

// ErrorStatus returns the HTTP status of the error page for code, as
// NextAuth does: 500 for Configuration, 403 for AccessDenied and
// Verification (case-insensitively) and 200 for anything else.
func ErrorStatus(code string) int {
	switch errorKind(code) {
	case "configuration":
		return http.StatusInternalServerError
	case "accessdenied", "verification":
		return http.StatusForbidden
	}
	return http.StatusOK
}

// RenderError writes the error page for d.Code. A code without a page of
// its own gets the default page: what the code means when the sign-in
// page knows it, where to look for more, and a way back to sign in. The
// code itself is never shown (it comes from the URL). ErrorStatus gives
// the HTTP status to send with it.
func RenderError(w io.Writer, d Error) error {
	v := errorView{
		Kind:      errorKind(d.Code),
		HomeURL:   d.HomeURL,
		Host:      hostOf(d.HomeURL),
		SignInURL: d.SignInURL,
	}
	if v.Kind == "default" {
		v.Message = signInMessages[d.Code]
	}
	return render(w, errorTemplate, "Error", d.Theme, v)
}
