package jwt

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch/internal/compat"
)

// claimsNow is the clock of the claim cases.
const claimsNow = 1_800_000_000

// A claimCase is a token and whether it is accepted at claimsNow: by Latch
// (latch) and by next-auth 4's decode, jose's jwtDecrypt with
// clockTolerance 15 (jose). They differ only where Latch is stricter on
// purpose (see claims.Check and Codec.decryptGeneral).
type claimCase struct {
	name    string
	gen     Generation
	shape   func(c *Codec) crafted
	encKey  string // encrypted key segment; "" for a well-formed dir token
	payload string
	latch   bool
	jose    bool
}

func n(d int64) string { return fmt.Sprint(claimsNow + d) }

// header is a token shape with the protected header h.
func header(h string) func(*Codec) crafted {
	return func(*Codec) crafted { return crafted{header: h} }
}

func claimCases() []claimCase {
	v4 := func(*Codec) crafted { return shapeV4 }
	v4Other := func(*Codec) crafted { return shapeV4Other }
	v5GCM := func(*Codec) crafted { return shapeV5GCM }
	ok := func(name, payload string) claimCase {
		return claimCase{name: name, gen: V4, shape: v4, payload: payload, latch: true, jose: true}
	}
	bad := func(name, payload string) claimCase {
		return claimCase{name: name, gen: V4, shape: v4, payload: payload}
	}
	valid := `{"sub":"1","exp":` + n(3600) + `}`
	// far is an exp in 2100: the cases with it do not depend on the clock,
	// so the real next-auth decode can check them too.
	far := `{"sub":"1","exp":4102444800}`
	return []claimCase{
		ok("valid", valid),
		{name: "valid, other header order", gen: V4, shape: v4Other, payload: valid, latch: true, jose: true},
		{name: "valid v5", gen: V5, shape: v5Shape, payload: valid, latch: true, jose: true},
		{name: "valid v5 A256GCM", gen: V5, shape: v5GCM, payload: valid, latch: true, jose: true},

		// "dir" has no encrypted key (RFC 7516 §5.1 step 6): a token with
		// one is another string for the same session.
		{name: "dir with encrypted key", gen: V4, shape: v4, encKey: someEncrypted, payload: far},
		{name: "dir with encrypted key, other header order", gen: V4, shape: v4Other, encKey: someEncrypted, payload: far},
		{name: "dir with one-character encrypted key", gen: V4, shape: v4, encKey: "A", payload: far},
		{name: "dir with encrypted key, v5", gen: V5, shape: v5Shape, encKey: someEncrypted, payload: valid},
		{name: "dir with encrypted key, v5 A256GCM", gen: V5, shape: v5GCM, encKey: someEncrypted, payload: valid},

		// Duplicate members: JSON.parse keeps the last.
		bad("exp twice, last expired", `{"exp":`+n(3600)+`,"exp":`+n(-3600)+`}`),
		ok("exp twice, last valid", `{"exp":`+n(-3600)+`,"exp":`+n(3600)+`}`),
		bad("exp twice, last escaped and expired", `{"exp":`+n(3600)+`,"e\u0078p":`+n(-3600)+`}`),
		bad("exp twice, last 1", `{"exp":4102444800,"exp":1}`),
		ok("exp twice, last in 2100", `{"exp":1,"exp":4102444800}`),
		bad("nbf in 2100", `{"exp":4102444800,"nbf":4102444800}`),
		bad("exp twice, last a string", `{"exp":`+n(3600)+`,"exp":"`+n(3600)+`"}`),
		bad("nbf twice, last in the future", `{"exp":`+n(3600)+`,"nbf":`+n(-60)+`,"nbf":`+n(60)+`}`),
		ok("nbf twice, last past", `{"exp":`+n(3600)+`,"nbf":`+n(60)+`,"nbf":`+n(-60)+`}`),
		bad("iat twice, last a string", `{"exp":`+n(3600)+`,"iat":1,"iat":"x"}`),
		ok("iat twice, last a number", `{"exp":`+n(3600)+`,"iat":"x","iat":1}`),

		// exp: a number; expired when exp <= now - 15.
		bad("exp a string", `{"exp":"`+n(3600)+`"}`),
		bad("exp null", `{"exp":null}`),
		bad("exp true", `{"exp":true}`),
		bad("exp an array", `{"exp":[`+n(3600)+`]}`),
		bad("exp now-15", `{"exp":`+n(-15)+`}`),
		ok("exp now-14", `{"exp":`+n(-14)+`}`),
		ok("exp now-14.5", `{"exp":`+n(-15)+`.5}`),
		ok("exp in exponent form", `{"exp":18000036e2}`),
		bad("exp -infinity", `{"exp":-1e400}`),

		// nbf: a number; refused when nbf > now + 15.
		bad("nbf in 16 s", `{"exp":`+n(3600)+`,"nbf":`+n(16)+`}`),
		ok("nbf in 15 s", `{"exp":`+n(3600)+`,"nbf":`+n(15)+`}`),
		ok("nbf past", `{"exp":`+n(3600)+`,"nbf":`+n(-3600)+`}`),
		bad("nbf a string", `{"exp":`+n(3600)+`,"nbf":"0"}`),
		bad("nbf null", `{"exp":`+n(3600)+`,"nbf":null}`),
		bad("nbf +infinity", `{"exp":`+n(3600)+`,"nbf":1e400}`),

		// iat: a number when present; jose does not check its value
		// without maxTokenAge, nor does next-auth.
		bad("iat a string", `{"exp":`+n(3600)+`,"iat":"0"}`),
		bad("iat null", `{"exp":`+n(3600)+`,"iat":null}`),
		ok("iat in the future", `{"exp":`+n(3600)+`,"iat":`+n(86400)+`}`),

		// Not a JSON object.
		bad("array", `[1]`),
		bad("null", `null`),
		bad("string", `"x"`),
		bad("trailing garbage", valid+`x`),

		// jwtDecrypt compares "iss", "sub" and "aud" in the protected
		// header with the payload's.
		{name: "header sub differs", gen: V4, shape: header(`{"alg":"dir","enc":"A256GCM","sub":"2"}`), payload: valid},
		{name: "header iss null", gen: V4, shape: header(`{"alg":"dir","enc":"A256GCM","iss":null}`), payload: valid},
		{name: "header aud, v5", gen: V5, shape: header(`{"alg":"dir","enc":"A256GCM","aud":"x"}`), payload: valid},
		{name: "header typ and cty", gen: V4, shape: header(`{"alg":"dir","enc":"A256GCM","typ":"JWT","cty":"JWT"}`), payload: valid, latch: true, jose: true},
		// Latch refuses "iss", "sub" and "aud" in the header even when
		// they match the payload.
		{name: "header sub same", gen: V4, shape: header(`{"alg":"dir","enc":"A256GCM","sub":"1"}`), payload: valid, jose: true},

		// Where Latch is stricter than jose (see claims.Check): a token
		// that never expires.
		{name: "no exp", gen: V4, shape: v4, payload: `{"sub":"1"}`, jose: true},
		{name: "no exp, v5", gen: V5, shape: v5Shape, payload: `{"sub":"1"}`, jose: true},
		{name: "empty object", gen: V4, shape: v4, payload: `{}`, jose: true},
		{name: "exp +infinity", gen: V4, shape: v4, payload: `{"exp":1e400}`, jose: true},
		{name: "nbf -infinity", gen: V4, shape: v4, payload: `{"exp":` + n(3600) + `,"nbf":-1e400}`, jose: true},
	}
}

const claimsSecret = "claims-secret"

// token returns tc's token and the codec that should read it.
func (tc claimCase) token(t testing.TB) (*Codec, []byte, string) {
	t.Helper()
	salt := ""
	if tc.gen == V5 {
		salt = "authjs.session-token"
	}
	c, err := New(tc.gen, salt, claimsSecret)
	if err != nil {
		t.Fatal(err)
	}
	shape := tc.shape(c)
	shape.encKey = tc.encKey
	key := c.keys[0].gcm
	if shape.cbc {
		key = c.keys[0].cbc
	}
	return c, key, shape.seal(t, key, tc.payload)
}

func TestDecodeClaims(t *testing.T) {
	for _, tc := range claimCases() {
		t.Run(tc.name, func(t *testing.T) {
			c, _, tok := tc.token(t)
			claims, err := c.Decode(tok, time.Unix(claimsNow, 0))
			if (err == nil) != tc.latch {
				t.Fatalf("Decode: %v, %v; want accepted = %v", claims, err, tc.latch)
			}
			if err != nil && !errors.Is(err, ErrInvalidToken) {
				t.Errorf("Decode: error %v does not wrap ErrInvalidToken", err)
			}
			_, perr := c.DecodePayload(tok, time.Unix(claimsNow, 0))
			if (perr == nil) != (err == nil) {
				t.Errorf("DecodePayload: %v; Decode: %v", perr, err)
			}
			// Open refuses what is wrong outside the payload.
			openOK := tc.encKey == "" && !strings.Contains(tc.shape(c).header, `"iss"`) &&
				!strings.Contains(tc.shape(c).header, `"sub"`) && !strings.Contains(tc.shape(c).header, `"aud"`)
			if _, err := c.Open(tok); (err == nil) != openOK {
				t.Errorf("Open: %v; want accepted = %v", err, openOK)
			}
		})
	}
}

// TestDecodeClaimsAgreesWithNextAuth checks each case against jose's
// jwtDecrypt as next-auth 4 calls it, and compares the payloads of the
// tokens both accept.
func TestDecodeClaimsAgreesWithNextAuth(t *testing.T) {
	node := compat.Node(t)
	cases := claimCases()
	var reqs []any
	for _, tc := range cases {
		_, key, tok := tc.token(t)
		req := map[string]any{"op": "jwtDecrypt", "secret": claimsSecret, "jwt": tok, "now": claimsNow}
		if tc.gen == V5 {
			req["keyHex"] = hex.EncodeToString(key)
		}
		reqs = append(reqs, req)
	}
	var out struct {
		Responses []struct {
			Payload json.RawMessage
			Error   string
		}
	}
	node.Call(t, map[string]any{"op": "batch", "requests": reqs}, &out)
	if len(out.Responses) != len(cases) {
		t.Fatalf("node answered %d responses; want %d", len(out.Responses), len(cases))
	}
	for i, tc := range cases {
		r := out.Responses[i]
		accepted := r.Error == ""
		if accepted != tc.jose {
			t.Errorf("%s: jose accepted = %v (%s); the case says %v", tc.name, accepted, r.Error, tc.jose)
			continue
		}
		if !accepted || !tc.latch {
			continue
		}
		c, _, tok := tc.token(t)
		claims, err := c.Decode(tok, time.Unix(claimsNow, 0))
		if err != nil {
			t.Errorf("%s: Decode: %v", tc.name, err)
			continue
		}
		var ours, theirs any
		b, _ := json.Marshal(claims)
		json.Unmarshal(b, &ours)
		json.Unmarshal(r.Payload, &theirs)
		if !reflect.DeepEqual(ours, theirs) {
			t.Errorf("%s: payload %s; jose read %s", tc.name, b, r.Payload)
		}
	}
	// The op is next-auth's decode with a fixed clock: for tokens whose
	// verdict does not depend on the clock, the real decode agrees.
	var real struct {
		Responses []struct{ Error string }
	}
	var idx []int
	reqs = reqs[:0]
	for i, tc := range cases {
		if tc.gen == V4 && !strings.Contains(tc.payload, "1799") && !strings.Contains(tc.payload, "1800") {
			_, _, tok := tc.token(t)
			reqs = append(reqs, map[string]any{"op": "decode", "secret": claimsSecret, "jwt": tok})
			idx = append(idx, i)
		}
	}
	node.Call(t, map[string]any{"op": "batch", "requests": reqs}, &real)
	for j, i := range idx {
		if got := real.Responses[j].Error == ""; got != (out.Responses[i].Error == "") {
			t.Errorf("%s: next-auth decode accepted = %v (%s); jwtDecrypt op: %q", cases[i].name, got, real.Responses[j].Error, out.Responses[i].Error)
		}
	}
}
