package latch_test

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/latchauth/latch"
)

// FuzzLocalEndpoints sends any body, content type and Authorization
// header to every endpoint of the local provider: never a server error,
// always a JSON answer.
func FuzzLocalEndpoints(f *testing.F) {
	// Quiet: a fuzz worker's log output is not read while it runs.
	h := newLocalHarness(f, latch.LocalConfig{Rotate: true}, func(c *latch.Config) { c.Logger = slog.New(slog.DiscardHandler) })
	token, rt := h.login(f, h.auth)
	endpoints := []string{"/login", "/refresh", "/logout", "/session", "/register", "/jwks"}
	for i := range endpoints {
		ep := uint8(i)
		f.Add(ep, `{"email":"lou@example.com","password":"right"}`, "application/json", "Bearer "+token)
		f.Add(ep, `{"refreshToken":"`+rt+`"}`, "application/json", "null")
		f.Add(ep, `{"refreshToken":5}`, "application/json", "Bearer a.b.c")
		f.Add(ep, ``, ``, ``)
	}
	f.Fuzz(func(t *testing.T, ep uint8, body, ct, authz string) {
		endpoint := endpoints[int(ep)%len(endpoints)]
		for _, m := range []string{"GET", "POST"} {
			r := do(h.auth, m, endpoint, ct, body, "Authorization", authz)
			if r.code >= http.StatusInternalServerError {
				t.Fatalf("%s %s %q (%q, %q): %d %s", m, endpoint, body, ct, authz, r.code, r.body)
			}
		}
	})
}
