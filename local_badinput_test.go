package latch_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch"
	"github.com/latchauth/latch/accesstoken"
)

// Every endpoint of the local provider with bad input: the status is the
// one named, never a 500.
func TestLocalBadInput(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{SignUp: func(context.Context, *http.Request, map[string]string) (*latch.User, error) {
		return nil, &latch.SignUpError{Field: "email", Message: "no"}
	}})
	token, _ := h.login(t, h.auth)
	huge := `{"email":"` + strings.Repeat("a", 70<<10) + `"}`
	const js = "application/json"
	cases := []struct {
		name, method, endpoint, ct, body string
		header                           []string
		want                             int
	}{
		{"login no body", "POST", "/login", js, "", nil, 400},
		{"login no body, no type", "POST", "/login", "", "", nil, 415},
		{"login form", "POST", "/login", "application/x-www-form-urlencoded", "email=a&password=b", nil, 415},
		{"login text/plain JSON", "POST", "/login", "text/plain", `{"email":"a"}`, nil, 415},
		{"login multipart", "POST", "/login", "multipart/form-data; boundary=x", "--x--", nil, 415},
		{"login bad media type", "POST", "/login", ";;;", `{}`, nil, 415},
		{"login huge", "POST", "/login", js, huge, nil, 413},
		{"login array", "POST", "/login", js, `[1,2]`, nil, 400},
		{"login string", "POST", "/login", js, `"x"`, nil, 400},
		{"login null", "POST", "/login", js, `null`, nil, 400},
		{"login truncated", "POST", "/login", js, `{"email":`, nil, 400},
		{"login trailing data", "POST", "/login", js, `{} {}`, nil, 400},
		{"login number password", "POST", "/login", js, `{"email":"lou@example.com","password":123}`, nil, 400},
		{"login object email", "POST", "/login", js, `{"email":{"$ne":null},"password":"x"}`, nil, 400},
		{"login unknown fields", "POST", "/login", js, `{"email":"lou@example.com","password":"wrong","x":[1],"y":{"z":1}}`, nil, 401},
		{"login empty object", "POST", "/login", js, `{}`, nil, 401},
		{"login charset param", "POST", "/login", "application/json; charset=utf-8", `{"email":"lou@example.com","password":"right"}`, nil, 200},
		{"login GET", "GET", "/login", "", "", nil, 405},
		{"session POST", "POST", "/session", js, `{}`, nil, 405},
		{"session no token", "GET", "/session", "", "", nil, 401},
		{"session null", "GET", "/session", "", "", []string{"Authorization", "Bearer null"}, 401},
		{"session garbage", "GET", "/session", "", "", []string{"Authorization", "Bearer a.b.c"}, 401},
		{"session five parts", "GET", "/session", "", "", []string{"Authorization", "Bearer a.b.c.d.e"}, 401},
		{"session huge token", "GET", "/session", "", "", []string{"Authorization", "Bearer " + strings.Repeat("a.", 9000) + "a"}, 401},
		{"session basic auth", "GET", "/session", "", "", []string{"Authorization", "Basic " + token}, 401},
		{"refresh no body", "POST", "/refresh", js, "", nil, 400},
		{"refresh missing token", "POST", "/refresh", js, `{}`, nil, 400},
		{"refresh number", "POST", "/refresh", js, `{"refreshToken":1}`, nil, 400},
		{"refresh null", "POST", "/refresh", js, `{"refreshToken":null}`, nil, 400},
		{"refresh unknown", "POST", "/refresh", js, `{"refreshToken":"nope"}`, nil, 401},
		{"refresh huge", "POST", "/refresh", js, `{"refreshToken":"` + strings.Repeat("x", 4000) + `"}`, nil, 401},
		{"refresh with the access token", "POST", "/refresh", js, `{"refreshToken":"` + token + `"}`, nil, 401},
		{"refresh form", "POST", "/refresh", "application/x-www-form-urlencoded", "refreshToken=x", nil, 415},
		{"logout form", "POST", "/logout", "application/x-www-form-urlencoded", "", nil, 415},
		{"logout number", "POST", "/logout", js, `{"refreshToken":5}`, nil, 200},
		{"logout garbage", "POST", "/logout", js, `{"refreshToken":"x"}`, []string{"Authorization", "Bearer x.y.z"}, 200},
		{"logout bad JSON", "POST", "/logout", js, `{`, nil, 400},
		{"register refused", "POST", "/register", js, `{"email":"x"}`, nil, 400},
		{"register number", "POST", "/register", js, `{"email":1}`, nil, 400},
		{"register form", "POST", "/register", "application/x-www-form-urlencoded", "email=x", nil, 415},
		{"unknown endpoint", "GET", "/nope", "", "", nil, 404},
		{"jwks POST", "POST", "/jwks", js, `{}`, nil, 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(h.auth, tc.method, tc.endpoint, tc.ct, tc.body, tc.header...)
			if r.code != tc.want {
				t.Errorf("%s %s: %d %s; want %d", tc.method, tc.endpoint, r.code, r.body, tc.want)
			}
			if r.code >= 500 {
				t.Errorf("server error %d", r.code)
			}
			if ct := r.header.Get("Content-Type"); !strings.Contains(ct, "json") {
				t.Errorf("Content-Type %q; want JSON", ct)
			}
		})
	}
}

// Access tokens that must be refused: another signature, another key,
// alg none, HMAC with the public key, expired, another issuer or
// audience.
func TestLocalForgedTokens(t *testing.T) {
	h := newLocalHarness(t, latch.LocalConfig{Audience: "api"})
	token, _ := h.login(t, h.auth)
	parts := strings.Split(token, ".")
	b64 := base64.RawURLEncoding.EncodeToString
	now := h.clock()
	claims := func(iss, aud string, exp time.Time) *accesstoken.Claims {
		return &accesstoken.Claims{Issuer: iss, Audience: []string{aud}, Subject: h.user.ID, SessionID: "sid", IssuedAt: now.Unix(), Expiry: exp.Unix(), ID: "j"}
	}
	own := ownKey(t, h.auth)
	stranger, _ := accesstoken.GenerateKey(accesstoken.EdDSA, now)
	strangerSameKid := *stranger
	strangerSameKid.ID = own
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	sign := func(k *accesstoken.Key, c *accesstoken.Claims) string {
		s, err := accesstoken.Sign(k, c)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	es := &accesstoken.Key{ID: own, Algorithm: accesstoken.ES256, Private: ecKey}
	hs, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: []byte("public key bytes as an HMAC secret")}, (&jose.SignerOptions{}).WithHeader("kid", own))
	hsTok, _ := hs.Sign([]byte(parts[1]))
	hsCompact, _ := hsTok.CompactSerialize()
	iss := "http://localhost:3000/api/auth"
	for name, tok := range map[string]string{
		"bad signature":        parts[0] + "." + parts[1] + "." + b64(make([]byte, 64)),
		"payload changed":      parts[0] + "." + b64([]byte(`{"sub":"someone-else"}`)) + "." + parts[2],
		"alg none":             b64([]byte(`{"alg":"none","kid":"`+own+`"}`)) + "." + parts[1] + ".",
		"alg none, signature":  b64([]byte(`{"alg":"none","kid":"`+own+`"}`)) + "." + parts[1] + "." + parts[2],
		"HS256":                hsCompact,
		"another key":          sign(stranger, claims(iss, "api", now.Add(time.Hour))),
		"another key, our kid": sign(&strangerSameKid, claims(iss, "api", now.Add(time.Hour))),
		"ES256, our kid":       sign(es, claims(iss, "api", now.Add(time.Hour))),
		"not a JWT":            "not-a-token",
	} {
		if c := h.sessionCode(h.auth, tok); c != http.StatusUnauthorized {
			t.Errorf("%s: %d; want 401", name, c)
		}
	}
	// Valid signatures with wrong claims need our key: reach it through a
	// second Auth that signs with other settings.
	for name, local := range map[string]latch.LocalConfig{
		"another audience": {Audience: "other"},
		"another issuer":   {Audience: "api", Issuer: "https://evil.example/api/auth"},
		"expired":          {Audience: "api", AccessTokenTTL: time.Second},
	} {
		a := h.instance(t, local)
		tok, _ := h.login(t, a)
		if name == "expired" {
			h.advance(2 * time.Second)
		}
		if c := h.sessionCode(h.auth, tok); c != http.StatusUnauthorized {
			t.Errorf("%s: %d; want 401", name, c)
		}
	}
}

// ownKey returns the kid of a's signing key, from its JWKS.
func ownKey(t *testing.T, a *latch.Auth) string {
	t.Helper()
	r := do(a, "GET", "/jwks", "", "")
	i := strings.Index(r.body, `"kid":"`)
	if i < 0 {
		t.Fatalf("JWKS %s", r.body)
	}
	rest := r.body[i+7:]
	return rest[:strings.IndexByte(rest, '"')]
}
