package compat

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// Vectors observed on a real next-auth 4.24.15 server (secret "test-secret").
const (
	vectorSecret    = "test-secret"
	vectorCSRFToken = "cd24d2a3467882d042613ba4a0137f6012f3f168f1cc0a4a312bfba828760f15"
	vectorCSRFHash  = "4ac7a44b2e175e339b6b6db7f17ea32f416573626f613be144fe7a4e5df2ba7f"
	vectorJWT       = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAECAwQFBgcICQoL.mWGZN0spOpy6aHQxlv4Lh_bkgrx5CjwNyVgx7p5mWyUtj4tZBd1vyTj3W1YJS8itRd0kwtEDZi2gC_TvTqO1oze6bhERbbs8QX-cS3NhwtDDnM3bCcoGNRG_U0Mm3k9i9FG0bxT-o-aW1VqF5sB5IOcbEz4lY8kwfUQzzAgbBSRV6uSdc1yCjO3FFK7fSnowbj0._CGuJRogZjZguH3Nbxhl5w"
)

func TestVersion(t *testing.T) {
	r := Node(t)
	var got struct{ Version string }
	r.Call(t, map[string]string{"op": "version"}, &got)
	if got.Version != NextAuthVersion {
		t.Errorf("version %q; want %q", got.Version, NextAuthVersion)
	}
}

func TestVectors(t *testing.T) {
	r := Node(t)
	var out struct {
		Responses []map[string]any
	}
	r.Call(t, map[string]any{"op": "batch", "requests": []any{
		map[string]any{"op": "decode", "secret": vectorSecret, "jwt": vectorJWT},
		map[string]any{"op": "csrf", "secret": vectorSecret, "cookieValue": vectorCSRFToken + "|" + vectorCSRFHash, "bodyToken": vectorCSRFToken, "isPost": true},
		map[string]any{"op": "csrf", "secret": vectorSecret, "cookieValue": vectorCSRFToken + "|" + vectorCSRFHash, "bodyToken": vectorCSRFToken, "isPost": false},
		map[string]any{"op": "redirect", "baseUrl": "http://localhost:3000", "urls": []string{"/dash", "https://evil.com", "undefined"}},
	}}, &out)
	if len(out.Responses) != 4 {
		t.Fatalf("got %d responses; want 4", len(out.Responses))
	}

	payload, _ := out.Responses[0]["payload"].(map[string]any)
	wantClaims := map[string]string{"name": "J Smith", "email": "j@example.com", "sub": "1", "iat": "1700000000", "exp": "4102444800", "jti": "00000000-0000-4000-8000-000000000000"}
	for k, want := range wantClaims {
		if got := fmt.Sprint(payload[k]); got != want {
			t.Errorf("decode: claim %q = %q; want %q (error %v)", k, got, want, out.Responses[0]["error"])
		}
	}
	if v, ok := payload["picture"]; !ok || v != nil {
		t.Errorf("decode: picture = %#v (present %v); want null", v, ok)
	}

	for i, want := range []bool{true, false} {
		got := out.Responses[1+i]
		if v, _ := got["csrfTokenVerified"].(bool); v != want {
			t.Errorf("csrf (isPost %v): csrfTokenVerified %v; want %v", want, got["csrfTokenVerified"], want)
		}
		if got["csrfToken"] != vectorCSRFToken {
			t.Errorf("csrf: csrfToken %v; want %s", got["csrfToken"], vectorCSRFToken)
		}
		if _, ok := got["cookie"]; ok {
			t.Errorf("csrf: a valid cookie was replaced: %v", got["cookie"])
		}
	}

	results, _ := out.Responses[3]["results"].([]any)
	want := []string{"result=http://localhost:3000/dash", "result=http://localhost:3000", "error=ERR_INVALID_URL: Invalid URL"}
	if len(results) != len(want) {
		t.Fatalf("redirect: %d results; want %d", len(results), len(want))
	}
	for i, r := range results {
		m := r.(map[string]any)
		got := "result=" + fmt.Sprint(m["result"])
		if m["error"] != nil {
			got = "error=" + fmt.Sprint(m["error"])
		}
		if got != want[i] {
			t.Errorf("redirect(%v): %s; want %s", m["url"], got, want[i])
		}
	}
}

func TestCallFailsOnScriptError(t *testing.T) {
	r := Node(t)
	ft := &fakeTB{TB: t}
	ft.run(func() { r.Call(ft, map[string]string{"op": "no-such-op"}, nil) })
	if !ft.failed || !strings.Contains(ft.msg, "unknown op") {
		t.Errorf("Call with an unknown op: failed=%v, message %q; want a failure quoting node's stderr", ft.failed, ft.msg)
	}
}

func TestNodeMissing(t *testing.T) {
	t.Setenv("PATH", "")
	for _, tc := range []struct {
		strict                  string
		wantSkipped, wantFailed bool
	}{
		{"", true, false},
		{"0", true, false},
		{"1", false, true},
	} {
		t.Run("strict="+tc.strict, func(t *testing.T) {
			t.Setenv(StrictEnv, tc.strict)
			ft := &fakeTB{TB: t}
			ft.run(func() { Node(ft) })
			if ft.skipped != tc.wantSkipped || ft.failed != tc.wantFailed {
				t.Errorf("skipped=%v failed=%v; want skipped=%v failed=%v", ft.skipped, ft.failed, tc.wantSkipped, tc.wantFailed)
			}
			if !strings.Contains(ft.msg, "cd internal/compat/node && npm ci") {
				t.Errorf("message %q; want the install instructions", ft.msg)
			}
		})
	}
}

// fakeTB records Skipf and Fatalf instead of ending the test.
type fakeTB struct {
	testing.TB
	mu              sync.Mutex
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Skipf(format string, args ...any) {
	f.mu.Lock()
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

// run calls fn in its own goroutine, so that Skipf and Fatalf can stop it.
func (f *fakeTB) run(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}
