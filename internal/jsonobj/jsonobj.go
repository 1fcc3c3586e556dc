// Package jsonobj reads and rewrites the top-level members of a JSON object
// without decoding their values: enough for the session hot path, which
// only reads a few string claims and replaces "iat", "exp" and "jti" in an
// otherwise unchanged token payload. Values stay raw JSON bytes.
//
// A key that appears more than once is read as JavaScript's JSON.parse
// reads it, which is what NextAuth sees: one member, at the place of the
// first, with the value of the last. encoding/json also keeps the last
// value, so a payload means the same to this package, to encoding/json
// and to NextAuth.
package jsonobj

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// ErrSyntax is returned for input that is not a JSON object.
var ErrSyntax = errors.New("jsonobj: not a JSON object")

// Member is one top-level member: its key and its raw value.
type Member struct {
	// rawKey is the key's JSON string literal with its quotes; key is the
	// decoded key when it differs (escapes), else "" and rawKey's inside
	// is the key.
	rawKey []byte
	key    string
	Value  []byte
}

// Key returns the member's decoded key.
func (m Member) Key() string {
	if m.key != "" || len(m.rawKey) < 2 {
		return m.key
	}
	return string(m.rawKey[1 : len(m.rawKey)-1])
}

// PlainKey returns the bytes of the member's key inside its quotes when
// the key has no escapes, so that they are the key, without allocating;
// ok is false otherwise (use Key then).
func (m Member) PlainKey() (b []byte, ok bool) {
	if m.key != "" || len(m.rawKey) < 2 {
		return nil, false
	}
	return m.rawKey[1 : len(m.rawKey)-1], true
}

// is reports whether the member's key is k, without allocating.
func (m Member) is(k string) bool {
	if m.key != "" {
		return m.key == k
	}
	return len(m.rawKey) >= 2 && string(m.rawKey[1:len(m.rawKey)-1]) == k
}

// Object is a JSON object's members in their order.
type Object []Member

// Parse splits a JSON object into its members. A duplicate key keeps the
// position of its first member and the value of its last, as JSON.parse
// does. Every value is checked against the JSON grammar on the way:
// Parse refuses all that [json.Valid] refuses, and values nested deeper
// than 64 (FuzzParse checks it), so untrusted input needs no json.Valid
// first.
func Parse(b []byte) (Object, error) {
	return ParseInto(make(Object, 0, 8), b)
}

// ParseInto is [Parse] appending the members to dst[:0], so that a caller
// can parse into an array of its own (on its stack) instead of a new
// slice.
func ParseInto(dst Object, b []byte) (Object, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, ErrSyntax
	}
	i = skipSpace(b, i+1)
	obj := dst[:0]
	var seen map[string]int // keys to indexes, once obj is large
	// filter has the keyBit of every key of obj: a key whose bit is not
	// set is not there, and needs no search while obj is small.
	var filter uint64
	if i < len(b) && b[i] == '}' {
		if skipSpace(b, i+1) != len(b) {
			return nil, ErrSyntax
		}
		return obj, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return nil, ErrSyntax
		}
		end, plain, err := skipKey(b, i)
		if err != nil {
			return nil, err
		}
		m := Member{rawKey: b[i:end]}
		if !plain {
			if m.key, err = unquote(m.rawKey); err != nil {
				return nil, err
			}
		}
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return nil, ErrSyntax
		}
		start := skipSpace(b, i+1)
		end, err = skipValue(b, start, 0)
		if err != nil {
			return nil, err
		}
		m.Value = b[start:end]
		bit := m.keyBit()
		if len(obj) < linearMax && filter&bit == 0 {
			obj = append(obj, m)
		} else if j := obj.index(m, &seen); j >= 0 {
			obj[j].Value = m.Value
		} else {
			obj = append(obj, m)
		}
		filter |= bit
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, ErrSyntax
		}
		if b[i] == '}' {
			if skipSpace(b, i+1) != len(b) {
				return nil, ErrSyntax
			}
			return obj, nil
		}
		if b[i] != ',' {
			return nil, ErrSyntax
		}
		i = skipSpace(b, i+1)
	}
}

// linearMax is the number of members up to which index compares keys one
// by one; past it a map keeps lookups linear in the object's size.
const linearMax = 16

// index returns the index of the member of o with m's key, or -1. Once o
// has more than linearMax members it keeps *seen, a map of o's keys, up to
// date: m is about to be appended when the answer is -1.
func (o Object) index(m Member, seen *map[string]int) int {
	if len(o) <= linearMax {
		for i := range o {
			if o[i].sameKey(m) {
				return i
			}
		}
		if len(o) < linearMax {
			return -1
		}
	}
	if *seen == nil {
		*seen = make(map[string]int, 2*len(o))
		for i := range o {
			(*seen)[o[i].Key()] = i
		}
	}
	k := m.Key()
	if i, ok := (*seen)[k]; ok {
		return i
	}
	(*seen)[k] = len(o)
	return -1
}

// keyBit is a bit of 64 picked by the member's decoded key: members with
// the same key have the same bit.
func (m Member) keyBit() uint64 {
	if k, ok := m.PlainKey(); ok {
		return keyBitOf(k)
	}
	return keyBitOf(m.key)
}

func keyBitOf[K string | []byte](k K) uint64 {
	h := uint(len(k)) * 7
	if len(k) > 0 {
		h += uint(k[0])*3 + uint(k[len(k)-1])
	}
	return 1 << (h & 63)
}

// sameKey reports whether m and o have the same decoded key.
func (m Member) sameKey(o Member) bool {
	switch {
	case m.key == "" && o.key == "":
		return string(m.rawKey) == string(o.rawKey)
	case m.key != "":
		return o.is(m.key)
	default:
		return m.is(o.key)
	}
}

// Get returns the raw value of key, or nil.
func (o Object) Get(key string) []byte {
	for _, m := range o {
		if m.is(key) {
			return m.Value
		}
	}
	return nil
}

// String returns the value of key when it is a JSON string.
func (o Object) String(key string) (string, bool) {
	return StringValue(o.Get(key))
}

// StringValue returns the string a raw member value holds when it is a
// JSON string (as [Object.String] does for a key).
func StringValue(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	s, err := unquote(v)
	return s, err == nil
}

// PlainString returns the bytes of key's string value when it has no
// escapes and only ASCII (so they are the string itself), without
// allocating; ok is false otherwise (use String then).
func (o Object) PlainString(key string) (b []byte, ok bool) {
	return PlainStringValue(o.Get(key))
}

// PlainStringValue is [Object.PlainString] for a raw member value.
func PlainStringValue(v []byte) (b []byte, ok bool) {
	if len(v) < 2 || v[0] != '"' || hasEscapes(v) {
		return nil, false
	}
	return v[1 : len(v)-1], true
}

// Number returns the value of key when it is a JSON number.
func (o Object) Number(key string) (float64, bool) {
	return NumberValue(o.Get(key))
}

// NumberValue returns the value of a raw member value when it is a JSON
// number (as [Object.Number] does for a key).
func NumberValue(v []byte) (float64, bool) {
	if len(v) == 0 || v[0] != '-' && (v[0] < '0' || v[0] > '9') {
		return 0, false
	}
	// Integers of up to 15 digits, such as times, are exact in a float64:
	// no need for ParseFloat. TestNumberValue compares the two.
	if len(v) <= 15 {
		n := int64(0)
		i := 0
		if v[0] == '-' {
			i = 1
		}
		digits := i < len(v)
		for j := i; j < len(v); j++ {
			if v[j] < '0' || v[j] > '9' {
				digits = false
				break
			}
			n = n*10 + int64(v[j]-'0')
		}
		if digits {
			if i == 1 {
				return -float64(n), true
			}
			return float64(n), true
		}
	}
	f, err := strconv.ParseFloat(string(v), 64)
	return f, err == nil
}

// Set replaces the value of key, or appends the member.
func (o Object) Set(key string, raw []byte) Object {
	for i := range o {
		if o[i].is(key) {
			o[i].Value = raw
			return o
		}
	}
	return append(o, Member{rawKey: appendKey(nil, key), Value: raw})
}

// AppendTo appends the object's JSON to b.
func (o Object) AppendTo(b []byte) []byte {
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m.rawKey...)
		b = append(b, ':')
		b = append(b, m.Value...)
	}
	return append(b, '}')
}

func appendKey(b []byte, k string) []byte {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			q, _ := json.Marshal(k)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, k...)
	return append(b, '"')
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// special marks the bytes skipString must look at: '"', '\\' and
// control characters.
var special = func() (t [256]bool) {
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// plainByte marks the bytes a string without escapes (hasEscapes false)
// has, but for its closing quote.
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// skipKey is skipString for a member's key, which also reports whether
// the key needs no decoding (!hasEscapes).
func skipKey(b []byte, i int) (end int, plain bool, err error) {
	j := i + 1
	for j < len(b) && plainByte[b[j]] {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return j + 1, true, nil
	}
	end, err = skipString(b, i)
	return end, false, err
}

// skipString returns the index after the string starting at b[i] == '"'.
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		for j < len(b) && !special[b[j]] {
			j++
		}
		if j >= len(b) {
			break
		}
		switch c := b[j]; {
		case c == '\\':
			if j+1 >= len(b) {
				return 0, ErrSyntax
			}
			j++
			switch b[j] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if j+4 >= len(b) || !isHex(b[j+1]) || !isHex(b[j+2]) || !isHex(b[j+3]) || !isHex(b[j+4]) {
					return 0, ErrSyntax
				}
				j += 4
			default:
				return 0, ErrSyntax
			}
		case c == '"':
			return j + 1, nil
		case c < 0x20:
			return 0, ErrSyntax
		}
	}
	return 0, ErrSyntax
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

const maxDepth = 64

// skipValue returns the index after the value starting at b[i].
func skipValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) || depth > maxDepth {
		return 0, ErrSyntax
	}
	switch c := b[i]; {
	case c == '"':
		return skipString(b, i)
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		j := skipSpace(b, i+1)
		if j < len(b) && b[j] == closer {
			return j + 1, nil
		}
		for {
			if c == '{' {
				if j >= len(b) || b[j] != '"' {
					return 0, ErrSyntax
				}
				end, err := skipString(b, j)
				if err != nil {
					return 0, err
				}
				j = skipSpace(b, end)
				if j >= len(b) || b[j] != ':' {
					return 0, ErrSyntax
				}
				j = skipSpace(b, j+1)
			}
			end, err := skipValue(b, j, depth+1)
			if err != nil {
				return 0, err
			}
			j = skipSpace(b, end)
			if j >= len(b) {
				return 0, ErrSyntax
			}
			if b[j] == closer {
				return j + 1, nil
			}
			if b[j] != ',' {
				return 0, ErrSyntax
			}
			j = skipSpace(b, j+1)
		}
	default:
		j := i
		for j < len(b) && (b[j] == '-' || b[j] == '+' || b[j] == '.' || b[j] >= '0' && b[j] <= '9' || b[j] >= 'a' && b[j] <= 'z' || b[j] == 'E') {
			j++
		}
		if j == i || !validScalar(b[i:j]) {
			return 0, ErrSyntax
		}
		return j, nil
	}
}

// hasEscapes reports whether a string literal needs decoding.
func hasEscapes(q []byte) bool {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' || c >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// unquote decodes a JSON string literal, including its quotes.
func unquote(q []byte) (string, error) {
	simple := true
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' || c >= utf8.RuneSelf {
			simple = false
			break
		}
	}
	if simple {
		return string(q[1 : len(q)-1]), nil
	}
	var s string
	if err := json.Unmarshal(q, &s); err != nil {
		return "", ErrSyntax
	}
	return s, nil
}

// validScalar reports whether b is a JSON number, true, false or null,
// as json.Valid would; FuzzValidScalar compares them.
func validScalar(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	}
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return false
		}
		i = j
	}
	return i == len(b)
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
