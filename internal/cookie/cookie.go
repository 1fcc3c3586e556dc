// Package cookie reads and writes cookies the way NextAuth.js does: values
// escaped like JavaScript's encodeURIComponent, attributes in the order of
// the npm "cookie" package, and session values split into chunks when they
// exceed what a browser keeps in one cookie.
package cookie

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ChunkSize is the longest value written into one cookie: 4096 bytes
// minus NextAuth's estimate of 163 bytes for the name and attributes.
const ChunkSize = 4096 - 163

// MaxChunks bounds how many chunks are reassembled; more means the cookie
// header is hostile or corrupt and the value is ignored.
const MaxChunks = 16

// Options are a cookie's attributes.
type Options struct {
	Path     string // default "/"
	Domain   string
	HTTPOnly bool
	Secure   bool
	SameSite string // "Lax", "Strict", "None" or ""
}

// Pair is one cookie of a request: its name and its value as sent
// (still URL-encoded; [Get] and [Join] decode).
type Pair struct {
	Name, Value string
}

// Serialize returns a Set-Cookie header value. maxAge < 0 omits Max-Age;
// a zero expires omits Expires.
func Serialize(name, value string, maxAge int, expires time.Time, o Options) string {
	var b strings.Builder
	b.Grow(len(name) + len(value) + 96)
	b.WriteString(name)
	b.WriteByte('=')
	b.WriteString(Encode(value))
	if maxAge >= 0 {
		b.WriteString("; Max-Age=")
		b.WriteString(strconv.Itoa(maxAge))
	}
	if o.Domain != "" {
		b.WriteString("; Domain=")
		b.WriteString(o.Domain)
	}
	b.WriteString("; Path=")
	if o.Path == "" {
		b.WriteString("/")
	} else {
		b.WriteString(o.Path)
	}
	if !expires.IsZero() {
		var buf [len(http.TimeFormat)]byte
		b.WriteString("; Expires=")
		b.Write(expires.UTC().AppendFormat(buf[:0], http.TimeFormat))
	}
	if o.HTTPOnly {
		b.WriteString("; HttpOnly")
	}
	if o.Secure {
		b.WriteString("; Secure")
	}
	if o.SameSite != "" {
		b.WriteString("; SameSite=")
		b.WriteString(o.SameSite)
	}
	return b.String()
}

// Clear returns the Set-Cookie header value that deletes a cookie.
func Clear(name string, o Options) string {
	return Serialize(name, "", 0, time.Time{}, o)
}

const upperhex = "0123456789ABCDEF"

// unreservedSet marks the bytes encodeURIComponent leaves as they are.
var unreservedSet = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
	}
	for _, c := range "-_.!~*'()" {
		t[c] = true
	}
	return t
}()

func unreserved(c byte) bool { return unreservedSet[c] }

// Encode escapes v like JavaScript's encodeURIComponent.
func Encode(v string) string {
	n := 0
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			n++
		}
	}
	if n == 0 {
		return v
	}
	b := make([]byte, 0, len(v)+2*n)
	for i := 0; i < len(v); i++ {
		c := v[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return string(b)
}

// Decode reverses [Encode] like the npm "cookie" package: a value with a
// '%' is percent-decoded ('+' stays '+'); one that does not decode is kept
// as it is.
func Decode(v string) string {
	i := strings.IndexByte(v, '%')
	if i < 0 {
		return v
	}
	b := make([]byte, 0, len(v))
	b = append(b, v[:i]...)
	for ; i < len(v); i++ {
		c := v[i]
		if c != '%' {
			b = append(b, c)
			continue
		}
		if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
			return v // malformed: kept as it is, like decodeURIComponent's failure
		}
		b = append(b, unhex(v[i+1])<<4|unhex(v[i+2]))
		i += 2
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// Read returns the request's cookies in header order, values undecoded
// (surrounding double quotes removed). Pairs without a valid name are
// skipped, as net/http does.
func Read(r *http.Request) []Pair {
	lines := r.Header["Cookie"]
	if len(lines) == 0 {
		return nil
	}
	out := make([]Pair, 0, 8)
	for _, line := range lines {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			name, value, _ := strings.Cut(part, "=")
			if !validName(name) {
				continue
			}
			if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			out = append(out, Pair{name, value})
		}
	}
	return out
}

// validName reports whether s is an RFC 6265 cookie name (an RFC 7230
// token).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte("()<>@,;:\\\"/[]?={}", c) >= 0 {
			return false
		}
	}
	return true
}

// DecodesTo reports whether Decode(v) == s, without allocating.
func DecodesTo(v, s string) bool {
	if !strings.Contains(v, "%") {
		return v == s
	}
	for i := 0; i < len(v); i++ {
		if v[i] == '%' {
			if i+2 >= len(v) || !isHex(v[i+1]) || !isHex(v[i+2]) {
				return v == s // malformed: Decode keeps it as it is
			}
			i += 2
		}
	}
	j := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == '%' {
			c = unhex(v[i+1])<<4 | unhex(v[i+2])
			i += 2
		}
		if j >= len(s) || s[j] != c {
			return false
		}
		j++
	}
	return j == len(s)
}

// GetRaw returns the value of the first cookie called name as it came,
// percent-encoded.
func GetRaw(cookies []Pair, name string) (string, bool) {
	for _, c := range cookies {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// Get returns the decoded value of the first cookie called name.
func Get(cookies []Pair, name string) (string, bool) {
	for _, c := range cookies {
		if c.Name == name {
			return Decode(c.Value), true
		}
	}
	return "", false
}

// Split cuts value into the cookies that carry it: one cookie called name
// when it fits in [ChunkSize], else name.0, name.1, ...
func Split(name, value string) []Pair {
	if len(value) <= ChunkSize {
		return []Pair{{name, value}}
	}
	out := make([]Pair, 0, len(value)/ChunkSize+1)
	for i := 0; len(value) > 0; i++ {
		n := min(ChunkSize, len(value))
		out = append(out, Pair{name + "." + strconv.Itoa(i), value[:n]})
		value = value[n:]
	}
	return out
}

// Join reassembles a value written by [Split]. It returns the value and the
// names of every cookie that belongs to name (so they can be cleared). When
// numbered chunks are present they win over an unnumbered cookie; chunks are
// ordered by number and must run 0..n-1 without gaps, else the value is "".
func Join(name string, cookies []Pair) (value string, names []string) {
	type chunk struct {
		n int
		v string
	}
	var chunks []chunk
	var seen map[int]bool
	plain, hasPlain := "", false
	for _, c := range cookies {
		if c.Name == name {
			if !hasPlain {
				plain, hasPlain = Decode(c.Value), true
				names = append(names, c.Name)
			}
			continue
		}
		suffix, ok := strings.CutPrefix(c.Name, name+".")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(suffix)
		if err != nil || n < 0 || strconv.Itoa(n) != suffix || seen[n] {
			continue
		}
		if len(chunks) > MaxChunks {
			// A hostile or corrupt header: neither read nor clear more.
			return "", names
		}
		if seen == nil {
			seen = map[int]bool{}
		}
		seen[n] = true
		names = append(names, c.Name)
		chunks = append(chunks, chunk{n, Decode(c.Value)})
	}
	if len(chunks) == 0 {
		return plain, names
	}
	if len(chunks) > MaxChunks {
		return "", names
	}
	slices.SortFunc(chunks, func(a, b chunk) int { return a.n - b.n })
	var b strings.Builder
	for i, c := range chunks {
		if c.n != i {
			return "", names
		}
		b.WriteString(c.v)
	}
	return b.String(), names
}
