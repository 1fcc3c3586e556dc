// Package guard puts Latch sign-in in front of apps that know nothing of
// it, with a [latch.Auth] of your own:
//
//   - [NewProxy] is a reverse proxy in front of one app (what
//     `latch serve` does with upstream): requests with a session reach the
//     app with who is signed in in X-Forwarded-User, -Email and -Name,
//     without Latch's cookies and session tokens, and without any header
//     a client could use to claim an identity; everybody else is sent to
//     sign in.
//   - [Checker] answers the access checks of a proxy you already run:
//     nginx's auth_request ([Checker.AuthRequest]) and Traefik's
//     ForwardAuth or Caddy's forward_auth ([Checker.ForwardAuth]): 200 with
//     the identity headers ([IdentityHeaders], and optionally a signed
//     assertion, see [AssertionKeys]), a redirect to the sign-in page, 401
//     or 403. [Redirect] lets users go back to the sites after signing in.
package guard
