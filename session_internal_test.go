package latch

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchauth/latch/jwt"
)

// TestPlainSessionMatchesGeneral: Session(r) without callbacks reads the
// payload directly (plainSession); it must give what the general path
// (decode into a Token, the callbacks) gives for every payload.
func TestPlainSessionMatchesGeneral(t *testing.T) {
	secret := strings.Repeat("p", 32)
	now := time.Unix(1_800_000_000, 0)
	newAuth := func(jwtCallback bool) *Auth {
		cfg := Config{URL: "http://localhost:3000/api/auth", Secrets: []string{secret}, Now: func() time.Time { return now }}
		if jwtCallback {
			cfg.Callbacks.JWT = func(_ context.Context, p *JWTParams) (Token, error) { return p.Token, nil }
		}
		a, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	plain, general := newAuth(false), newAuth(true)
	codec, _ := jwt.New(jwt.V4, "", secret)
	payloads := []string{
		`{"name":"Jane","email":"jane@example.com","picture":"https://i/j.png","sub":"1","iat":1799999000,"exp":1800003600,"jti":"x"}`,
		`{"email":"jane@example.com","sub":"1","iat":1799999000,"exp":1800003600}`,
		`{"name":null,"email":null,"picture":null,"sub":"1","exp":1800003600}`,
		`{"name":5,"email":true,"picture":{"a":1},"sub":7,"exp":1800003600}`,
		`{"name":"J\u00e9 \"Q\" \\ \ud83d\ude00","email":"a\/b@example.com","sub":"\u0031","exp":1800003600}`,
		"{\"name\":\"bad \xff utf8\",\"sub\":\"1\",\"exp\":1800003600}",
		`{"name":"first","name":"last","sub":"1","exp":1800003600}`,
		`{"sub":"1","iat":1.7999990005e9,"exp":1800003600}`,
		`{"sub":"1","iat":-5,"exp":1800003600}`,
		`{"sub":"1","iat":"yesterday","exp":1800003600}`,
		`{"sub":"1","exp":1799999999}`,
		`{"sub":"1","exp":1800003600,"nbf":1800000100}`,
		`{"sub":"1"}`,
		`{"sub":"1","exp":"later"}`,
		`[1,2]`,
		`{"sub":"1","exp":1800003600} trailing`,
	}
	for _, p := range payloads {
		tok, err := codec.EncodePayload([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, how := range []string{"cookie", "bearer"} {
			req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dashboard", nil)
			if how == "cookie" {
				req.Header.Set("Cookie", "next-auth.session-token="+tok)
			} else {
				req.Header.Set("Authorization", "Bearer "+tok)
			}
			got, want := plain.Session(req), general.Session(req)
			if (got == nil) != (want == nil) {
				t.Errorf("%s %s: plain session %v, general %v", how, p, got, want)
				continue
			}
			if got == nil {
				continue
			}
			gj, _ := got.MarshalJSON()
			wj, _ := want.MarshalJSON()
			if string(gj) != string(wj) || got.UserID() != want.UserID() || !got.renewed.Equal(want.renewed) {
				t.Errorf("%s %s:\n plain   %s user %q renewed %v\n general %s user %q renewed %v", how, p, gj, got.UserID(), got.renewed, wj, want.UserID(), want.renewed)
			}
			if tk, wt := got.sessionToken(), want.sessionToken(); len(tk) != len(wt) || tk.Subject() != wt.Subject() {
				t.Errorf("%s %s: token for keep-alive %v; general %v", how, p, tk, wt)
			}
		}
	}
}

// TestAppendQuotedUUID: the jti of a reissued token is a random version 4
// UUID, as NextAuth's.
func TestAppendQuotedUUID(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		q := string(appendQuotedUUID(nil))
		u, err := uuid.Parse(strings.Trim(q, `"`))
		if err != nil || q[0] != '"' || q[len(q)-1] != '"' || len(q) != 38 || u.Version() != 4 || u.Variant() != uuid.RFC4122 || seen[q] {
			t.Fatalf("appendQuotedUUID = %s (%v, version %d, variant %v, repeated %v)", q, err, u.Version(), u.Variant(), seen[q])
		}
		seen[q] = true
	}
}
