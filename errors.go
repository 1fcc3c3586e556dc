package latch

import (
	"errors"
	"fmt"
	"time"
)

// Error codes, as NextAuth puts them in the "error" query parameter. The
// clients (next-auth/react, @sidebase/nuxt-auth, the Go client) read them.
const (
	CodeConfiguration         = "Configuration"
	CodeAccessDenied          = "AccessDenied"
	CodeVerification          = "Verification"
	CodeSignin                = "Signin"
	CodeOAuthSignin           = "OAuthSignin"
	CodeOAuthCallback         = "OAuthCallback"
	CodeOAuthCreateAccount    = "OAuthCreateAccount"
	CodeEmailCreateAccount    = "EmailCreateAccount"
	CodeCallback              = "Callback"
	CodeOAuthAccountNotLinked = "OAuthAccountNotLinked"
	CodeEmailSignin           = "EmailSignin"
	CodeCredentialsSignin     = "CredentialsSignin"
	CodeSessionRequired       = "SessionRequired"
	// CodeTooManyRequests is Latch's own: a rate limit refused the attempt.
	CodeTooManyRequests = "TooManyRequests"
)

// signInPageCodes are the codes that /error bounces to the sign-in page.
var signInPageCodes = map[string]bool{
	CodeSignin: true, CodeOAuthSignin: true, CodeOAuthCallback: true, CodeOAuthCreateAccount: true,
	CodeEmailCreateAccount: true, CodeCallback: true, CodeOAuthAccountNotLinked: true,
	CodeEmailSignin: true, CodeCredentialsSignin: true, CodeSessionRequired: true,
	CodeTooManyRequests: true, CodeWebAuthnVerification: true,
	CodeSecondFactorRequired: true, CodeSecondFactorInvalid: true,
}

// Error is a sign-in failure with the code users and clients see. The
// wrapped Err is for logs only and never reaches the client.
type Error struct {
	Code string
	Err  error
	// Status is the HTTP status of the {"url"} answer clients read in JSON
	// mode; 0 means the default for where the error arose (401 for
	// credentials).
	Status int
	// RetryAfter, when set, is sent as a Retry-After header (rate limits).
	RetryAfter time.Duration
}

// Error implements error.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("latch: %s: %v", e.Code, e.Err)
	}
	return "latch: " + e.Code
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// ErrAccessDenied, returned by a SignIn callback or an Authorize function,
// refuses the sign-in with the code AccessDenied.
var ErrAccessDenied = &Error{Code: CodeAccessDenied}

// ErrCredentialsSignin, returned by an Authorize function, refuses the
// sign-in with the code CredentialsSignin (the same as returning a nil user).
var ErrCredentialsSignin = &Error{Code: CodeCredentialsSignin}

// RedirectError, returned by a SignIn callback, stops the sign-in and sends
// the user to URL instead. URL passes through the Redirect callback (by
// default: same origin or a trusted origin, else the site's origin).
type RedirectError struct {
	URL string
}

// Error implements error.
func (e *RedirectError) Error() string { return "latch: sign-in redirected to " + e.URL }

// RedirectTo returns a [RedirectError] for url.
func RedirectTo(url string) error { return &RedirectError{URL: url} }

// codeOf returns the client-visible code of err, or fallback when err
// carries none.
func codeOf(err error, fallback string) string {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return fallback
}
