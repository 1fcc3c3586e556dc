package pages

import (
	"bytes"
	"embed"
	"html/template"
	"io"
	"net/url"
)

//go:embed templates
var files embed.FS

// Templates of each page, parsed once. Every page shares the layout and the
// stylesheet and defines "content".
var (
	signInTemplate        = parse("signin.html")
	signOutTemplate       = parse("signout.html")
	errorTemplate         = parse("error.html")
	verifyRequestTemplate = parse("verify-request.html")
	emailSignInTemplate   = parse("email-signin.html")
)

func parse(page string) *template.Template {
	return template.Must(template.ParseFS(files,
		"templates/layout.html", "templates/style.css", "templates/"+page))
}

// layout is the data of templates/layout.html.
type layout struct {
	Title   string
	Style   style
	NoIndex bool // asks search engines not to index the page
	Data    any
}

// render executes t into a buffer and, only if that succeeds, copies it to
// w, so that a failed render writes nothing.
func render(w io.Writer, t *template.Template, title string, th Theme, data any) error {
	return renderLayout(w, t, layout{Title: title, Style: th.resolve(), Data: data})
}

func renderLayout(w io.Writer, t *template.Template, l layout) error {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout.html", l); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}

// hostOf returns the host of rawURL, or rawURL itself if it has none.
func hostOf(rawURL string) string {
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		return u.Host
	}
	return rawURL
}
