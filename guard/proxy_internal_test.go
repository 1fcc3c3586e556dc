package guard

import (
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a log destination safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIsPublic: public prefixes match whole path segments.
func TestIsPublic(t *testing.T) {
	public := []string{"/assets/", "/favicon.ico", "/hooks/github"}
	tests := []struct {
		path string
		want bool
	}{
		{"/assets/app.css", true},
		{"/assets/", true},
		{"/assets/css/app.css", true},
		{"/favicon.ico", true},
		{"/favicon.ico/", true},
		{"/favicon.ico/x", true}, // below it, after a "/"
		{"/favicon.ico.php", false},
		{"/favicon.icon-admin-panel", false},
		{"/hooks/github", true},
		{"/hooks/github/push", true},
		{"/hooks/githubber", false},
		{"/hooks/github-admin", false},
		{"/hooks", false},
		{"/assetsx/app.css", false},
		{"/assets", false},
		{"/app", false},
		{"/assets/../admin", false},
		{"/assets/./app.css", false},
		{"/assets//app.css", false},
		{`/assets/..\admin`, false},
		{"/ASSETS/app.css", false},
		// Decoded once already: a "%" left is a second encoding.
		{"/assets/%2e%2e/admin", false},
		{"/assets/%2fadmin", false},
		{"/assets/100%", false},
	}
	for _, tt := range tests {
		if got := IsPublic(tt.path, public); got != tt.want {
			t.Errorf("IsPublic(%q) = %v; want %v", tt.path, got, tt.want)
		}
	}
	if IsPublic("/assets/app.css", nil) {
		t.Error("a path is public without public prefixes")
	}
}

// FuzzStripLatchCookies: whatever Cookie headers a client sends, none of
// Latch's cookies reach the app, and the app's own cookies all do.
func FuzzStripLatchCookies(f *testing.F) {
	f.Add("theme=dark; next-auth.session-token=abc; __Secure-next-auth.session-token.0=x", "a=1")
	f.Add("__Host-next-auth.csrf-token=1|2;authjs.session-token=t", "")
	f.Add(";;=;next-auth.;x", "__Secure-authjs.pkce.code_verifier=v")
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		h := http.Header{"Cookie": {line1, line2}}
		stripLatchCookies(h)
		if len(h.Values("Cookie")) > 1 {
			t.Fatalf("%d Cookie headers left; want at most 1", len(h.Values("Cookie")))
		}
		kept := map[string]bool{}
		for pair := range strings.SplitSeq(h.Get("Cookie"), ";") {
			pair = strings.TrimSpace(pair)
			for part := range strings.SplitSeq(pair, ",") {
				if name, _, _ := strings.Cut(part, "="); latchCookie(name) {
					t.Fatalf("Latch cookie %q passed on from %q, %q", name, line1, line2)
				}
			}
			kept[pair] = true
		}
		for _, line := range []string{line1, line2} {
			for pair := range strings.SplitSeq(line, ";") {
				pair = strings.TrimSpace(pair)
				if pair != "" && !latchPair(pair) && !kept[pair] {
					t.Fatalf("the app's cookie %q was dropped from %q, %q", pair, line1, line2)
				}
			}
		}
	})
}

func TestForwarded(t *testing.T) {
	tests := []struct{ ip, host, proto, want string }{
		{"203.0.113.7", "example.com", "https", `for="203.0.113.7";host="example.com";proto=https`},
		{"2001:db8::1", "example.com:8443", "https", `for="[2001:db8::1]";host="example.com:8443";proto=https`},
		{"", `ex"am\ple`, "http", `host="ex\"am\\ple";proto=http`},
	}
	for _, tt := range tests {
		if got := forwarded(tt.ip, tt.host, tt.proto); got != tt.want {
			t.Errorf("forwarded(%q, %q, %q) = %s; want %s", tt.ip, tt.host, tt.proto, got, tt.want)
		}
	}
}

// TestErrorLimiter: within the interval, failures are counted; the next
// ERROR line says how many were not logged.
func TestErrorLimiter(t *testing.T) {
	var logs syncBuffer
	l := &errorLimiter{log: slog.New(slog.NewTextHandler(&logs, nil)), every: time.Hour}
	for range 5 {
		l.failed("upstream: no answer")
	}
	l.last = time.Now().Add(-2 * time.Hour) // the interval has passed
	l.failed("upstream: no answer")
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || strings.Contains(lines[0], "suppressed") || !strings.Contains(lines[1], "suppressed=4") {
		t.Errorf("log: %q; want two lines, the second with suppressed=4", lines)
	}
}
