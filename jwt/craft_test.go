package jwt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"strconv"
	"testing"
)

// crafted describes a compact JWE built by hand, so tests can make tokens
// no encoder writes: a non-empty encrypted key with "dir", headers in
// another order, payloads with duplicate or odd claims.
type crafted struct {
	header string // protected header JSON
	encKey string // the encrypted key segment, as it appears in the token
	cbc    bool   // A256CBC-HS512 with a 64-byte key, else A256GCM
}

// seal encrypts payload under key as c describes, with a fixed IV.
func (c crafted) seal(t testing.TB, key []byte, payload string) string {
	t.Helper()
	h := b64.EncodeToString([]byte(c.header))
	aad := []byte(h)
	var iv, ct, tag []byte
	if c.cbc {
		if len(key) != 64 {
			t.Fatalf("A256CBC-HS512 needs a 64-byte key, got %d", len(key))
		}
		iv = make([]byte, 16)
		block, err := aes.NewCipher(key[32:])
		if err != nil {
			t.Fatal(err)
		}
		pad := 16 - len(payload)%16
		ct = []byte(payload)
		for range pad {
			ct = append(ct, byte(pad))
		}
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, ct)
		mac := hmac.New(sha512.New, key[:32])
		mac.Write(aad)
		mac.Write(iv)
		mac.Write(ct)
		mac.Write(binary.BigEndian.AppendUint64(nil, uint64(len(aad))*8))
		tag = mac.Sum(nil)[:32]
	} else {
		iv = make([]byte, 12)
		aead, err := newGCM(key)
		if err != nil {
			t.Fatal(err)
		}
		sealed := aead.Seal(nil, iv, []byte(payload), aad)
		ct, tag = sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	}
	return h + "." + c.encKey + "." + b64.EncodeToString(iv) + "." + b64.EncodeToString(ct) + "." + b64.EncodeToString(tag)
}

// Token shapes: the exact v4 serialisation (Latch's direct path), the same
// with the header members swapped (go-jose's path), and Auth.js v5's.
var (
	shapeV4       = crafted{header: `{"alg":"dir","enc":"A256GCM"}`}
	shapeV4Other  = crafted{header: `{"enc":"A256GCM","alg":"dir"}`}
	shapeV5CBC    = crafted{cbc: true} // header set by v5Shape
	shapeV5GCM    = crafted{header: `{"alg":"dir","enc":"A256GCM"}`}
	someEncrypted = "AAAAAAAAAAAAAAAAAAAAAA" // 16 bytes: what a key-wrapping alg would put there
)

// v5Shape returns the A256CBC-HS512 header of c's first key, with its kid.
func v5Shape(c *Codec) crafted {
	s := shapeV5CBC
	s.header = `{"alg":"dir","enc":"A256CBC-HS512","kid":` + strconv.Quote(c.keys[0].kid) + `}`
	return s
}
