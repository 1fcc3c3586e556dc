package redirect

import "testing"

// Paths that a browser resolves to "//host" are refused.
func TestProtocolRelativePaths(t *testing.T) {
	o := "http://localhost:3000"
	for _, in := range []string{o + "//evil.example/x", "/.//evil.example", "/a/..//evil.example", "/a/%2e%2e//evil.example", "/%2E//evil.example", o + "/.//evil.example", "//evil.example", "/%2F%2Fevil.com"} {
		if got, ok := SameOrigin(in, o); ok {
			t.Errorf("SameOrigin(%q) = %q; want refused", in, got)
		}
	}
	for _, in := range []string{"/", "/a/b", o, o + "/x?y=1#z", "/a/../b", "/a%2F%2Fb"} {
		if _, ok := SameOrigin(in, o); !ok {
			t.Errorf("SameOrigin(%q) refused", in)
		}
	}
}
