package guard_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/latchauth/latch/guard"
)

// jwksOf fetches the key set that keys serve.
func jwksOf(t *testing.T, keys *guard.AssertionKeys) jose.JSONWebKeySet {
	t.Helper()
	w := httptest.NewRecorder()
	keys.JWKS().ServeHTTP(w, httptest.NewRequest("GET", "/api/auth/forward-auth/jwks.json", nil))
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(w.Body.Bytes(), &set); err != nil || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("JWKS %s: %v", w.Body, err)
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.KeyID == "" || k.Algorithm != "EdDSA" {
			t.Fatalf("JWKS key %+v: want a public EdDSA key with a kid", k)
		}
	}
	return set
}

// verify checks the assertion a against set, as an app would, and
// returns its claims.
func verify(set jose.JSONWebKeySet, a string) (map[string]any, error) {
	jws, err := jose.ParseSigned(a, []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		return nil, err
	}
	keys := set.Key(jws.Signatures[0].Header.KeyID)
	if len(keys) != 1 {
		return nil, errors.New("no key with the kid of the assertion")
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	return claims, json.Unmarshal(payload, &claims)
}

// TestAssertion: with AssertionKeys, an allowed check carries a JWT that
// verifies with the JWKS, for the site (aud) and the user, valid for the
// TTL; keys derived from another secret do not verify it; after a secret
// rotation the JWKS still holds the old key.
func TestAssertion(t *testing.T) {
	f := newFixture(t)
	keys, err := guard.NewAssertionKeys(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	k, err := guard.NewChecker(guard.CheckerConfig{
		Auth: f.auth, Sites: []guard.Site{{URL: "https://app.example.com", Public: []string{"/assets/"}}},
		TrustedProxy: func(*http.Request) bool { return true }, AssertionKeys: keys, AssertionTTL: 30 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ann := "__Secure-next-auth.session-token=" + f.token(t, "ann@example.com", time.Minute)
	ask := func(h map[string]string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://127.0.0.1:3000/api/auth/forward-auth", nil)
		for k, v := range h {
			r.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		k.ForwardAuth().ServeHTTP(w, r)
		return w
	}
	w := ask(traefik("Cookie", ann))
	a := w.Header().Get(guard.HeaderAssertion)
	if w.Code != 200 || strings.Count(a, ".") != 2 {
		t.Fatalf("%d %s %q; want 200 with an assertion", w.Code, w.Body, a)
	}
	set := jwksOf(t, keys)
	claims, err := verify(set, a)
	if err != nil {
		t.Fatalf("the assertion does not verify with the JWKS: %v", err)
	}
	want := map[string]any{"iss": "https://auth.example.com", "aud": "https://app.example.com", "sub": "u-1",
		"email": "ann@example.com", "name": "Ann Example", "groups": []any{}}
	for c, v := range want {
		if got, _ := json.Marshal(claims[c]); string(got) != mustJSON(v) {
			t.Errorf("claim %s = %s; want %s", c, got, mustJSON(v))
		}
	}
	iat, exp := claims["iat"].(float64), claims["exp"].(float64)
	if exp-iat != 30 || time.Since(time.Unix(int64(iat), 0)) > time.Minute {
		t.Errorf("iat %v, exp %v; want now and now+30s", iat, exp)
	}

	other, _ := guard.NewAssertionKeys("another-secret-0123456789abcdef0123456789")
	if _, err := verify(jwksOf(t, other), a); err == nil {
		t.Error("the assertion verifies with another secret's keys")
	}
	rotated, _ := guard.NewAssertionKeys("the-new-secret-0123456789abcdef0123456789", testSecret)
	if _, err := verify(jwksOf(t, rotated), a); err != nil {
		t.Errorf("after rotation, the old assertion does not verify: %v", err)
	}
	tampered := a[:strings.LastIndexByte(a, '.')-2] + "xx" + a[strings.LastIndexByte(a, '.'):]
	if _, err := verify(set, tampered); err == nil {
		t.Error("a tampered assertion verifies")
	}

	if w := ask(traefik("X-Forwarded-Uri", "/assets/x.css")); w.Code != 200 || len(w.Header()[guard.HeaderAssertion]) != 1 || w.Header().Get(guard.HeaderAssertion) != "" {
		t.Errorf("public path, signed out: %d %v; want 200 with an empty assertion header", w.Code, w.Header())
	}
	if w := ask(traefik()); w.Code != http.StatusFound || w.Header().Get(guard.HeaderAssertion) != "" {
		t.Errorf("signed out: %d %v; want 302 without an assertion", w.Code, w.Header())
	}
	if _, err := guard.NewAssertionKeys(); err == nil {
		t.Error("NewAssertionKeys without secrets: no error")
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
