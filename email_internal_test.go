package latch

import (
	"strings"
	"testing"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	var counts [len(codeAlphabet)]int
	for range 2000 {
		c := newCode()
		got, ok := parseCode(formatCode(c))
		if len(c) != codeLen || !ok || got != c {
			t.Fatalf("newCode() = %q; parses as %q, %v; want 8 characters of the alphabet that parse back", c, got, ok)
		}
		seen[c] = true
		for i := range len(c) {
			counts[strings.IndexByte(codeAlphabet, c[i])]++
		}
	}
	if len(seen) < 1999 {
		t.Errorf("2000 codes, %d different; want them random", len(seen))
	}
	// 16000 characters, 500 of each expected: every one must turn up.
	for i, n := range counts {
		if n < 350 || n > 650 {
			t.Errorf("character %c: %d times in 16000; want about 500", codeAlphabet[i], n)
		}
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"7KQ4-M2XD", "7KQ4M2XD", true},
		{"7kq4m2xd", "7KQ4M2XD", true},
		{" 7kq4 - m2xd\t", "7KQ4M2XD", true},
		{"OIL0-1234", "01101234", true},
		{"oil0-1234", "01101234", true},
		{"7KQ4-M2XU", "", false}, // U is not in the alphabet
		{"7KQ4-M2X", "", false},
		{"7KQ4-M2XDA", "", false},
		{"7KQ4_M2XD", "", false},
		{"７KQ4-M2XD", "", false}, // fullwidth digit
		{"", "", false},
		{strings.Repeat("-", 65) + "7KQ4M2XD", "", false},
	}
	for _, tt := range tests {
		got, ok := parseCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// The stored forms of a code and of its link: keyed with the secret, bound
// to the address, and different from each other.
func TestCodeHash(t *testing.T) {
	const secret, other = "s1-0123456789abcdefghijklmnopqrstuvwxyz", "s2-0123456789abcdefghijklmnopqrstuvwxyz"
	h := codeHash(secret, "ann@example.com", "7KQ4M2XD")
	if !strings.HasPrefix(h, "code:") || len(h) != len("code:")+64 || strings.Contains(h, "7KQ4M2XD") {
		t.Errorf("codeHash = %q; want code: and 64 hex digits", h)
	}
	for _, d := range []string{
		codeHash(other, "ann@example.com", "7KQ4M2XD"),
		codeHash(secret, "bob@example.com", "7KQ4M2XD"),
		codeHash(secret, "ann@example.com", "7KQ4M2XE"),
		codePrefix + codeLinkToken(secret, "ann@example.com", "7KQ4M2XD"),
	} {
		if d == h {
			t.Errorf("codeHash %q repeats for another secret, address, code or purpose", d)
		}
	}
	// Address and code cannot run into each other.
	if codeHash(secret, "a@x.co", "1"+"7KQ4M2X") == codeHash(secret, "a@x.co1", "7KQ4M2X") {
		t.Error("codeHash: address and code not separated")
	}
	if tok := codeLinkToken(secret, "ann@example.com", "7KQ4M2XD"); len(tok) != 64 || strings.Trim(tok, "0123456789abcdef") != "" {
		t.Errorf("codeLinkToken = %q; want 64 hex digits, like a random link token", tok)
	}
}

// FuzzParseCode: parseCode never panics, accepts only what reads as
// codeLen characters of the alphabet, and reads its own output back.
func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"7KQ4-M2XD", "7kq4m2xd", " oil0 - 1234 ", "7KQ4-M2XU", "", "----", "７KQ4-M2XD", "\x00\xff", strings.Repeat("A", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := parseCode(s)
		if !ok {
			if c != "" {
				t.Fatalf("parseCode(%q) = %q, false; want no code", s, c)
			}
			return
		}
		if len(c) != codeLen || strings.Trim(c, codeAlphabet) != "" {
			t.Fatalf("parseCode(%q) = %q; want %d characters of the alphabet", s, c, codeLen)
		}
		if again, ok := parseCode(formatCode(c)); !ok || again != c {
			t.Fatalf("parseCode(formatCode(%q)) = %q, %v", c, again, ok)
		}
		if again, ok := parseCode(strings.ToLower(s)); !ok || again != c {
			t.Fatalf("parseCode(lower(%q)) = %q, %v; want %q", s, again, ok, c)
		}
	})
}
