// Package oauth signs users in with OAuth 2.0 and OpenID Connect providers.
//
// It has one generic [Provider], configured by a [Config], that implements
// [latch.OAuthProvider]: it builds authorization URLs and trades the
// callback's code for tokens and a profile. The Latch handler runs the flow
// around it (state, PKCE verifier and nonce, their cookies, the callback
// checks, account linking and the session).
//
// A Config with an Issuer is an OpenID Connect provider: its endpoints come
// from <Issuer>/.well-known/openid-configuration, fetched on first use and
// cached (a failed fetch is retried on the next sign-in), and every ID token
// is verified with [github.com/coreos/go-oidc/v3/oidc] (signature, issuer,
// audience, expiry, at_hash and, when [latch.OAuthChecks.Nonce] is on, the
// nonce). A Config with AuthURL and TokenURL and no Issuer is a plain
// OAuth 2.0 provider whose profile comes from UserInfoURL.
//
// Presets such as [GitHub], [Google], [GitLab], [Discord],
// [MicrosoftEntraID], [Keycloak], [Auth0], [Okta] and [OIDC] return a
// Config to edit before passing it to [New]:
//
//	cfg := oauth.GitHub(os.Getenv("GITHUB_ID"), os.Getenv("GITHUB_SECRET"))
//	cfg.AllowEmailLinking = true
//	github, err := oauth.New(cfg)
//
// [Apple] (Sign in with Apple) also returns an error, for its key: it makes
// the ES256 client secret Apple wants for every token request from the
// team's .p8 key, so there is no secret to renew every six months. Apple
// answers with response_mode=form_post, a cross-site POST to the callback;
// Latch then sets the check cookies SameSite=None on https (see
// [latch.OAuthChecks.FormPost]).
//
// Profiles follow NextAuth v4's providers, so accounts created by NextAuth
// (provider id and providerAccountId) keep matching.
//
// The package oauthtest runs an in-process OpenID provider for tests.
package oauth
