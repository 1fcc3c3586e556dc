package oauth

// Keycloak returns the Config of a Keycloak client (NextAuth's "keycloak"
// provider): OpenID Connect with issuer the realm's URL, e.g.
// "https://keycloak.example.com/realms/myrealm", scopes
// "openid email profile", and the [StandardProfile] (Name falls back to
// "preferred_username").
func Keycloak(issuer, clientID, clientSecret string) Config {
	return Config{
		ID:           "keycloak",
		Name:         "Keycloak",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       issuer,
		Scopes:       []string{"openid", "email", "profile"},
	}
}
