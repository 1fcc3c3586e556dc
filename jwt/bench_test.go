package jwt

import (
	"testing"
	"time"
)

func benchClaims() Claims {
	return Claims{"name": "Jane Smith", "email": "jane@example.com", "picture": "https://example.com/jane.png", "sub": "c9b1f0a2-4e1d-4f5e-9a6b-1f2e3d4c5b6a"}
}

func BenchmarkEncode(b *testing.B) {
	for _, gen := range []Generation{V4, V5} {
		c, _ := New(gen, "authjs.session-token", "a-secret-of-thirty-two-characters!")
		b.Run(gen.String(), func(b *testing.B) {
			now := time.Now()
			claims := benchClaims()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode(claims, now, time.Hour); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, gen := range []Generation{V4, V5} {
		c, _ := New(gen, "authjs.session-token", "a-secret-of-thirty-two-characters!")
		now := time.Now()
		tok, _ := c.Encode(benchClaims(), now, time.Hour)
		b.Run(gen.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Decode(tok, now); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
