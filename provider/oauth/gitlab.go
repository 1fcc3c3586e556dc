package oauth

import "strings"

// GitLab returns the Config of a GitLab application (NextAuth's "gitlab"
// provider) as OpenID Connect: issuer baseURL, or https://gitlab.com when
// baseURL is "" (self-managed: e.g. "https://gitlab.example.com"), scopes
// "openid email profile". GitLab's "sub" is the numeric user id NextAuth
// used as providerAccountId, so existing accounts keep matching.
func GitLab(baseURL, clientID, clientSecret string) Config {
	if baseURL == "" {
		baseURL = "https://gitlab.com"
	}
	return Config{
		ID:           "gitlab",
		Name:         "GitLab",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		Issuer:       strings.TrimSuffix(baseURL, "/"),
		Scopes:       []string{"openid", "email", "profile"},
	}
}
