package oauth

// OIDC returns the Config of any OpenID Connect provider: discovery from
// <issuer>/.well-known/openid-configuration, scopes
// "openid email profile", checks State and PKCE, and the
// [StandardProfile].
func OIDC(id, name, issuer, clientID, clientSecret string) Config {
	return Config{
		ID:           id,
		Name:         name,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       issuer,
		Scopes:       []string{"openid", "email", "profile"},
	}
}
