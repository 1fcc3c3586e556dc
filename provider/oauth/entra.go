package oauth

import (
	"strings"

	"github.com/google/uuid"
)

// MicrosoftEntraID returns the Config of a Microsoft Entra ID (Azure AD)
// app registration, with NextAuth v4's provider id "azure-ad": OpenID
// Connect with issuer https://login.microsoftonline.com/<tenant>/v2.0 and
// scopes "openid email profile". tenant is a tenant id or domain, or one
// of "common", "organizations" and "consumers", for which each user's
// tenant issues the ID token and so SkipIssuerCheck is set (restrict the
// accepted tenants through the "tid" claim). For a tenant named by a
// domain, the ID tokens' issuer is the one its discovery document names
// (https://login.microsoftonline.com/<tenant id>/v2.0). Entra does not verify the
// "email" claim: EmailVerified stays false and AllowEmailLinking should
// stay off.
func MicrosoftEntraID(tenant, clientID, clientSecret string) Config {
	if tenant == "" {
		tenant = "common"
	}
	tenant = strings.ToLower(tenant) // tenant names and IDs are not case-sensitive
	multi := tenant == "common" || tenant == "organizations" || tenant == "consumers"
	return Config{
		ID:              "azure-ad",
		Name:            "Microsoft Entra ID",
		ClientID:        clientID,
		ClientSecret:    clientSecret,
		Issuer:          "https://login.microsoftonline.com/" + tenant + "/v2.0",
		Scopes:          []string{"openid", "email", "profile"},
		SkipIssuerCheck: multi,
		// A tenant named by a domain (contoso.onmicrosoft.com) is
		// discovered there, but its tokens are issued by its ID.
		issuerFromDiscovery: !multi && uuid.Validate(tenant) != nil,
	}
}
