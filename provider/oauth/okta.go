package oauth

// Okta returns the Config of an Okta app integration (NextAuth's "okta"
// provider): OpenID Connect with issuer the org or authorization server
// URL as Okta shows it, e.g. "https://dev-123.okta.com/oauth2/default",
// and scopes "openid email profile".
func Okta(issuer, clientID, clientSecret string) Config {
	return Config{
		ID:           "okta",
		Name:         "Okta",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       issuer,
		Scopes:       []string{"openid", "email", "profile"},
	}
}
