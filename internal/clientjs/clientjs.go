// Package clientjs holds the browser module Latch serves at
// <base>/client.js: useSession() and friends for pages that use neither
// React nor Nuxt.
package clientjs

import (
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
)

//go:embed client.js
var source []byte

var (
	// Integrity is the module's Subresource Integrity value, for
	// <script type="module" integrity="..."> or an import map.
	Integrity = func() string {
		sum := sha256.Sum256(source)
		return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	}()
	etag = func() string {
		sum := sha256.Sum256(source)
		return `"` + hex.EncodeToString(sum[:8]) + `"`
	}()
)

// Source returns the module's JavaScript.
func Source() []byte { return source }

// Serve answers a GET of the module. A request whose "v" query parameter
// equals the module's version (see [Version]) is cacheable for a year; any
// other is revalidated with its ETag.
func Serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("ETag", etag)
	h.Set("X-Content-Type-Options", "nosniff")
	if r.URL.Query().Get("v") == Version() {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match != "" && (strings.TrimSpace(match) == "*" || strings.Contains(match, etag)) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if r.Method == http.MethodHead {
		return
	}
	w.Write(source)
}

// Version is a short content hash for an immutable URL:
// <base>/client.js?v=<Version()>.
func Version() string { return strings.Trim(etag, `"`) }
