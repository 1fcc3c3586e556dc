// Package pages renders the built-in HTML pages of the NextAuth.js v4 REST
// API: sign-in, sign-out, error and "check your email" (with the form for
// an emailed code), and the page that opening an email sign-in link shows.
//
// The pages follow next-auth 4.24 (core/pages) in content, form actions and
// field names, and are self-contained: the templates are embedded, the CSS
// is inline and no JavaScript or external asset is loaded. Every dynamic
// value is escaped by html/template.
package pages
