package password

import (
	"context"
	"strings"
	"testing"
	"time"
)

func BenchmarkHash(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	h, err := Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := Verify(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatalf("Verify: got (%v, %v); want (true, nil)", ok, err)
		}
	}
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	h := bcryptHash(b, "correct horse battery staple", 10)
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := Verify(h, "correct horse battery staple"); !ok || err != nil {
			b.Fatalf("Verify: got (%v, %v); want (true, nil)", ok, err)
		}
	}
}

// noLimit is a Limiter that never refuses, so benchmarks can fail forever.
type noLimit struct{}

func (noLimit) Hit(context.Context, string) (time.Duration, bool, error) { return 0, true, nil }
func (noLimit) Undo(context.Context, string) error                       { return nil }
func (noLimit) Reset(context.Context, string) error                      { return nil }

// benchmarkAuthorize runs a failing sign-in for email; compare
// BenchmarkAuthorizeUnknownUser with BenchmarkAuthorizeWrongPassword: they
// should cost the same.
func benchmarkAuthorize(b *testing.B, email string) {
	store := newMemStore()
	h, err := Hash("right")
	if err != nil {
		b.Fatal(err)
	}
	store.add("u1", "known@example.com", h)
	p := New(store, Options{Limiter: noLimit{}})
	ctx := context.Background()
	c := creds(email, "wrong")
	r := request("192.0.2.1")
	if _, err := p.Authorize(ctx, c, r); err != nil { // computes the dummy hash
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if u, err := p.Authorize(ctx, c, r); u != nil || err != nil {
			b.Fatalf("Authorize: got (%v, %v); want (nil, nil)", u, err)
		}
	}
}

func BenchmarkAuthorizeUnknownUser(b *testing.B) { benchmarkAuthorize(b, "unknown@example.com") }

func BenchmarkAuthorizeWrongPassword(b *testing.B) { benchmarkAuthorize(b, "known@example.com") }

// BenchmarkAuthorizeMixedStore fails sign-ins against a store that holds
// argon2id hashes and imported bcrypt ones (cost 10): an unknown email,
// a wrong password for each kind of user. All three should cost the same.
func BenchmarkAuthorizeMixedStore(b *testing.B) {
	store := newMemStore()
	h, err := Hash("right")
	if err != nil {
		b.Fatal(err)
	}
	store.add("u1", "argon@example.com", h)
	store.add("u2", "bcrypt@example.com", bcryptHash(b, "right", 10))
	p := New(store, Options{Limiter: noLimit{}})
	ctx := context.Background()
	r := request("192.0.2.1")
	for _, email := range []string{"unknown@example.com", "argon@example.com", "bcrypt@example.com"} {
		if _, err := p.Authorize(ctx, creds(email, "wrong"), r); err != nil { // dummies, store inventory
			b.Fatal(err)
		}
	}
	for _, email := range []string{"unknown@example.com", "argon@example.com", "bcrypt@example.com"} {
		c := creds(email, "wrong")
		b.Run(strings.Split(email, "@")[0], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if u, err := p.Authorize(ctx, c, r); u != nil || err != nil {
					b.Fatalf("Authorize: got (%v, %v); want (nil, nil)", u, err)
				}
			}
		})
	}
}
