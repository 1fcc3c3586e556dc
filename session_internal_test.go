package latch

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/jsonobj"
	"github.com/latchauth/latch/jwt"
)

// fastAndGeneral returns two handlers with the secret and clock: one
// without callbacks (its fast paths run) and one whose JWT callback
// returns the token as it is (the general path, the same answers).
func fastAndGeneral(t *testing.T, secret string, now time.Time) (fast, general *Auth) {
	t.Helper()
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
	return newAuth(false), newAuth(true)
}

// TestPlainSessionMatchesGeneral: Session(r) without callbacks reads the
// payload directly (plainSession); it must give what the general path
// (decode into a Token, the callbacks) gives for every payload.
func TestPlainSessionMatchesGeneral(t *testing.T) {
	secret := strings.Repeat("p", 32)
	now := time.Unix(1_800_000_000, 0)
	plain, general := fastAndGeneral(t, secret, now)
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

// sessionPayloads are token payloads for the tests that compare the
// session fast paths with the general one.
var sessionPayloads = []string{
	`{"name":"Jane","email":"jane@example.com","picture":"https://i/j.png","sub":"1","iat":1799999000,"exp":1800003600,"jti":"x"}`,
	`{"email":"jane@example.com","sub":"1","iat":1799999000,"exp":1800003600}`,
	`{"name":null,"email":null,"picture":null,"sub":"1","exp":1800003600}`,
	`{"name":5,"email":true,"picture":{"a":1},"sub":7,"exp":1800003600}`,
	`{"name":"J\u00e9 \"Q\" \\ \ud83d\ude00","email":"a\/b@example.com","sub":"\u0031","exp":1800003600}`,
	"{\"name\":\"bad \xff utf8\",\"sub\":\"1\",\"exp\":1800003600}",
	`{"name":"first","name":"last","sub":"1","exp":1800003600}`,
	`{"name":"","email":"","sub":"","exp":1800003600,"extra":[1,{"b":null}]}`,
	`{"sub":"1","iat":1.7999990005e9,"exp":1800003600}`,
	`{"sub":"1","iat":-5,"exp":1800003600}`,
	`{"sub":"1","iat":"yesterday","exp":1800003600}`,
	`{"sub":"1","exp":1799999999}`,
	`{"sub":"1","exp":1800003600,"nbf":1800000100}`,
	`{"sub":"1"}`,
	`{"sub":"1","exp":"later"}`,
	`[1,2]`,
	`{"sub":"1","exp":1800003600} trailing`,
	`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"name":"many","sub":"1","exp":1800003600}`,
}

// TestSessionGETFastMatchesGeneral: GET <base>/session without callbacks
// re-encodes the payload without decoding it (refresh's fast path); the
// response must be the one the general path (decode into a Token, the
// callbacks, encode) gives, but for the token's order of members and its
// random jti.
func TestSessionGETFastMatchesGeneral(t *testing.T) {
	secret := strings.Repeat("p", 32)
	now := time.Unix(1_800_000_000, 0)
	fast, general := fastAndGeneral(t, secret, now)
	codec, _ := jwt.New(jwt.V4, "", secret)
	for _, p := range sessionPayloads {
		tok, err := codec.EncodePayload([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, cookies := range []string{"next-auth.session-token=" + tok, "a=b; next-auth.session-token=" + tok + "; next-auth.session-token.0=x"} {
			var res [2]*httptest.ResponseRecorder
			for i, a := range []*Auth{fast, general} {
				req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
				req.Header.Set("Cookie", cookies)
				res[i] = httptest.NewRecorder()
				a.ServeHTTP(res[i], req)
			}
			got, want := res[0], res[1]
			gc, wc := got.Header().Values("Set-Cookie"), want.Header().Values("Set-Cookie")
			var gotClaims, wantClaims []map[string]any
			for _, c := range [][]string{gc, wc} {
				var claims map[string]any
				for i, h := range c {
					if strings.HasPrefix(h, "next-auth.csrf-token=") {
						_, attrs, _ := strings.Cut(h, ";")
						c[i] = "CSRF;" + attrs // a new random token on each
						continue
					}
					v, _, _ := strings.Cut(strings.TrimPrefix(h, "next-auth.session-token="), ";")
					if v == "" || !strings.HasPrefix(h, "next-auth.session-token=") {
						continue
					}
					if claims, err = codec.Decode(v, now); err != nil {
						t.Fatalf("%s: cookie %s: %v", p, h, err)
					}
					if _, err := uuid.Parse(claims["jti"].(string)); err != nil {
						t.Errorf("%s: jti %v", p, claims["jti"])
					}
					delete(claims, "jti")
					c[i] = strings.Replace(h, v, "TOKEN", 1)
				}
				if len(gotClaims) == 0 {
					gotClaims = append(gotClaims, claims)
				} else {
					wantClaims = append(wantClaims, claims)
				}
			}
			if got.Code != want.Code || got.Body.String() != want.Body.String() || !reflect.DeepEqual(gc, wc) ||
				!reflect.DeepEqual(gotClaims, wantClaims) || !reflect.DeepEqual(got.Header(), want.Header()) {
				t.Errorf("%s with %q:\n fast    %d %v %s %v\n general %d %v %s %v", p, cookies, got.Code, got.Header(), got.Body, gotClaims, want.Code, want.Header(), want.Body, wantClaims)
			}
		}
	}
}

// TestAppendISOTime compares appendISOTime with time.Time.AppendFormat.
func TestAppendISOTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	times := []time.Time{{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(12, 3, 4, 5, 6, 7, 8e6, time.FixedZone("X", 7200))}
	for range 100000 {
		times = append(times, time.Unix(rng.Int64N(400_000_000_000)-100_000_000_000, rng.Int64N(1e9)).In(time.FixedZone("Z", rng.IntN(50000)-25000)))
	}
	for _, tm := range times {
		want := tm.UTC().AppendFormat([]byte("x"), "2006-01-02T15:04:05.000Z")
		if got := appendISOTime([]byte("x"), tm); string(got) != string(want) {
			t.Fatalf("appendISOTime(%v) = %q; want %q", tm, got, want)
		}
	}
}

// TestWriteSessionValueOrder: the shortcut of writeSessionValue (one
// cookie replacing one, or none) queues the headers clearing first would.
func TestWriteSessionValueOrder(t *testing.T) {
	a, err := New(Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("p", 32)}})
	if err != nil {
		t.Fatal(err)
	}
	expires := time.Unix(1_800_000_000, 0)
	long := strings.Repeat("v", 5000)
	for _, names := range [][]string{nil, {"next-auth.session-token"}, {"next-auth.session-token.0", "next-auth.session-token.1"}, {"next-auth.session-token.1", "next-auth.session-token"}} {
		for _, value := range []string{"short", long} {
			for _, before := range []string{"", "next-auth.session-token", "next-auth.csrf-token"} {
				var got, want []setCookie
				for i := range 2 {
					x := a.newExchange(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil), "session", "")
					if before != "" {
						x.setCookie(before, "earlier")
					}
					if i == 0 {
						x.writeSessionValue(value, names, expires)
						got = x.setCookies
					} else { // the general path
						x.clearSession(names)
						for _, c := range cookie.Split(x.names.session, value) {
							x.setCookie(c.Name, cookie.Serialize(c.Name, c.Value, -1, expires, x.names.opts))
						}
						want = x.setCookies
					}
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("names %q, %d bytes, %q queued before:\n got  %q\n want %q", names, len(value), before, got, want)
				}
			}
		}
	}
}

// TestRequireContext: the context Require hands on carries the session
// and answers every other key, deadline and cancellation as its parent.
func TestRequireContext(t *testing.T) {
	a, err := New(Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("p", 32)}})
	if err != nil {
		t.Fatal(err)
	}
	codec, _ := jwt.New(jwt.V4, "", strings.Repeat("p", 32))
	tok, _ := codec.Encode(jwt.Claims{"sub": "1", "email": "a@example.com"}, time.Now(), time.Hour)
	type key struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	var seen *Session
	var inner context.Context
	h := a.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, inner = a.Session(r), r.Context()
		if nested := a.Session(r.WithContext(context.WithValue(r.Context(), key{}, "w"))); nested != seen {
			t.Errorf("a nested context: session %p; want %p", nested, seen)
		}
	}))
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/x", nil).WithContext(parent)
	req.Header.Set("Cookie", "next-auth.session-token="+tok)
	h.ServeHTTP(httptest.NewRecorder(), req)
	if seen == nil || seen.User.Email != "a@example.com" || seen.UserID() != "1" {
		t.Fatalf("session in the handler: %+v", seen)
	}
	if inner.Value(key{}) != "v" {
		t.Errorf("another key: %v", inner.Value(key{}))
	}
	other, _ := New(Config{URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("p", 32)}})
	if s := other.Session(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(inner)); s != nil && s == seen {
		t.Error("another Auth's key answered with this Auth's session")
	}
	child, stop := context.WithCancel(inner)
	defer stop()
	cancel()
	select {
	case <-child.Done():
	case <-time.After(time.Second):
		t.Fatal("cancelling the parent did not reach a child of the handler's context")
	}
	if inner.Err() != context.Canceled {
		t.Errorf("Err = %v", inner.Err())
	}
}

// TestTokensNeedNoCookieEncoding: sealSessionCookie writes a token into
// its Set-Cookie header unescaped, which is what Serialize writes, for
// either generation and any payload size (one cookie or chunks).
func TestTokensNeedNoCookieEncoding(t *testing.T) {
	expires := time.Unix(1_800_000_000, 0)
	for _, gen := range []jwt.Generation{jwt.V4, jwt.V5} {
		for _, secure := range []bool{false, true} {
			names, err := newCookieNames(gen, secure, CookieOptions{Domain: "example.com"}, []string{strings.Repeat("p", 32)})
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 2, 3, 100, 2800, 2900, 3000, 5000} {
				payload := []byte(`{"sub":"` + strings.Repeat("x", n) + `"}`)
				value, header, err := sealSessionCookie(names, payload, expires)
				if err != nil {
					t.Fatal(err)
				}
				if cookie.Encode(value) != value {
					t.Fatalf("%v: token %q needs escaping", gen, value)
				}
				if got, err := names.sessions.Open(value); err != nil || string(got) != string(payload) {
					t.Fatalf("%v: token opens to %q, %v", gen, got, err)
				}
				want := cookie.Serialize(names.session, value, -1, expires, names.opts)
				if len(value) > cookie.ChunkSize {
					want = ""
				}
				if header != want {
					t.Errorf("%v, %d-byte token: header %q; want %q", gen, len(value), header, want)
				}
				if est := names.sessions.EncodedLen(len(payload)); gen == jwt.V4 && est != len(value) {
					t.Errorf("EncodedLen(%d) = %d; the token has %d bytes", len(payload), est, len(value))
				}
			}
		}
	}
}

// TestPayloadClaimsOf compares payloadClaimsOf with Object.Get, and
// checks that it allocates nothing.
func TestPayloadClaimsOf(t *testing.T) {
	payloads := append([]string{
		`{"e\u0078p":1,"n\u0061me":"x","sub":"1","iat":2,"nbf":3,"email":"e","picture":"p","other":4}`,
		`{"exp":1,"exp":2,"name":null,"nam":1,"names":2,"":3}`,
		`{}`,
	}, sessionPayloads...)
	for _, p := range payloads {
		obj, err := jsonobj.Parse([]byte(p))
		if err != nil {
			continue
		}
		c := payloadClaimsOf(obj)
		got := [][]byte{c.name, c.email, c.picture, c.sub, c.iat, c.nbf, c.exp}
		for i, k := range []string{"name", "email", "picture", "sub", "iat", "nbf", "exp"} {
			if want := obj.Get(k); (want == nil) != (got[i] == nil) || string(want) != string(got[i]) {
				t.Errorf("%s: %s = %s; Get says %s", p, k, got[i], want)
			}
		}
		if n := testing.AllocsPerRun(10, func() { payloadClaimsOf(obj) }); n != 0 {
			t.Errorf("%s: %v allocations", p, n)
		}
	}
}
