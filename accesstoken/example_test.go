package accesstoken_test

import (
	"context"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch/accesstoken"
)

// A service checks the access tokens Latch signs. In production the keys
// come from the JWKS URL: accesstoken.NewRemoteVerifier(jwksURL, issuer,
// audience).
func ExampleVerifier() {
	key, _ := accesstoken.GenerateKey(accesstoken.EdDSA, time.Now())
	now := time.Now()
	token, _ := accesstoken.Sign(key, &accesstoken.Claims{
		Issuer: "https://auth.example.com/api/auth", Audience: []string{"api"},
		Subject: "user-1", SessionID: "sid-1", Email: "ann@example.com",
		IssuedAt: now.Unix(), Expiry: now.Add(30 * time.Minute).Unix(), ID: "jti-1",
	})

	v := &accesstoken.Verifier{
		Keys:     accesstoken.StaticKeys([]jose.JSONWebKey{key.PublicJWK()}),
		Issuer:   "https://auth.example.com/api/auth",
		Audience: "api",
	}
	claims, err := v.Verify(context.Background(), token)
	fmt.Println(claims.Subject, claims.Email, err)

	v.Audience = "another-api"
	_, err = v.Verify(context.Background(), token)
	fmt.Println(err)
	// Output:
	// user-1 ann@example.com <nil>
	// accesstoken: invalid token: not for audience "another-api"
}
