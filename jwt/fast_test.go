package jwt

import (
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

// FuzzOpenV4 feeds mutated tokens to the direct path and go-jose; they must
// agree on acceptance and plaintext.
func FuzzOpenV4(f *testing.F) {
	c, _ := New(V4, "", "test-secret")
	f.Add(nextAuthVector)
	f.Add(c.sealV4([]byte(`{}`)))
	f.Fuzz(func(t *testing.T, tok string) {
		fast, ferr := c.openV4(tok)
		if ferr == errNotFast {
			return
		}
		obj, err := jose.ParseEncryptedCompact(tok, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
		var slow []byte
		if err == nil {
			slow, err = obj.Decrypt(c.keys[0].gcm)
		}
		if (ferr == nil) != (err == nil) || string(fast) != string(slow) {
			t.Fatalf("direct: %q, %v; go-jose: %q, %v", fast, ferr, slow, err)
		}
	})
}

func TestDecodePayloadRejectsBadExp(t *testing.T) {
	c, _ := New(V4, "", "s")
	for _, p := range []string{`{"exp":"soon"}`, `[1]`, `{"exp":1}`} {
		if _, err := c.DecodePayload(c.sealV4([]byte(p)), time.Now()); err == nil {
			t.Errorf("payload %s: want error", p)
		}
	}
}
