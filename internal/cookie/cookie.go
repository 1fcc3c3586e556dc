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
	"unsafe"
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
	b := AppendSerialize(make([]byte, 0, SerializedLen(name, value, maxAge, expires, o)), name, value, maxAge, expires, o)
	// b is not written again: the string shares its bytes, as
	// strings.Builder does.
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// SerializedLen is the length of [Serialize]'s result (at most, for an
// expiry outside the years 0 to 9999).
func SerializedLen(name, value string, maxAge int, expires time.Time, o Options) int {
	n := len(name) + 1 + encodedLen(value) + len("; Path=") + max(1, len(o.Path))
	if maxAge >= 0 {
		n += len("; Max-Age=") + 20
	}
	if o.Domain != "" {
		n += len("; Domain=") + len(o.Domain)
	}
	if !expires.IsZero() {
		n += len("; Expires=") + len(http.TimeFormat) + 8
	}
	if o.HTTPOnly {
		n += len("; HttpOnly")
	}
	if o.Secure {
		n += len("; Secure")
	}
	if o.SameSite != "" {
		n += len("; SameSite=") + len(o.SameSite)
	}
	return n
}

// AppendSerialize appends [Serialize]'s header value to b.
func AppendSerialize(b []byte, name, value string, maxAge int, expires time.Time, o Options) []byte {
	b = append(b, name...)
	b = append(b, '=')
	b = AppendEncode(b, value)
	return AppendAttributes(b, maxAge, expires, o)
}

// AttributesLen is the length of what [AppendAttributes] appends (at
// most, for an expiry outside the years 0 to 9999).
func AttributesLen(maxAge int, expires time.Time, o Options) int {
	return SerializedLen("", "", maxAge, expires, o) - 1
}

// AppendAttributes appends the attributes of a Set-Cookie header value,
// "; Path=/..." as [Serialize] writes them after "name=value", to b.
func AppendAttributes(b []byte, maxAge int, expires time.Time, o Options) []byte {
	if maxAge >= 0 {
		b = append(b, "; Max-Age="...)
		b = strconv.AppendInt(b, int64(maxAge), 10)
	}
	if o.Domain != "" {
		b = append(b, "; Domain="...)
		b = append(b, o.Domain...)
	}
	b = append(b, "; Path="...)
	if o.Path == "" {
		b = append(b, '/')
	} else {
		b = append(b, o.Path...)
	}
	if !expires.IsZero() {
		b = append(b, "; Expires="...)
		b = AppendHTTPDate(b, expires)
	}
	if o.HTTPOnly {
		b = append(b, "; HttpOnly"...)
	}
	if o.Secure {
		b = append(b, "; Secure"...)
	}
	if o.SameSite != "" {
		b = append(b, "; SameSite="...)
		b = append(b, o.SameSite...)
	}
	return b
}

// AppendHTTPDate appends t in UTC as [http.TimeFormat] formats it
// ("Mon, 02 Jan 2006 15:04:05 GMT"), written by hand for the years 0 to
// 9999 (TestAppendHTTPDate compares it with time.Time.AppendFormat).
func AppendHTTPDate(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, http.TimeFormat)
	}
	hour, minute, sec := t.Clock()
	const days = "SunMonTueWedThuFriSat"
	const months = "JanFebMarAprMayJunJulAugSepOctNovDec"
	wd := int(t.Weekday()) * 3
	mo := (int(month) - 1) * 3
	return append(b,
		days[wd], days[wd+1], days[wd+2], ',', ' ',
		byte('0'+day/10), byte('0'+day%10), ' ',
		months[mo], months[mo+1], months[mo+2], ' ',
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), ' ',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), ' ', 'G', 'M', 'T')
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
	if encodedLen(v) == len(v) {
		return v
	}
	return string(AppendEncode(make([]byte, 0, encodedLen(v)), v))
}

// encodedLen is the length of Encode(v).
func encodedLen(v string) int {
	n := len(v)
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			n += 2
		}
	}
	return n
}

// AppendEncode appends [Encode](v) to b.
func AppendEncode(b []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		c := v[i]
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = append(b, '%', upperhex[c>>4], upperhex[c&15])
		}
	}
	return b
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
	if len(r.Header["Cookie"]) == 0 {
		return nil
	}
	return AppendRead(make([]Pair, 0, 8), r)
}

// AppendRead appends the request's cookies, as [Read] returns them, to
// dst.
func AppendRead(dst []Pair, r *http.Request) []Pair {
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var p Pair
			var ok bool
			if p, line, ok = nextPair(line); ok {
				dst = append(dst, p)
			}
		}
	}
	return dst
}

// nextPair cuts the first ';'-separated pair off a Cookie header line;
// ok is false when it has no valid name.
func nextPair(line string) (p Pair, rest string, ok bool) {
	part, rest, _ := strings.Cut(line, ";")
	part = strings.TrimSpace(part)
	name, value, _ := strings.Cut(part, "=")
	if !validName(name) {
		return Pair{}, rest, false
	}
	if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return Pair{name, value}, rest, true
}

// Value is the value [Join] reassembles for name from the request's
// cookies, found without collecting them when name is not chunked.
// FuzzValue compares the two.
func Value(r *http.Request, name string) string {
	plain, found := "", false
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			part := line
			if i := strings.IndexByte(line, ';'); i >= 0 {
				part, line = line[:i], line[i+1:]
			} else {
				line = ""
			}
			// Only name and its chunks matter: other pairs are not
			// checked, as Read would (name is a valid name, so a pair
			// called name has one).
			part = strings.TrimSpace(part)
			if len(part) < len(name) || part[:len(name)] != name {
				continue
			}
			n, value, _ := strings.Cut(part, "=")
			if n == name {
				if !found {
					if len(value) > 1 && value[0] == '"' && value[len(value)-1] == '"' {
						value = value[1 : len(value)-1]
					}
					plain, found = value, true
				}
			} else if isChunkOf(n, name) {
				v, _ := Join(name, Read(r))
				return v
			}
		}
	}
	return Decode(plain)
}

// isChunkOf reports whether n starts with name + ".": it may be a chunk of
// name.
func isChunkOf(n, name string) bool {
	return len(n) > len(name) && n[len(name)] == '.' && n[:len(name)] == name
}

// tokenChar marks the bytes of an RFC 7230 token.
var tokenChar = func() (t [256]bool) {
	for c := '!'; c < 0x7f; c++ {
		t[c] = !strings.ContainsRune("()<>@,;:\\\"/[]?={}", c)
	}
	return t
}()

// validName reports whether s is an RFC 6265 cookie name (an RFC 7230
// token).
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tokenChar[s[i]] {
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
	return JoinAppend(nil, name, cookies)
}

// JoinAppend is [Join] appending the names to names[:0], so that a caller
// can keep them in an array of its own.
func JoinAppend(names []string, name string, cookies []Pair) (string, []string) {
	names = names[:0]
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
		if !isChunkOf(c.Name, name) {
			continue
		}
		suffix := c.Name[len(name)+1:]
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
