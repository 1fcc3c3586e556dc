package guard

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/latchauth/latch"
)

// FuzzPathRules: whatever the request target, a user the rule of
// "/admin/" refuses never gets a path that an app could resolve below
// /admin/: decoding it up to three times, reading backslashes as slashes,
// dropping ";..." parameters and resolving dot segments.
func FuzzPathRules(f *testing.F) {
	for _, s := range []string{"/admin/x", "/x/../admin/", "/%61dmin/", "/admin%2fx", "/%252e%252e/admin/x", `/x\..\admin\`, "/admin;x/y", "/x/..;/admin/", "/./admin/"} {
		f.Add(s)
	}
	allow := PathRules(nil, map[string]Rule{"/admin/": func(*latch.Session) bool { return false }})
	f.Fuzz(func(t *testing.T, uri string) {
		o, err := newOriginal("GET", "https", "app.example.com", uri)
		if err != nil || !allow(&latch.Session{}, o.path) {
			return
		}
		p := o.path
		for range 3 {
			for _, v := range []string{p, strings.ReplaceAll(p, `\`, "/"), dropParams(p)} {
				if c := path.Clean("/" + v); c == "/admin" && strings.HasSuffix(v, "/") || strings.HasPrefix(c, "/admin/") {
					t.Fatalf("%q (path %q) reaches %q", uri, o.path, c)
				}
			}
			d, err := url.PathUnescape(p)
			if err != nil {
				return
			}
			p = d
		}
	})
}

// dropParams removes the ";..." parameters of each segment, as Java
// servers do.
func dropParams(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if j := strings.IndexByte(s, ';'); j >= 0 {
			segs[i] = s[:j]
		}
	}
	return strings.Join(segs, "/")
}
