package oauth

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch"
)

// GitHub returns the Config of a GitHub OAuth app (NextAuth's "github"
// provider): id "github", scope "read:user user:email", profile from
// https://api.github.com/user and, for the email, [GitHubProfile] with
// https://api.github.com/user/emails. Checks: State.
func GitHub(clientID, clientSecret string) Config {
	return githubConfig("GitHub", "https://github.com", "https://api.github.com", clientID, clientSecret)
}

// GitHubEnterprise returns the Config of an OAuth app on GitHub Enterprise
// Server at baseURL (e.g. "https://github.example.com"), whose API is
// <baseURL>/api/v3. The id is "github", as in NextAuth.
func GitHubEnterprise(baseURL, clientID, clientSecret string) Config {
	baseURL = strings.TrimSuffix(baseURL, "/")
	return githubConfig("GitHub Enterprise", baseURL, baseURL+"/api/v3", clientID, clientSecret)
}

func githubConfig(name, baseURL, apiURL, clientID, clientSecret string) Config {
	return Config{
		ID:           "github",
		Name:         name,
		ClientID:     clientID,
		ClientSecret: clientSecret,
		AuthURL:      baseURL + "/login/oauth/authorize",
		TokenURL:     baseURL + "/login/oauth/access_token",
		UserInfoURL:  apiURL + "/user",
		Scopes:       []string{"read:user", "user:email"},
		Profile:      GitHubProfile(apiURL + "/user/emails"),
		AuthStyle:    oauth2.AuthStyleInParams,
	}
}

// githubEmail is an entry of GitHub's /user/emails.
type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// GitHubProfile returns the mapper of GitHub's /user response, as
// NextAuth maps it: ID is the numeric "id", Name "name" else "login",
// Email "email", Image "avatar_url". It also reads emailsURL (GitHub's
// /user/emails, which needs the user:email scope): when the profile has
// no public email it takes the primary entry, else the first; either way
// EmailVerified is the "verified" flag of the entry of that email. An
// error answer of emailsURL leaves the profile's email as it is,
// unverified.
func GitHubProfile(emailsURL string) func(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
	return func(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
		r := c.Raw
		p := &latch.OAuthProfile{
			ID:    str(r["id"]),
			Name:  cmp.Or(str(r["name"]), str(r["login"])),
			Email: str(r["email"]),
			Image: str(r["avatar_url"]),
			Raw:   r,
		}
		emails, err := fetchJSON[[]githubEmail](ctx, c.Client, emailsURL)
		if _, ok := errors.AsType[*statusError](err); ok {
			return p, nil
		}
		if err != nil {
			return nil, err
		}
		var pick *githubEmail
		for i, e := range emails {
			switch {
			case p.Email != "":
				if strings.EqualFold(e.Email, p.Email) {
					pick = &emails[i]
				}
			case e.Primary:
				pick = &emails[i]
			}
			if pick != nil {
				break
			}
		}
		if pick == nil && p.Email == "" && len(emails) > 0 {
			pick = &emails[0]
		}
		if pick != nil {
			p.Email = cmp.Or(p.Email, pick.Email)
			p.EmailVerified = pick.Verified
		}
		return p, nil
	}
}
