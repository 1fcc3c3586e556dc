package clientjs_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/internal/clientjs"
)

const maxGzipBytes = 4 << 10

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// serveHandlers are the two ways the module is served: the package's own
// handler and Latch's auth handler at <base>/client.js.
func serveHandlers(t *testing.T) map[string]struct {
	h    http.Handler
	path string
} {
	t.Helper()
	auth, err := latch.New(latch.Config{
		URL:            "http://127.0.0.1:9/api/auth",
		Secrets:        []string{testSecret},
		Providers:      []latch.Provider{&latch.Credentials{Authorize: func(context.Context, map[string]string, *http.Request) (*latch.User, error) { return nil, nil }}},
		TrustedOrigins: []string{"http://127.0.0.1:8"},
		Logger:         quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		h    http.Handler
		path string
	}{
		"Serve": {http.HandlerFunc(clientjs.Serve), "/client.js"},
		"latch": {auth, "/api/auth/client.js"},
	}
}

func TestServe(t *testing.T) {
	etag := `"` + clientjs.Version() + `"`
	for name, s := range serveHandlers(t) {
		t.Run(name, func(t *testing.T) {
			w := get(t, s.h, s.path)
			if w.Code != http.StatusOK {
				t.Fatalf("GET %s: %d %s", s.path, w.Code, w.Body)
			}
			h := w.Header()
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
				t.Errorf("Content-Type %q, want text/javascript", ct)
			}
			if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("X-Content-Type-Options %q, want nosniff", got)
			}
			if got := h.Get("ETag"); got != etag {
				t.Errorf("ETag %q, want %q", got, etag)
			}
			if cc := h.Get("Cache-Control"); strings.Contains(cc, "immutable") || !strings.Contains(cc, "no-cache") {
				t.Errorf("Cache-Control without ?v= is %q, want a revalidating no-cache", cc)
			}
			if h.Get("Set-Cookie") != "" {
				t.Errorf("the module sets cookies: %q", h.Values("Set-Cookie"))
			}
			if !bytes.Equal(w.Body.Bytes(), clientjs.Source()) {
				t.Errorf("body is not Source() (%d vs %d bytes)", w.Body.Len(), len(clientjs.Source()))
			}

			// The versioned URL, written as a template would write it.
			// (Version is standard base64: a "+" in it would read back as a
			// space from an unescaped query and this would fail.)
			w = get(t, s.h, s.path+"?v="+clientjs.Version())
			if cc := w.Header().Get("Cache-Control"); w.Code != http.StatusOK || !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
				t.Errorf("GET ?v=%s: %d, Cache-Control %q; want 200, a year, immutable", clientjs.Version(), w.Code, cc)
			}
			w = get(t, s.h, s.path+"?v=0000000000000000")
			if cc := w.Header().Get("Cache-Control"); strings.Contains(cc, "immutable") {
				t.Errorf("GET with a stale ?v=: Cache-Control %q, want no immutable caching", cc)
			}

			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag} {
				w = get(t, s.h, s.path, "If-None-Match", inm)
				if w.Code != http.StatusNotModified || w.Body.Len() != 0 {
					t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and no body", inm, w.Code, w.Body.Len())
				}
				if w.Header().Get("ETag") != etag {
					t.Errorf("304 without the ETag")
				}
			}
			w = get(t, s.h, s.path, "If-None-Match", `"stale"`)
			if w.Code != http.StatusOK || !bytes.Equal(w.Body.Bytes(), clientjs.Source()) {
				t.Errorf("If-None-Match of another version: %d, want 200 and the module", w.Code)
			}
		})
	}
}

func TestServeCORS(t *testing.T) {
	h := serveHandlers(t)["latch"]
	w := get(t, h.h, h.path, "Origin", "http://127.0.0.1:8")
	if got := w.Header().Get("Access-Control-Allow-Origin"); w.Code != http.StatusOK || got != "http://127.0.0.1:8" {
		t.Errorf("trusted origin: %d, Access-Control-Allow-Origin %q; a module import from another origin needs it", w.Code, got)
	}
	w = get(t, h.h, h.path, "Origin", "http://evil.example")
	if got := w.Header().Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("untrusted origin got Access-Control-Allow-Origin %q", got)
	}
}

func TestIntegrity(t *testing.T) {
	sum := sha256.Sum256(clientjs.Source())
	want := "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	if clientjs.Integrity != want {
		t.Errorf("Integrity = %q, want %q", clientjs.Integrity, want)
	}
	h := serveHandlers(t)["latch"]
	body := get(t, h.h, h.path+"?v="+clientjs.Version()).Body.Bytes()
	if sum := sha256.Sum256(body); "sha256-"+base64.StdEncoding.EncodeToString(sum[:]) != clientjs.Integrity {
		t.Errorf("the served body does not match Integrity")
	}
}

// TestSize keeps the module small: it is fetched by every page that uses it.
func TestSize(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(clientjs.Source())
	zw.Close()
	var def bytes.Buffer
	zd := gzip.NewWriter(&def)
	zd.Write(clientjs.Source())
	zd.Close()
	t.Logf("client.js: %d bytes, %d gzipped (best), %d gzipped (default level)", len(clientjs.Source()), buf.Len(), def.Len())
	if n := max(buf.Len(), def.Len()); n >= maxGzipBytes {
		t.Errorf("client.js is %d bytes gzipped, want under %d", n, maxGzipBytes)
	}
	if r, err := gzip.NewReader(&buf); err != nil {
		t.Fatal(err)
	} else if b, _ := io.ReadAll(r); !bytes.Equal(b, clientjs.Source()) {
		t.Fatal("gzip round trip")
	}
}

// TestSourceShape checks what the module promises without a browser: an
// ES module exporting useSession, with no imports of its own.
func TestSourceShape(t *testing.T) {
	src := string(clientjs.Source())
	if !strings.Contains(src, "export const useSession") && !strings.Contains(src, "export function useSession") {
		t.Error("client.js does not export useSession")
	}
	if m := regexp.MustCompile(`(?m)^\s*import\b.*|\bimport\s*\(`).FindString(src); m != "" {
		t.Errorf("client.js has a dependency: %s", m)
	}
}
