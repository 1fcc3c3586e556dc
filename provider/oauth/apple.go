package oauth

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"

	"github.com/latchauth/latch"
)

// AppleIssuer is the issuer of Sign in with Apple, and the audience of its
// client secrets.
const AppleIssuer = "https://appleid.apple.com"

// appleSecretLife is how long a generated client secret is valid; a new
// one is made for every token request.
const appleSecretLife = 5 * time.Minute

// AppleKey is the Sign in with Apple private key of an Apple developer
// team, from which client secrets are made.
type AppleKey struct {
	TeamID string // the team's 10-character ID
	KeyID  string // the key's 10-character ID
	// PrivateKey is the content of the AuthKey_<KeyID>.p8 file Apple
	// issued: a PEM "PRIVATE KEY" (PKCS #8, P-256).
	PrivateKey []byte
}

// Apple returns the Config of Sign in with Apple (NextAuth's "apple"
// provider) for a Services ID (clientID): OpenID Connect with issuer
// https://appleid.apple.com, scopes "openid email name",
// response_mode=form_post (which Apple requires for those scopes; see
// [latch.OAuthChecks.FormPost]), checks State and Nonce, and
// [AppleProfile]. Its client secret is a JWT signed with key, made afresh
// for each token request, so it never expires the way a secret generated
// once does. It fails when the key cannot be used.
func Apple(clientID string, key AppleKey) (Config, error) {
	secret, err := AppleClientSecret(clientID, key)
	if err != nil {
		return Config{}, err
	}
	return Config{
		ID:               "apple",
		Name:             "Apple",
		ClientID:         clientID,
		ClientSecretFunc: secret,
		Issuer:           AppleIssuer,
		Scopes:           []string{"openid", "email", "name"},
		Params:           map[string]string{"response_mode": "form_post"},
		Checks:           &latch.OAuthChecks{State: true, Nonce: true},
		Profile:          AppleProfile,
	}, nil
}

// AppleClientSecret checks key and returns a function that makes client
// secrets for clientID: ES256 JWTs with the key's ID as "kid", the team
// as issuer, clientID as subject and Apple as audience, valid for five
// minutes.
func AppleClientSecret(clientID string, key AppleKey) (func(context.Context) (string, error), error) {
	if clientID == "" || key.TeamID == "" || key.KeyID == "" {
		return nil, errors.New("oauth: Apple: the client ID (Services ID), team ID and key ID are required")
	}
	block, _ := pem.Decode(key.PrivateKey)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New(`oauth: Apple: the private key is not a PEM "PRIVATE KEY" block (the content of the AuthKey_<KeyID>.p8 file)`)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("oauth: Apple: private key: %w", err)
	}
	ec, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, errors.New("oauth: Apple: the private key is not a P-256 (ES256) key")
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: ec},
		(&jose.SignerOptions{}).WithHeader(jose.HeaderKey("kid"), key.KeyID))
	if err != nil {
		return nil, fmt.Errorf("oauth: Apple: %w", err)
	}
	return func(context.Context) (string, error) {
		now := time.Now()
		return josejwt.Signed(signer).Claims(josejwt.Claims{
			Issuer:   key.TeamID,
			Subject:  clientID,
			Audience: josejwt.Audience{AppleIssuer},
			IssuedAt: josejwt.NewNumericDate(now),
			Expiry:   josejwt.NewNumericDate(now.Add(appleSecretLife)),
		}).Serialize()
	}, nil
}

// AppleProfile maps Sign in with Apple's ID token: ID from "sub", Email
// from "email" (maybe a private relay address), EmailVerified from
// "email_verified" (Apple sends "true" as a string). Apple tells the
// user's name only once, on their first sign-in, in the callback's "user"
// parameter ({"name": {"firstName", "lastName"}}); later sign-ins have
// no name. There is no picture.
func AppleProfile(_ context.Context, c *ProfileContext) (*latch.OAuthProfile, error) {
	r := c.Raw
	p := &latch.OAuthProfile{
		ID:            str(r["sub"]),
		Email:         str(r["email"]),
		EmailVerified: boolean(r["email_verified"]),
		Raw:           r,
	}
	if u := c.Params.Get("user"); u != "" {
		var user struct {
			Name struct {
				FirstName string `json:"firstName"`
				LastName  string `json:"lastName"`
			} `json:"name"`
		}
		// A malformed "user" costs the name only: the identity comes
		// from the verified ID token.
		if json.Unmarshal([]byte(u), &user) == nil {
			p.Name = strings.TrimSpace(user.Name.FirstName + " " + user.Name.LastName)
		}
	}
	p.Name = cmp.Or(p.Name, str(r["name"]))
	return p, nil
}
