package csrf

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
)

// Vector observed on next-auth 4.24.15 with the secret "test-secret".
const (
	vectorSecret = "test-secret"
	vectorToken  = "cd24d2a3467882d042613ba4a0137f6012f3f168f1cc0a4a312bfba828760f15"
	vectorHash   = "4ac7a44b2e175e339b6b6db7f17ea32f416573626f613be144fe7a4e5df2ba7f"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestHashVector(t *testing.T) {
	if got := Hash(vectorToken, vectorSecret); got != vectorHash {
		t.Errorf("Hash: got %s; want %s", got, vectorHash)
	}
	sum := sha256.Sum256([]byte("tok" + "sec"))
	if got, want := Hash("tok", "sec"), hex.EncodeToString(sum[:]); got != want {
		t.Errorf("Hash(tok, sec): got %s; want sha256 hex of the concatenation %s", got, want)
	}
}

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		token, value := New("a-secret")
		if !hex64.MatchString(token) {
			t.Fatalf("New: token %q; want 64 lower-case hex", token)
		}
		if want := token + "|" + Hash(token, "a-secret"); value != want {
			t.Fatalf("New: cookie value %q; want %q", value, want)
		}
		if seen[token] {
			t.Fatalf("New: token %s repeated", token)
		}
		seen[token] = true
		if got, ok := Verify(value, []string{"a-secret"}); !ok || got != token {
			t.Fatalf("Verify(New()): got %q, %v; want %q, true", got, ok, token)
		}
	}
}

func TestVerify(t *testing.T) {
	vector := vectorToken + "|" + vectorHash
	tests := []struct {
		name    string
		value   string
		secrets []string
		want    bool
	}{
		{"vector", vector, []string{vectorSecret}, true},
		{"vector second secret", vector, []string{"new-secret-0123456789abcdef0123456789", vectorSecret}, true},
		{"wrong secret", vector, []string{"other"}, false},
		{"no secrets", vector, nil, false},
		{"empty", "", []string{vectorSecret}, false},
		{"no separator", vectorToken + vectorHash, []string{vectorSecret}, false},
		// The cookie's own form: its "|" percent-encoded.
		{"encoded separator", vectorToken + "%7C" + vectorHash, []string{vectorSecret}, true},
		{"encoded separator, lower case", vectorToken + "%7c" + vectorHash, []string{vectorSecret}, true},
		{"other encoding", vectorToken + "%7D" + vectorHash, []string{vectorSecret}, false},
		{"encoded hash", vectorToken + "%7C%61" + vectorHash[1:], []string{vectorSecret}, false},
		{"tampered token", "0" + vectorToken[1:] + "|" + vectorHash, []string{vectorSecret}, false},
		{"tampered hash", vectorToken + "|" + "0" + vectorHash[1:], []string{vectorSecret}, false},
		{"upper-case hash", vectorToken + "|" + strings.ToUpper(vectorHash), []string{vectorSecret}, false},
		{"trailing data", vector + "|x", []string{vectorSecret}, false},
		{"trailing space", vector + " ", []string{vectorSecret}, false},
		{"short token", vectorToken[:63] + "|" + Hash(vectorToken[:63], vectorSecret), []string{vectorSecret}, false},
		{"long token", vectorToken + "0|" + Hash(vectorToken+"0", vectorSecret), []string{vectorSecret}, false},
		{"huge", strings.Repeat("a", 64) + "|" + strings.Repeat("b", 1<<16), []string{vectorSecret}, false},
		{"empty secret signs", vectorToken + "|" + Hash(vectorToken, ""), []string{vectorSecret}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token, ok := Verify(tt.value, tt.secrets)
			if ok != tt.want {
				t.Fatalf("Verify: got ok=%v; want %v", ok, tt.want)
			}
			if ok && token != vectorToken {
				t.Errorf("Verify: got token %q; want %q", token, vectorToken)
			}
			if !ok && token != "" {
				t.Errorf("Verify: got token %q with ok=false; want \"\"", token)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	tests := []struct {
		cookie, submitted string
		want              bool
	}{
		{vectorToken, vectorToken, true},
		{vectorToken, strings.ToUpper(vectorToken), false},
		{vectorToken, vectorToken[:63], false},
		{vectorToken, vectorToken + " ", false},
		{vectorToken, "", false},
		{"", "", false},
		{"", vectorToken, false},
	}
	for _, tt := range tests {
		if got := Match(tt.cookie, tt.submitted); got != tt.want {
			t.Errorf("Match(%.8q…, %.8q…): got %v; want %v", tt.cookie, tt.submitted, got, tt.want)
		}
	}
}

// FuzzVerify: Verify never panics, and accepts only a 64-character token
// whose hash one of the secrets produced.
func FuzzVerify(f *testing.F) {
	f.Add(vectorToken+"|"+vectorHash, vectorSecret)
	f.Add("|", "")
	f.Add(strings.Repeat("a", 64)+"|"+strings.Repeat("b", 64), "s")
	f.Fuzz(func(t *testing.T, value, secret string) {
		token, ok := Verify(value, []string{secret, "fixed-second-secret"})
		if !ok {
			return
		}
		if len(token) != 64 || value != token+"|"+Hash(token, secret) && value != token+"|"+Hash(token, "fixed-second-secret") {
			t.Fatalf("Verify(%q) accepted token %q; want only signed 64-character tokens", value, token)
		}
	})
}
