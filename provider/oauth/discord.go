package oauth

import (
	"cmp"
	"context"
	"strconv"
	"strings"

	"github.com/latchauth/latch"
)

// Discord returns the Config of a Discord application (NextAuth's
// "discord" provider): OAuth 2.0 with scope "identify email", profile from
// https://discord.com/api/users/@me mapped by [DiscordProfile].
func Discord(clientID, clientSecret string) Config {
	return Config{
		ID:           "discord",
		Name:         "Discord",
		ClientID:     clientID,
		ClientSecret: clientSecret,
		AuthURL:      "https://discord.com/api/oauth2/authorize",
		TokenURL:     "https://discord.com/api/oauth2/token",
		UserInfoURL:  "https://discord.com/api/users/@me",
		Scopes:       []string{"identify", "email"},
		Profile:      DiscordProfile,
	}
}

// DiscordProfile maps Discord's /users/@me: ID "id", Name the display
// name "global_name" else "username" (NextAuth v4 takes "username" only),
// Email "email", EmailVerified "verified", Image
// https://cdn.discordapp.com/avatars/<id>/<avatar>.png (.gif for animated
// "a_" hashes) or, without an avatar, Discord's default avatar.
func DiscordProfile(ctx context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
	r := c.Raw
	id := str(r["id"])
	var image string
	if avatar := str(r["avatar"]); avatar != "" {
		ext := "png"
		if strings.HasPrefix(avatar, "a_") {
			ext = "gif"
		}
		image = "https://cdn.discordapp.com/avatars/" + id + "/" + avatar + "." + ext
	} else {
		var n uint64
		if d := str(r["discriminator"]); d == "" || d == "0" {
			// New usernames: (id >> 22) % 6.
			u, _ := strconv.ParseUint(id, 10, 64)
			n = (u >> 22) % 6
		} else {
			u, _ := strconv.ParseUint(d, 10, 64)
			n = u % 5
		}
		image = "https://cdn.discordapp.com/embed/avatars/" + strconv.FormatUint(n, 10) + ".png"
	}
	return &latch.OAuthProfile{
		ID:            id,
		Name:          cmp.Or(str(r["global_name"]), str(r["username"])),
		Email:         str(r["email"]),
		EmailVerified: boolean(r["verified"]),
		Image:         image,
		Raw:           r,
	}, nil
}
