package jwt

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The direct v4 path and go-jose must read each other's tokens.
func TestFastPathAgreesWithJose(t *testing.T) {
	c, _ := New(V4, "", "test-secret")
	key := c.keys[0].gcm
	plain := []byte(`{"sub":"1","name":"Ann"}`)

	ours := c.sealV4(plain)
	obj, err := jose.ParseEncryptedCompact(ours, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	got, err := obj.Decrypt(key)
	if err != nil || string(got) != string(plain) {
		t.Fatalf("go-jose read %q, %v; want %s", got, err, plain)
	}

	enc, _ := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key}, nil)
	o, _ := enc.Encrypt(plain)
	theirs, _ := o.CompactSerialize()
	got, err = c.openV4(theirs)
	if err != nil || string(got) != string(plain) {
		t.Fatalf("direct path read %q, %v; want %s", got, err, plain)
	}
}

// TestFastPathAgreesOnCraftedTokens: on every claim case the direct path
// either declines (a token in another shape) or reads what the general
// path reads; the tokens with an encrypted key are for neither.
func TestFastPathAgreesOnCraftedTokens(t *testing.T) {
	for _, tc := range claimCases() {
		c, _, tok := tc.token(t)
		fast, ferr := c.openV4(tok)
		slow, serr := c.decryptGeneral(tok)
		if tc.encKey != "" && (ferr == nil || serr == nil) {
			t.Errorf("%s: direct path %v, general path %v; want both to refuse", tc.name, ferr, serr)
		}
		if ferr == errNotFast {
			if tc.gen == V4 && tc.encKey == "" && tc.shape(c).header == shapeV4.header {
				t.Errorf("%s: the direct path declined a token in its own shape", tc.name)
			}
			continue
		}
		if (ferr == nil) != (serr == nil) || string(fast) != string(slow) {
			t.Errorf("%s: direct: %q, %v; general: %q, %v", tc.name, fast, ferr, slow, serr)
		}
	}
}

// FuzzOpenV4 feeds mutated tokens to the direct path and the general one
// (go-jose); they must agree on acceptance and plaintext.
func FuzzOpenV4(f *testing.F) {
	c, _ := New(V4, "", "test-secret")
	f.Add(nextAuthVector)
	f.Add(c.sealV4([]byte(`{}`)))
	addClaimSeeds(f, V4)
	f.Fuzz(func(t *testing.T, tok string) {
		fast, ferr := c.openV4(tok)
		if ferr == errNotFast {
			return
		}
		slow, err := c.decryptGeneral(tok)
		if (ferr == nil) != (err == nil) || string(fast) != string(slow) {
			t.Fatalf("direct: %q, %v; general: %q, %v", fast, ferr, slow, err)
		}
	})
}

// addClaimSeeds adds the claim cases of gen as seeds, encrypted with
// "test-secret" and the salt the fuzz targets use.
func addClaimSeeds(f *testing.F, gen Generation) {
	c, err := New(gen, "", "test-secret")
	if err != nil {
		f.Fatal(err)
	}
	for _, tc := range claimCases() {
		if tc.gen != gen {
			continue
		}
		shape := tc.shape(c)
		shape.encKey = tc.encKey
		key := c.keys[0].gcm
		if shape.cbc {
			key = c.keys[0].cbc
		}
		f.Add(shape.seal(f, key, tc.payload))
	}
}

func TestDecodePayloadRejectsBadExp(t *testing.T) {
	c, _ := New(V4, "", "s")
	for _, p := range []string{`{"exp":"soon"}`, `[1]`, `{"exp":1}`} {
		if _, err := c.DecodePayload(c.sealV4([]byte(p)), time.Now()); err == nil {
			t.Errorf("payload %s: want error", p)
		}
	}
}

// FuzzDecodeB64 compares decodeB64 with base64.RawURLEncoding, which also
// skips CR and LF: decodeB64 must refuse those, and agree on the rest.
func FuzzDecodeB64(f *testing.F) {
	for _, s := range []string{"", "A", "AA", "AAA", "AAAA", "AAE", "AB", "_-_-", "eyJhbGciOiJkaXIi", "AAECAwQFBgcICQoL", "AA\r\nAA", "AA==", "A.AA", "//++"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, werr := b64.DecodeString(s)
		if werr == nil && strings.ContainsAny(s, "\r\n") {
			werr = errors.New("skips a line break")
		}
		if werr == nil && len(want) != b64.DecodedLen(len(s)) {
			t.Fatalf("DecodedLen(%d) = %d; decoded %d bytes", len(s), b64.DecodedLen(len(s)), len(want))
		}
		got := make([]byte, b64.DecodedLen(len(s)))
		ok := decodeB64(got, s)
		if ok != (werr == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("decodeB64(%q) = %x, %v; base64: %x, %v", s, got, ok, want, werr)
		}
	})
}

// TestDecodeB64AgreesWithBase64 runs FuzzDecodeB64's comparison over every
// string of up to three characters from a small alphabet and random
// longer ones.
func TestDecodeB64AgreesWithBase64(t *testing.T) {
	const chars = "AZaz09-_/+=.\r\n \x00\xff"
	var inputs []string
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		inputs = append(inputs, prefix)
		if n == 0 {
			return
		}
		for i := 0; i < len(chars); i++ {
			gen(prefix+chars[i:i+1], n-1)
		}
	}
	gen("", 3)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			if rng.IntN(50) == 0 {
				b[i] = chars[rng.IntN(len(chars))]
			} else {
				b[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[rng.IntN(64)]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		want, werr := b64.DecodeString(s)
		if werr == nil && strings.ContainsAny(s, "\r\n") {
			werr = errors.New("skips a line break")
		}
		got := make([]byte, b64.DecodedLen(len(s)))
		if ok := decodeB64(got, s); ok != (werr == nil) || ok && !bytes.Equal(got, want) {
			t.Fatalf("decodeB64(%q) = %x, %v; base64: %x, %v", s, got, ok, want, werr)
		}
	}
}

// TestSealV4Allocations: one allocation, the token itself.
func TestSealV4Allocations(t *testing.T) {
	c, _ := New(V4, "", "test-secret")
	plain := []byte(`{"sub":"1","name":"Ann","exp":1}`)
	c.sealV4(plain)
	if n := testing.AllocsPerRun(100, func() { c.sealV4(plain) }); n > 1 {
		t.Errorf("sealV4: %v allocations; want 1", n)
	}
	tok := c.sealV4(plain)
	if n := testing.AllocsPerRun(100, func() { c.openV4(tok) }); n > 1 {
		t.Errorf("openV4: %v allocations; want 1", n)
	}
}

func BenchmarkDecodeB64(b *testing.B) {
	s := strings.Repeat("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0", 10)
	dst := make([]byte, b64.DecodedLen(len(s)))
	b.Run("decodeB64", func(b *testing.B) {
		for b.Loop() {
			decodeB64(dst, s)
		}
	})
	b.Run("base64", func(b *testing.B) {
		src := []byte(s)
		for b.Loop() {
			b64.Decode(dst, src)
		}
	})
}
