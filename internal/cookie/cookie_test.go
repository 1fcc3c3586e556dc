package cookie

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSerialize(t *testing.T) {
	lax := Options{HTTPOnly: true, SameSite: "Lax"}
	secure := Options{Path: "/", HTTPOnly: true, Secure: true, SameSite: "Lax"}
	exp := time.Date(2026, 12, 28, 23, 29, 23, 876e6, time.FixedZone("CET", 3600))
	tests := []struct {
		name    string
		cname   string
		value   string
		maxAge  int
		expires time.Time
		o       Options
		want    string
	}{
		{"csrf", "next-auth.csrf-token", "ab|cd", -1, time.Time{}, lax,
			"next-auth.csrf-token=ab%7Ccd; Path=/; HttpOnly; SameSite=Lax"},
		{"callback-url", "next-auth.callback-url", "http://localhost:3000/dash", -1, time.Time{}, lax,
			"next-auth.callback-url=http%3A%2F%2Flocalhost%3A3000%2Fdash; Path=/; HttpOnly; SameSite=Lax"},
		{"session", "next-auth.session-token", "eyJ..a.b.c", -1, exp, lax,
			"next-auth.session-token=eyJ..a.b.c; Path=/; Expires=Mon, 28 Dec 2026 22:29:23 GMT; HttpOnly; SameSite=Lax"},
		{"state", "next-auth.state", "v", 900, exp, lax,
			"next-auth.state=v; Max-Age=900; Path=/; Expires=Mon, 28 Dec 2026 22:29:23 GMT; HttpOnly; SameSite=Lax"},
		{"deletion", "next-auth.session-token", "", 0, time.Time{}, lax,
			"next-auth.session-token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"},
		{"secure", "__Host-next-auth.csrf-token", "x", -1, time.Time{}, secure,
			"__Host-next-auth.csrf-token=x; Path=/; HttpOnly; Secure; SameSite=Lax"},
		{"domain", "n", "v", 5, exp, Options{Domain: "example.com", Path: "/app", HTTPOnly: true, Secure: true, SameSite: "Strict"},
			"n=v; Max-Age=5; Domain=example.com; Path=/app; Expires=Mon, 28 Dec 2026 22:29:23 GMT; HttpOnly; Secure; SameSite=Strict"},
		{"bare", "n", "v", -1, time.Time{}, Options{}, "n=v; Path=/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Serialize(tt.cname, tt.value, tt.maxAge, tt.expires, tt.o); got != tt.want {
				t.Errorf("Serialize: got %q; want %q", got, tt.want)
			}
		})
	}
}

func TestClear(t *testing.T) {
	got := Clear("__Secure-next-auth.session-token.1", Options{Path: "/", HTTPOnly: true, Secure: true, SameSite: "Lax"})
	want := "__Secure-next-auth.session-token.1=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"
	if got != want {
		t.Errorf("Clear: got %q; want %q", got, want)
	}
	c, err := http.ParseSetCookie(got)
	if err != nil || c.MaxAge >= 0 {
		t.Errorf("Clear: got %+v, %v; want a cookie net/http reads as deleted", c, err)
	}
}

// TestEncode compares with JavaScript's encodeURIComponent.
func TestEncode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019", "abcXYZ019"},
		{"-_.!~*'()", "-_.!~*'()"},
		{"a|b", "a%7Cb"},
		{"http://localhost:3000/x?y=1&z=2#f", "http%3A%2F%2Flocalhost%3A3000%2Fx%3Fy%3D1%26z%3D2%23f"},
		{"a b+c", "a%20b%2Bc"},
		{"é€", "%C3%A9%E2%82%AC"},
		{"\x00\x7f", "%00%7F"},
		{"%", "%25"},
		{`"\;,`, "%22%5C%3B%2C"},
	}
	for _, tt := range tests {
		if got := Encode(tt.in); got != tt.want {
			t.Errorf("Encode(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

// TestDecode follows the npm "cookie" package: decodeURIComponent when the
// value has a '%', the raw value when that fails, '+' kept.
func TestDecode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"a+b", "a+b"},
		{"a%7Cb", "a|b"},
		{"a%2Bb", "a+b"},
		{"%2F%2f", "//"},
		{"%E2%82%AC", "€"},
		{"%zz", "%zz"},
		{"%", "%"},
		{"abc%", "abc%"},
		{"%E0%A4%A", "%E0%A4%A"},
		{"%7C%zz", "%7C%zz"},
	}
	for _, tt := range tests {
		if got := Decode(tt.in); got != tt.want {
			t.Errorf("Decode(%q): got %q; want %q", tt.in, got, tt.want)
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "a|b", "http://x/y?z=%20", "100%", "é", "\x00\xff", strings.Repeat("%7C", 10)} {
		if got := Decode(Encode(s)); got != s {
			t.Errorf("Decode(Encode(%q)): got %q; want it back", s, got)
		}
	}
}

func TestReadGet(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set("Cookie", `b=2; a=x%7Cy; a=second; q="quoted"; bad=%zz`)
	got := Read(r)
	// Read keeps the wire values; Get and Join decode them.
	want := []Pair{{"b", "2"}, {"a", "x%7Cy"}, {"a", "second"}, {"q", "quoted"}, {"bad", "%zz"}}
	if !slices.Equal(got, want) {
		t.Errorf("Read: got %v; want %v", got, want)
	}
	if v, ok := Get(got, "a"); !ok || v != "x|y" {
		t.Errorf("Get(a): got %q, %v; want the first, x|y", v, ok)
	}
	if v, ok := Get(got, "missing"); ok || v != "" {
		t.Errorf("Get(missing): got %q, %v; want \"\", false", v, ok)
	}
}

func TestSplit(t *testing.T) {
	const name = "next-auth.session-token"
	tests := []struct {
		n    int
		want []int // chunk lengths; nil means one unnumbered cookie
	}{
		{0, nil},
		{1, nil},
		{ChunkSize, nil},
		{ChunkSize + 1, []int{ChunkSize, 1}},
		{2 * ChunkSize, []int{ChunkSize, ChunkSize}},
		{2*ChunkSize + 7, []int{ChunkSize, ChunkSize, 7}},
	}
	if ChunkSize != 3933 {
		t.Fatalf("ChunkSize: got %d; want 3933 (4096 - 163)", ChunkSize)
	}
	for _, tt := range tests {
		t.Run(strconv.Itoa(tt.n), func(t *testing.T) {
			v := strings.Repeat("v", tt.n)
			got := Split(name, v)
			if tt.want == nil {
				if len(got) != 1 || got[0].Name != name || got[0].Value != v {
					t.Fatalf("Split(%d bytes): got %d cookies (%q...); want one called %s", tt.n, len(got), got[0].Name, name)
				}
				return
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Split(%d bytes): got %d chunks; want %d", tt.n, len(got), len(tt.want))
			}
			for i, c := range got {
				if wantName := name + "." + strconv.Itoa(i); c.Name != wantName || len(c.Value) != tt.want[i] {
					t.Errorf("chunk %d: got %s with %d bytes; want %s with %d", i, c.Name, len(c.Value), wantName, tt.want[i])
				}
			}
		})
	}
}

func TestJoin(t *testing.T) {
	const name = "s"
	tests := []struct {
		name      string
		cookies   []Pair
		want      string
		wantNames []string
	}{
		{"none", nil, "", nil},
		{"unrelated", []Pair{{"x", "1"}, {"sx", "2"}, {"s.", "3"}}, "", nil},
		{"plain", []Pair{{"s", "abc"}}, "abc", []string{"s"}},
		{"plain twice", []Pair{{"s", "first"}, {"s", "second"}}, "first", []string{"s"}},
		{"chunks", []Pair{{"s.0", "ab"}, {"s.1", "cd"}}, "abcd", []string{"s.0", "s.1"}},
		{"chunks reversed", []Pair{{"s.2", "e"}, {"s.1", "cd"}, {"s.0", "ab"}}, "abcde", []string{"s.2", "s.1", "s.0"}},
		{"chunks win over plain", []Pair{{"s", "old"}, {"s.0", "ab"}, {"s.1", "cd"}}, "abcd", []string{"s", "s.0", "s.1"}},
		{"gap", []Pair{{"s.0", "ab"}, {"s.2", "cd"}}, "", []string{"s.0", "s.2"}},
		{"no zero", []Pair{{"s.1", "ab"}}, "", []string{"s.1"}},
		{"duplicate chunk", []Pair{{"s.0", "ab"}, {"s.0", "zz"}, {"s.1", "cd"}}, "abcd", []string{"s.0", "s.1"}},
		{"odd suffixes", []Pair{{"s.01", "x"}, {"s.+1", "x"}, {"s.-1", "x"}, {"s.1x", "x"}, {"s.", "x"}, {"s.0.1", "x"}, {"s", "plain"}}, "plain", []string{"s"}},
		{"huge index", []Pair{{"s.0", "a"}, {"s.99999999999999999999999", "x"}}, "a", []string{"s.0"}},
		{"max chunks", pairs(name, MaxChunks), strings.Repeat("v", MaxChunks), names(name, MaxChunks)},
		{"too many chunks", pairs(name, MaxChunks+1), "", names(name, MaxChunks+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, gotNames := Join(name, tt.cookies)
			if got != tt.want {
				t.Errorf("Join value: got %q; want %q", got, tt.want)
			}
			if !slices.Equal(gotNames, tt.wantNames) {
				t.Errorf("Join names: got %q; want %q", gotNames, tt.wantNames)
			}
		})
	}
}

func pairs(name string, n int) []Pair {
	out := make([]Pair, n)
	for i := range out {
		out[i] = Pair{name + "." + strconv.Itoa(i), "v"}
	}
	return out
}

func names(name string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = name + "." + strconv.Itoa(i)
	}
	return out
}

func TestSplitJoinRoundTrip(t *testing.T) {
	const name = "__Secure-next-auth.session-token"
	for _, n := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, MaxChunks * ChunkSize} {
		v := strings.Repeat("x", n)
		got, _ := Join(name, Split(name, v))
		if got != v {
			t.Errorf("Join(Split(%d bytes)): got %d bytes; want the value back", n, len(got))
		}
	}
}

// TestJoinScalesLinearly: a request can carry up to 3000 cookies named like
// chunks (net/http's default limit on the number of cookies, about 100 KB of
// header); reading them must cost about the same per cookie whatever their
// number.
func TestJoinScalesLinearly(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test")
	}
	cost := func(n int) float64 {
		cs := pairs("next-auth.session-token", n)
		best := 0.0
		for range 3 {
			ops, start := 0, time.Now()
			for ops == 0 || time.Since(start) < 30*time.Millisecond {
				Join("next-auth.session-token", cs)
				ops++
			}
			ns := float64(time.Since(start).Nanoseconds()) / float64(ops) / float64(n)
			if best == 0 || ns < best {
				best = ns
			}
		}
		return best
	}
	small, large := cost(375), cost(3000)
	if ratio := large / small; ratio > 4 {
		t.Errorf("Join cost per cookie: got %.0f ns at 3000 cookies vs %.0f ns at 375 (x%.1f); want about constant (linear total time)", large, small, ratio)
	}
}

// TestAppendHTTPDate compares AppendHTTPDate with time.Time.AppendFormat
// over many instants, in and out of the years it formats by hand.
func TestAppendHTTPDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	times := []time.Time{time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(999, 3, 4, 5, 6, 7, 0, time.FixedZone("X", -7200))}
	for range 100000 {
		times = append(times, time.Unix(rng.Int64N(400_000_000_000)-100_000_000_000, rng.Int64N(1e9)).In(time.FixedZone("Z", rng.IntN(50000)-25000)))
	}
	for _, tm := range times {
		want := tm.UTC().AppendFormat([]byte("x"), http.TimeFormat)
		if got := AppendHTTPDate([]byte("x"), tm); string(got) != string(want) {
			t.Fatalf("AppendHTTPDate(%v) = %q; want %q", tm, got, want)
		}
	}
}

// TestSerializeAllocations: one allocation, the header value, whose
// length SerializedLen bounds.
func TestSerializeAllocations(t *testing.T) {
	o := Options{Path: "/", Domain: "example.com", HTTPOnly: true, Secure: true, SameSite: "Lax"}
	exp := time.Date(2026, 12, 28, 23, 29, 23, 0, time.UTC)
	for _, v := range []string{"", "plain", "a|b c%", strings.Repeat("é", 100)} {
		for _, maxAge := range []int{-1, 0, 1 << 40} {
			for _, e := range []time.Time{{}, exp, time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC)} {
				got := Serialize("n", v, maxAge, e, o)
				if n := SerializedLen("n", v, maxAge, e, o); len(got) > n {
					t.Errorf("SerializedLen = %d for %q", n, got)
				}
				if n := testing.AllocsPerRun(10, func() { Serialize("n", v, maxAge, e, o) }); n != 1 {
					t.Errorf("Serialize(%q): %v allocations; want 1", v, n)
				}
			}
		}
	}
}

// TestValidName compares validName with the RFC 7230 token rule spelled
// out.
func TestValidName(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c > ' ' && c < 0x7f && !strings.ContainsRune("()<>@,;:\\\"/[]?={}", rune(c))
		if got := validName(string([]byte{'a', byte(c)})); got != want {
			t.Errorf("validName(a%q) = %v; want %v", rune(c), got, want)
		}
	}
	if validName("") {
		t.Error(`validName("")`)
	}
}

// TestValue compares Value with Join over Read on cookie headers built
// from pieces that exercise chunks, duplicates, quotes and invalid names.
func TestValue(t *testing.T) {
	pieces := []string{"s=a", "s=b", `s="q"`, "s=%41", "s.0=x", "s.1=y", "s.01=z", "s.=w", "t=1", "s x=2", "st=3", "s.a=4", "", " s=c ", "=v", "s",
		"\ts=tab", "\vs=vt", "\u00a0s=nbsp", "s=a\u00a0", "s\u00a0=x", "s =y", "s.0 =z"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 20000 {
		var parts []string
		for range rng.IntN(6) {
			parts = append(parts, pieces[rng.IntN(len(pieces))])
		}
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Cookie", strings.Join(parts, "; "))
		if rng.IntN(4) == 0 {
			r.Header.Add("Cookie", pieces[rng.IntN(len(pieces))])
		}
		want, _ := Join("s", Read(r))
		if got := Value(r, "s"); got != want {
			t.Fatalf("Value(%q) = %q; Join says %q", r.Header["Cookie"], got, want)
		}
	}
}
