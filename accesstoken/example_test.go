package accesstoken_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
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

// Another Go service checks the access tokens of Latch's local provider
// with nothing but the JWKS URL Latch publishes.
func ExampleNewRemoteVerifier() {
	// Latch's <base>/local/jwks, here a stand-in with one key.
	key, _ := accesstoken.GenerateKey(accesstoken.EdDSA, time.Now())
	jwks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{key.PublicJWK()}})
	}))
	defer jwks.Close()
	jwksURL := jwks.URL
	now := time.Now()
	token, _ := accesstoken.Sign(key, &accesstoken.Claims{
		Issuer: "https://auth.example.com/api/auth", Audience: []string{"my-api"},
		Subject: "user-1", SessionID: "sid-1", Email: "ann@example.com",
		IssuedAt: now.Unix(), Expiry: now.Add(30 * time.Minute).Unix(), ID: "jti-1",
	})
	ctx := context.Background()

	// readme:begin
	// jwksURL: https://auth.example.com/api/auth/local/jwks
	v := accesstoken.NewRemoteVerifier(jwksURL, "https://auth.example.com/api/auth", "my-api")
	claims, err := v.Verify(ctx, token) // claims.Subject, claims.Email, claims.SessionID
	// readme:end
	fmt.Println(claims.Subject, claims.Email, claims.SessionID, err)
	// Output: user-1 ann@example.com sid-1 <nil>
}
