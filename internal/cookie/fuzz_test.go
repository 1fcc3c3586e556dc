package cookie

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// FuzzJoin checks that Split, the wire encoding of each chunk and Join
// round-trip any value that fits in MaxChunks chunks, and that Join never
// panics on arbitrary cookie lists and returns only values it could have
// reassembled.
func FuzzJoin(f *testing.F) {
	f.Add("eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..iv.ct.tag", uint16(0), "s=1; s.0=a; s.1=b")
	f.Add("x", uint16(5000), "s.1=b; s.0=a")
	f.Add("ab", uint16(ChunkSize), "s.0=a; s.2=c")
	f.Add("", uint16(0), "s=; s.=x; s.01=y; s.-1=z")
	f.Add("%7C", uint16(3), "s.0=%zz; s.1=%7C")
	f.Add("v", uint16(65535), strings.Repeat("s.9=x; ", 20))
	f.Fuzz(func(t *testing.T, unit string, repeat uint16, header string) {
		const name = "s"
		value := strings.Repeat(unit, int(repeat)%(2*MaxChunks*ChunkSize/max(1, len(unit))+2))
		if len(value) > 4*MaxChunks*ChunkSize {
			return
		}
		parts := Split(name, value)
		for i, p := range parts {
			if len(p.Value) > ChunkSize {
				t.Fatalf("Split: chunk %s has %d bytes; want at most %d", p.Name, len(p.Value), ChunkSize)
			}
			if len(parts) > 1 && p.Name != name+"."+strconv.Itoa(i) {
				t.Fatalf("Split: chunk %d is called %q", i, p.Name)
			}
		}
		wire := make([]Pair, len(parts))
		for i, p := range parts {
			wire[i] = Pair{p.Name, Encode(p.Value)}
		}
		got, names := Join(name, wire)
		switch {
		case len(parts) <= MaxChunks && got != value:
			t.Fatalf("Join(Split(%d bytes)) = %d bytes; want the value back", len(value), len(got))
		case len(parts) > MaxChunks && got != "":
			t.Fatalf("Join of %d chunks: got %d bytes; want \"\" (over MaxChunks)", len(parts), len(got))
		}
		if len(parts) <= MaxChunks && len(names) != len(parts) || len(names) > len(parts) {
			t.Fatalf("Join names: got %d for %d chunks; want every chunk (at most MaxChunks+1 for more than MaxChunks)", len(names), len(parts))
		}

		// Arbitrary cookie lists, through the request parser and directly.
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", header)
		for _, cookies := range [][]Pair{Read(r), rawPairs(header)} {
			got, names := Join(name, cookies)
			checkJoin(t, name, cookies, got, names)
		}
	})
}

// rawPairs splits a header on ';' and '=' without net/http's validation.
func rawPairs(header string) []Pair {
	var out []Pair
	for _, part := range strings.Split(header, ";") {
		n, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		out = append(out, Pair{n, v})
	}
	return out
}

func checkJoin(t *testing.T, name string, cookies []Pair, got string, names []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Fatalf("Join names: %q twice in %q", n, names)
		}
		seen[n] = true
		if !slices.ContainsFunc(cookies, func(p Pair) bool { return p.Name == n }) {
			t.Fatalf("Join names: %q is not a cookie of the request", n)
		}
		if n == name {
			continue
		}
		suffix, ok := strings.CutPrefix(n, name+".")
		if k, err := strconv.Atoi(suffix); !ok || err != nil || k < 0 || strconv.Itoa(k) != suffix {
			t.Fatalf("Join names: %q is neither %q nor a numbered chunk", n, name)
		}
	}
	// Every session cookie is listed so it can be cleared, unless the
	// request has more chunks than MaxChunks (then Join may stop early).
	chunkNames := map[string]bool{}
	for _, c := range cookies {
		suffix, ok := strings.CutPrefix(c.Name, name+".")
		if k, err := strconv.Atoi(suffix); ok && err == nil && k >= 0 && strconv.Itoa(k) == suffix {
			chunkNames[c.Name] = true
		}
	}
	for _, c := range cookies {
		if (c.Name == name || chunkNames[c.Name] && len(chunkNames) <= MaxChunks) && !seen[c.Name] {
			t.Fatalf("Join names: %q missing; want every session cookie listed so it can be cleared", c.Name)
		}
	}
	if got == "" {
		return
	}
	// A non-empty value is the first unnumbered cookie, or chunks 0..n-1
	// (first of each name) concatenated.
	first := map[string]string{}
	for _, c := range cookies {
		if _, ok := first[c.Name]; !ok {
			first[c.Name] = Decode(c.Value)
		}
	}
	var b strings.Builder
	n := 0
	for ; ; n++ {
		v, ok := first[name+"."+strconv.Itoa(n)]
		if !ok {
			break
		}
		b.WriteString(v)
	}
	if n == 0 {
		if got != first[name] {
			t.Fatalf("Join: got %q; want the unnumbered cookie %q", got, first[name])
		}
		return
	}
	if got != b.String() || n > MaxChunks {
		t.Fatalf("Join: got %q; want chunks 0..%d concatenated (%q)", got, n-1, b.String())
	}
}

// FuzzDecodesTo: DecodesTo(v, s) is Decode(v) == s.
func FuzzDecodesTo(f *testing.F) {
	for _, seed := range [][2]string{{"http%3A%2F%2Flocalhost%3A3000", "http://localhost:3000"}, {"a%2", "a%2"}, {"%zz", "%zz"}, {"x", "y"}, {"%41", "A"}, {"%41%", "A%"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, v, s string) {
		if got, want := DecodesTo(v, s), Decode(v) == s; got != want {
			t.Fatalf("DecodesTo(%q, %q) = %v; Decode gives %q", v, s, got, Decode(v))
		}
		if !DecodesTo(v, Decode(v)) {
			t.Fatalf("DecodesTo(%q, Decode(v) = %q) = false", v, Decode(v))
		}
	})
}

// FuzzValue: Value(r, name) is the value Join(name, Read(r)) reassembles.
func FuzzValue(f *testing.F) {
	f.Add("s=1; s.0=a; s.1=b", "")
	f.Add(`s="%41"; t=2`, "s=3")
	f.Add("s.x=1; s=2; s=3", "s.0=q")
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Cookie"] = []string{line1}
		if line2 != "" {
			r.Header["Cookie"] = append(r.Header["Cookie"], line2)
		}
		want, _ := Join("s", Read(r))
		if got := Value(r, "s"); got != want {
			t.Fatalf("Value(%q) = %q; Join says %q", r.Header["Cookie"], got, want)
		}
	})
}
