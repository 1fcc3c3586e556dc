package jwt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"unsafe"
)

// The session endpoint decodes and re-encodes a token on every call, so the
// exact format NextAuth v4 writes — protected header
// {"alg":"dir","enc":"A256GCM"}, no encrypted key, 12-byte IV, 16-byte tag
// (RFC 7516 §5.1 with RFC 7518 §4.5 and §5.3) — is handled here directly
// with crypto/cipher, about ten times faster than the general JWE parser.
// Any other serialisation falls back to go-jose. Tests check that both
// paths agree.

// v4Header is base64url({"alg":"dir","enc":"A256GCM"}); it is also the AAD.
const v4Header = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0"

var b64 = base64.RawURLEncoding

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// v4AAD is v4Header as the AAD argument of the AEAD; never written.
var v4AAD = []byte(v4Header)

// sealScratch holds the IV and the sealed payload of sealV4 between
// encryption and encoding; pooled, it is never part of the result.
var sealScratch = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledScratch bounds the buffers sealScratch keeps.
const maxPooledScratch = 16 << 10

// v4Len is the length of the v4 token of a payload of n bytes.
func v4Len(n int) int {
	return len(v4Header) + 2 + b64.EncodedLen(12) + 1 + b64.EncodedLen(n) + 1 + b64.EncodedLen(16)
}

// sealV4 encrypts plain into a compact JWE with the first key.
func (c *Codec) sealV4(plain []byte) string {
	out := c.appendV4(make([]byte, 0, v4Len(len(plain))), plain)
	// out is not written again: the string shares its bytes, as
	// strings.Builder does.
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// appendV4 appends the compact JWE of plain, encrypted with the first
// key, to dst.
func (c *Codec) appendV4(dst, plain []byte) []byte {
	bp := sealScratch.Get().(*[]byte)
	buf := *bp
	if need := 12 + len(plain) + 16; cap(buf) < need {
		buf = make([]byte, need)
	}
	iv := buf[:12]
	rand.Read(iv)
	sealed := c.keys[0].aead.Seal(buf[12:12], iv, plain, v4AAD)
	ct, tag := sealed[:len(sealed)-16], sealed[len(sealed)-16:]
	dst = append(dst, v4Header...)
	dst = append(dst, '.', '.')
	dst = b64.AppendEncode(dst, iv)
	dst = append(dst, '.')
	dst = b64.AppendEncode(dst, ct)
	dst = append(dst, '.')
	dst = b64.AppendEncode(dst, tag)
	if cap(buf) <= maxPooledScratch {
		*bp = buf
		sealScratch.Put(bp)
	}
	return dst
}

var errNotFast = errors.New("not the v4 serialisation")

// openV4 decrypts a token in exactly the v4 serialisation. It returns
// errNotFast for any other shape, so the caller can try the general parser.
// Every byte of the parts it reads is base64url: when it returns anything
// but errNotFast, the token had only the characters of compactChars.
func (c *Codec) openV4(token string) ([]byte, error) {
	rest, ok := strings.CutPrefix(token, v4Header+"..")
	if !ok {
		return nil, errNotFast
	}
	ivPart, rest, ok1 := strings.Cut(rest, ".")
	ctPart, tagPart, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(ivPart) != 16 || len(tagPart) != 22 {
		return nil, errNotFast
	}
	// Every part must decode to its full length with no byte skipped:
	// base64.Encoding skips CR and LF, which would make other strings of
	// the same token; decodeB64 refuses them.
	n := b64.DecodedLen(len(ctPart))
	buf := make([]byte, 12+n+16)
	iv := buf[:12]
	sealed := buf[12:]
	if !decodeB64(iv, ivPart) || !decodeB64(sealed[:n], ctPart) || !decodeB64(sealed[n:], tagPart) {
		return nil, errNotFast
	}
	for i, k := range c.keys {
		dst := sealed[:0] // decrypt in place
		if i < len(c.keys)-1 {
			dst = nil // a failed Open may have clobbered sealed; keep it for the next key
		}
		if plain, err := k.aead.Open(dst, iv, sealed, v4AAD); err == nil {
			return plain, nil
		}
	}
	return nil, errors.New("no key of the ring decrypts the token")
}

// b64Value maps each base64url character to its value, any other byte
// to 0xff.
var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeB64 decodes the unpadded base64url string s into dst, which must
// be b64.DecodedLen(len(s)) long. It accepts what b64.DecodeString
// accepts (unused trailing bits need not be zero) except that every byte
// must be in the alphabet: no CR or LF is skipped. FuzzDecodeB64 compares
// the two.
func decodeB64(dst []byte, s string) bool {
	if len(s)%4 == 1 || len(dst) != b64.DecodedLen(len(s)) {
		return false
	}
	j := 0
	for len(s) >= 8 && len(dst)-j >= 8 {
		// Eight characters at a time, written as one word.
		_ = s[7]
		n1, n2, n3, n4 := b64Value[s[0]], b64Value[s[1]], b64Value[s[2]], b64Value[s[3]]
		n5, n6, n7, n8 := b64Value[s[4]], b64Value[s[5]], b64Value[s[6]], b64Value[s[7]]
		if (n1|n2|n3|n4|n5|n6|n7|n8)&0xc0 != 0 {
			return false
		}
		v := uint64(n1)<<58 | uint64(n2)<<52 | uint64(n3)<<46 | uint64(n4)<<40 |
			uint64(n5)<<34 | uint64(n6)<<28 | uint64(n7)<<22 | uint64(n8)<<16
		binary.BigEndian.PutUint64(dst[j:], v)
		j += 6
		s = s[8:]
	}
	for len(s) >= 4 {
		a, b, c, d := b64Value[s[0]], b64Value[s[1]], b64Value[s[2]], b64Value[s[3]]
		if (a|b|c|d)&0xc0 != 0 {
			return false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6 | uint32(d)
		dst[j], dst[j+1], dst[j+2] = byte(v>>16), byte(v>>8), byte(v)
		j += 3
		s = s[4:]
	}
	switch len(s) {
	case 2:
		a, b := b64Value[s[0]], b64Value[s[1]]
		if (a|b)&0xc0 != 0 {
			return false
		}
		dst[j] = a<<2 | b>>4
	case 3:
		a, b, c := b64Value[s[0]], b64Value[s[1]], b64Value[s[2]]
		if (a|b|c)&0xc0 != 0 {
			return false
		}
		v := uint32(a)<<18 | uint32(b)<<12 | uint32(c)<<6
		dst[j], dst[j+1] = byte(v>>16), byte(v>>8)
	}
	return true
}
