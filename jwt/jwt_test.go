package jwt

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Vectors observed on next-auth 4.24.15 and @auth/core 0.41.3 with the
// secret "test-secret".
func TestDeriveKeyVectors(t *testing.T) {
	tests := []struct {
		gen  Generation
		salt string
		n    int
		want string
	}{
		{V4, "", 32, "233a0d9c3e93817c2a383a4235b78cc7820ed294cbf0a88d52650b90af59115a"},
		{V4, "next-auth.state", 32, "d159a71800bdcfed3aec5c353efc3f7caaa757b0d08d59647078425d00f3728a"},
		{V4, "next-auth.pkce.code_verifier", 32, "19bba7b6f599d8efadc9c036f25ca9d8be3c6e95c3cd2540d42fa65459901559"},
		{V4, "next-auth.nonce", 32, "4bca34531311de812205f5b60149525c52e9d5d969b9d498f822c88164a0646e"},
		{V5, "authjs.session-token", 64, "6d5bdbc76176d481ebca315e456c6c942c864e4346d78c6e49db4d8eca7aaefdd68fd9a47eea1cb70c322d6664192987fc893c0524834d6aabd6252bebde01c6"},
	}
	for _, tc := range tests {
		got, err := DeriveKey(tc.gen, "test-secret", tc.salt, tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got) != tc.want {
			t.Errorf("DeriveKey(%v, %q) = %x; want %s", tc.gen, tc.salt, got, tc.want)
		}
	}
}

// A token the real next-auth decoder accepts (fixed IV, see PROTOCOL.md).
const nextAuthVector = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAECAwQFBgcICQoL.mWGZN0spOpy6aHQxlv4Lh_bkgrx5CjwNyVgx7p5mWyUtj4tZBd1vyTj3W1YJS8itRd0kwtEDZi2gC_TvTqO1oze6bhERbbs8QX-cS3NhwtDDnM3bCcoGNRG_U0Mm3k9i9FG0bxT-o-aW1VqF5sB5IOcbEz4lY8kwfUQzzAgbBSRV6uSdc1yCjO3FFK7fSnowbj0._CGuJRogZjZguH3Nbxhl5w"

func TestDecodeNextAuthVector(t *testing.T) {
	c, err := New(V4, "", "test-secret")
	if err != nil {
		t.Fatal(err)
	}
	claims, err := c.Decode(nextAuthVector, time.Unix(1700000000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if claims["name"] != "J Smith" || claims["email"] != "j@example.com" || claims["sub"] != "1" {
		t.Errorf("claims = %v", claims)
	}
	if v, ok := claims["picture"]; !ok || v != nil {
		t.Errorf("picture = %v, %v; want null kept", v, ok)
	}
	if claims["jti"] != "00000000-0000-4000-8000-000000000000" {
		t.Errorf("jti = %v", claims["jti"])
	}
}

func TestRoundTrip(t *testing.T) {
	now := time.Now()
	for _, gen := range []Generation{V4, V5} {
		c, err := New(gen, "authjs.session-token", "a-secret")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.Encode(Claims{"name": "Ann", "sub": "42", "iat": 1}, now, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		wantHeader := `{"alg":"dir","enc":"A256GCM"}`
		if gen == V5 {
			wantHeader = `{"alg":"dir","enc":"A256CBC-HS512","kid":"` + c.keys[0].kid + `"}`
		}
		if got := decodeHeader(t, tok); got != wantHeader {
			t.Errorf("gen %v header = %s; want %s", gen, got, wantHeader)
		}
		if parts := strings.Split(tok, "."); len(parts) != 5 || parts[1] != "" {
			t.Errorf("gen %v: token %q is not dir compact JWE", gen, tok)
		}
		claims, err := c.Decode(tok, now)
		if err != nil {
			t.Fatalf("gen %v: %v", gen, err)
		}
		if claims["name"] != "Ann" || claims["sub"] != "42" {
			t.Errorf("gen %v claims = %v", gen, claims)
		}
		iat, _ := claims["iat"].(json.Number).Int64()
		exp, _ := claims["exp"].(json.Number).Int64()
		if iat != now.Unix() || exp != now.Unix()+3600 {
			t.Errorf("gen %v iat, exp = %d, %d; want %d, %d", gen, iat, exp, now.Unix(), now.Unix()+3600)
		}
	}
}

func TestV5DecodesA256GCM(t *testing.T) {
	// Auth.js decoders accept A256GCM tokens encrypted with the 32-byte key.
	key, _ := DeriveKey(V5, "s", "authjs.session-token", 32)
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := enc.Encrypt([]byte(`{"sub":"1","exp":4102444800}`))
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := obj.CompactSerialize()
	c, _ := New(V5, "authjs.session-token", "s")
	if _, err := c.Decode(tok, time.Now()); err != nil {
		t.Errorf("V5 decode of A256GCM token: %v", err)
	}
}

func TestRotation(t *testing.T) {
	now := time.Now()
	for _, gen := range []Generation{V4, V5} {
		old, _ := New(gen, "x", "old-secret")
		tok, _ := old.Encode(Claims{"sub": "1"}, now, time.Hour)
		ring, _ := New(gen, "x", "new-secret", "old-secret")
		if _, err := ring.Decode(tok, now); err != nil {
			t.Errorf("gen %v: token of a retired secret: %v", gen, err)
		}
		only, _ := New(gen, "x", "new-secret")
		if _, err := only.Decode(tok, now); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("gen %v: err = %v; want ErrInvalidToken", gen, err)
		}
	}
}

func TestExpiry(t *testing.T) {
	c, _ := New(V4, "", "s")
	now := time.Unix(1_800_000_000, 0)
	tok, _ := c.Encode(Claims{}, now, time.Minute)
	if _, err := c.Decode(tok, now.Add(time.Minute+14*time.Second)); err != nil {
		t.Errorf("within tolerance: %v", err)
	}
	_, err := c.Decode(tok, now.Add(time.Minute+16*time.Second))
	if !errors.Is(err, ErrExpired) || !errors.Is(err, ErrInvalidToken) {
		t.Errorf("err = %v; want ErrExpired wrapped in ErrInvalidToken", err)
	}
}

func TestDecodeGarbage(t *testing.T) {
	c, _ := New(V5, "authjs.session-token", "s")
	for _, tok := range []string{"", "a.b.c.d.e", "....", "x", nextAuthVector, strings.Repeat("A", 5000)} {
		if _, err := c.Decode(tok, time.Now()); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Decode(%.20q) err = %v; want ErrInvalidToken", tok, err)
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(V4, ""); err == nil {
		t.Error("no secrets: want error")
	}
	if _, err := New(V4, "", "a", ""); err == nil {
		t.Error("empty secret: want error")
	}
}

// FuzzDecode: every failure wraps ErrInvalidToken, and an accepted token
// has no encrypted key and claims that pass the checks.
func FuzzDecode(f *testing.F) {
	c, _ := New(V4, "", "test-secret")
	f.Add(nextAuthVector)
	f.Add("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAECAwQFBgcICQoL..")
	f.Add("")
	addClaimSeeds(f, V4)
	for _, tc := range claimCases() {
		if tc.gen == V4 && tc.encKey == "" {
			// The same claims through the general path.
			f.Add(shapeV4Other.seal(f, c.keys[0].gcm, tc.payload))
		}
	}
	f.Fuzz(func(t *testing.T, tok string) {
		now := time.Unix(claimsNow, 0)
		claims, err := c.Decode(tok, now)
		if err != nil {
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("error %v does not wrap ErrInvalidToken", err)
			}
			return
		}
		if claims == nil {
			t.Fatal("nil claims without error")
		}
		if parts := strings.Split(tok, "."); len(parts) != 5 || parts[1] != "" {
			t.Fatalf("accepted %q with an encrypted key", tok)
		}
		exp, ok := claims["exp"].(json.Number)
		if !ok {
			t.Fatalf("accepted claims %v without a numeric exp", claims)
		}
		if e, err := exp.Float64(); err != nil || Expired(e, now) {
			t.Fatalf("accepted claims %v with exp %s", claims, exp)
		}
		if nbf, ok := claims["nbf"]; ok {
			if v, err := nbf.(json.Number).Float64(); err != nil || v > claimsNow+15 {
				t.Fatalf("accepted claims %v with nbf %v", claims, nbf)
			}
		}
	})
}

func decodeHeader(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDecodeRejectsLineBreaks: base64 decoders skip CR and LF, so a token
// with one inserted would be another string for the same session (found
// by FuzzOpenV4); jose refuses such tokens, and so does Decode.
func TestDecodeRejectsLineBreaks(t *testing.T) {
	c, _ := New(V4, "", "test-secret")
	now := time.Unix(1_800_000_000, 0)
	tok, err := c.Encode(Claims{"sub": "1"}, now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(tok, now); err != nil {
		t.Fatalf("the token itself: %v", err)
	}
	parts := strings.Split(tok, ".")
	for i := 2; i < len(parts); i++ {
		for _, brk := range []string{"\r", "\n", "\r\n", " "} {
			p := slices.Clone(parts)
			p[i] = p[i][:4] + brk + p[i][4:]
			if _, err := c.Decode(strings.Join(p, "."), now); !errors.Is(err, ErrInvalidToken) {
				t.Errorf("part %d with %q inserted: %v; want ErrInvalidToken", i, brk, err)
			}
		}
	}
}
