package oauth

// Google returns the Config of a Google OAuth client (NextAuth's "google"
// provider): OpenID Connect with issuer https://accounts.google.com, scopes
// "openid email profile", checks State and PKCE, and the
// [StandardProfile] (ID is "sub"). Google sets "email_verified".
func Google(clientID, clientSecret string) Config {
	return Config{
		ID:           "google",
		Name:         "Google",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       "https://accounts.google.com",
		Scopes:       []string{"openid", "email", "profile"},
	}
}
