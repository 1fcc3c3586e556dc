package latch

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// User is a signed-in person, as a provider or a store describes them.
type User struct {
	ID    string
	Name  string
	Email string
	Image string
}

// Account links a [User] to a provider.
type Account struct {
	Provider          string // provider id, e.g. "credentials", "github"
	Type              string // "oauth", "oidc", "email" or "credentials"
	ProviderAccountID string
}

// Token is the payload of a JWT session: NextAuth's claims "name",
// "email", "picture", "sub" (the user id), "iat", "exp", "jti", plus
// whatever the JWT callback adds. Numbers read from a token are
// [json.Number].
type Token map[string]any

func (t Token) str(key string) string {
	s, _ := t[key].(string)
	return s
}

// Subject returns the "sub" claim: the user id.
func (t Token) Subject() string { return t.str("sub") }

// Name returns the "name" claim.
func (t Token) Name() string { return t.str("name") }

// Email returns the "email" claim.
func (t Token) Email() string { return t.str("email") }

// Picture returns the "picture" claim: the user's image URL.
func (t Token) Picture() string { return t.str("picture") }

// issuedAt returns the "iat" claim as a time, zero when there is none.
func (t Token) issuedAt() time.Time {
	var secs float64
	switch v := t["iat"].(type) {
	case json.Number:
		secs, _ = v.Float64()
	case float64:
		secs = v
	}
	if secs <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(secs), 0)
}

// tokenFor is NextAuth's default token for a user who just signed in.
func tokenFor(u *User) Token {
	t := Token{"sub": u.ID}
	if u.Name != "" {
		t["name"] = u.Name
	}
	if u.Email != "" {
		t["email"] = u.Email
	}
	if u.Image != "" {
		t["picture"] = u.Image
	}
	return t
}

// Session is what GET <base>/session answers for a signed-in user.
type Session struct {
	User    SessionUser
	Expires time.Time
	// Extra holds further top-level fields, e.g. an access token a Session
	// callback exposes. They are written after "user" and "expires".
	Extra map[string]any

	userID string // the token's "sub", or the database session's user
	// renewed is when the session was last extended (the token's "iat",
	// or the database expiry less MaxAge); zero when unknown.
	renewed time.Time
	// token is the JWT session's token after the JWT callback, which
	// Require re-encodes to extend the session; without callbacks it is
	// decoded from payload only then (see sessionToken).
	token   Token
	payload []byte
}

// UserID returns the ID of the signed-in user (the session token's "sub",
// or the user of a database session). User.ID holds it too, unless a
// Session callback put something else there. It is "" for a Session made
// elsewhere, or for a token without "sub".
// With a Store it is the stored user's ID; without one, an OAuth user's
// ID is the provider's subject, unique within that provider only.
func (s *Session) UserID() string {
	if s == nil {
		return ""
	}
	return s.userID
}

// SessionUser is the "user" member of a [Session]. Empty fields are left
// out of the JSON, as NextAuth leaves out undefined ones, except fields
// read from a token that had them: a claim that was null or "" is written
// back as null or "", as NextAuth does.
type SessionUser struct {
	// ID is the signed-in user's ID, as [Session.UserID] returns it, in
	// every session Latch hands to Go code (Auth.Session, Require, events).
	// GET <base>/session leaves it out of the JSON, as NextAuth does, unless
	// a Session callback sets it (session.user.id = token.sub in NextAuth):
	// the callback sees it empty, and what it puts there is written out.
	ID    string `json:"id,omitempty"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`

	// present and null are bit sets of the fields (fieldName, ...) the
	// token had, and had as null.
	present, null uint8
	// implicitID is set when Latch filled ID from the session's user
	// rather than a Session callback: the JSON then leaves it out.
	implicitID bool
}

const (
	fieldName uint8 = 1 << iota
	fieldEmail
	fieldImage
)

// setUserID records the session's user and shows it in User.ID unless a
// Session callback set User.ID already.
func (s *Session) setUserID(id string) {
	s.userID = id
	if s.User.ID == "" {
		s.User.ID = id
		s.User.implicitID = id != ""
	}
}

// jsonID is the "id" of the JSON "user": User.ID unless Latch filled it in
// and nobody changed it since.
func (s *Session) jsonID() string {
	if s.User.implicitID && s.User.ID == s.userID {
		return ""
	}
	return s.User.ID
}

// setClaim records the token claim behind one field: absent (ok false),
// null (isNull) or a string.
func (u *SessionUser) setClaim(f uint8, v string, ok, isNull bool) {
	if !ok {
		return
	}
	u.present |= f
	if isNull {
		u.null |= f
	}
	switch f {
	case fieldName:
		u.Name = v
	case fieldEmail:
		u.Email = v
	case fieldImage:
		u.Image = v
	}
}

// sessionUserOf maps the token claims name, email and picture.
func sessionUserOf(t Token) SessionUser {
	var u SessionUser
	for _, c := range [...]struct {
		f   uint8
		key string
	}{{fieldName, "name"}, {fieldEmail, "email"}, {fieldImage, "picture"}} {
		v, ok := t[c.key]
		s, _ := v.(string)
		u.setClaim(c.f, s, ok, ok && v == nil)
	}
	return u
}

// MarshalJSON writes the session like NextAuth:
// {"user":{"name":...,"email":...,"image":...},"expires":"2006-01-02T15:04:05.000Z",...}.
func (s *Session) MarshalJSON() ([]byte, error) {
	return s.appendJSON(make([]byte, 0, 128))
}

// appendJSON appends the JSON of MarshalJSON to b.
func (s *Session) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"user":{`...)
	n := 0
	u := &s.User
	for _, f := range [...]struct {
		bit  uint8
		k, v string
	}{{0, "id", s.jsonID()}, {fieldName, "name", u.Name}, {fieldEmail, "email", u.Email}, {fieldImage, "image", u.Image}} {
		if f.v == "" && u.present&f.bit == 0 {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = append(b, '"')
		b = append(b, f.k...)
		b = append(b, `":`...)
		if f.v == "" && u.null&f.bit != 0 {
			b = append(b, "null"...)
		} else {
			b = appendJSONString(b, f.v)
		}
	}
	b = append(b, `},"expires":"`...)
	b = appendISOTime(b, s.Expires)
	b = append(b, '"')
	if len(s.Extra) > 0 {
		// A Go map has no order: sorted keys make the JSON the same on
		// every request.
		for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
			if k == "user" || k == "expires" {
				continue
			}
			v, err := marshalJS(s.Extra[k])
			if err != nil {
				return nil, err
			}
			b = append(b, ',')
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}

// appendISOTime appends t in UTC as JavaScript's Date.toISOString writes
// it ("2006-01-02T15:04:05.000Z"), by hand for the years 0 to 9999
// (TestAppendISOTime compares it with time.Time.AppendFormat).
func appendISOTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(b, "2006-01-02T15:04:05.000Z")
	}
	hour, minute, sec := t.Clock()
	ms := t.Nanosecond() / 1e6
	return append(b,
		byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10), '-',
		byte('0'+month/10), byte('0'+month%10), '-',
		byte('0'+day/10), byte('0'+day%10), 'T',
		byte('0'+hour/10), byte('0'+hour%10), ':',
		byte('0'+minute/10), byte('0'+minute%10), ':',
		byte('0'+sec/10), byte('0'+sec%10), '.',
		byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), 'Z')
}

// UnmarshalJSON reads what MarshalJSON writes.
func (s *Session) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*s = Session{}
	for k, v := range raw {
		switch k {
		case "user":
			if err := json.Unmarshal(v, &s.User); err != nil {
				return err
			}
		case "expires":
			if err := json.Unmarshal(v, &s.Expires); err != nil {
				return err
			}
		default:
			var x any
			if err := json.Unmarshal(v, &x); err != nil {
				return err
			}
			if s.Extra == nil {
				s.Extra = map[string]any{}
			}
			s.Extra[k] = x
		}
	}
	return nil
}

func writeJSONString(b *bytes.Buffer, s string) {
	b.Write(appendJSONString(b.AvailableBuffer(), s))
}

// appendJSONString appends s as JSON.stringify writes it.
func appendJSONString(b []byte, s string) []byte {
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	// Like JSON.stringify: no HTML escaping of <, > and &, and U+2028 and
	// U+2029 written as they are (encoding/json escapes them).
	b = append(b, '"')
	for {
		i := strings.IndexAny(s, "\u2028\u2029")
		seg := s
		if i >= 0 {
			seg = s[:i]
		}
		var part bytes.Buffer
		enc := json.NewEncoder(&part)
		enc.SetEscapeHTML(false)
		enc.Encode(seg)
		b = append(b, part.Bytes()[1:part.Len()-2]...) // without the quotes and newline
		if i < 0 {
			break
		}
		b = append(b, s[i:i+3]...) // both runes are three bytes long
		s = s[i+3:]
	}
	return append(b, '"')
}

// FoldEmail lower-cases an email address for comparison, as stores do to
// find users by email: letters of any script, but never a non-ASCII one
// into an ASCII one. The Kelvin sign in "\u212Aim@example.com" stays, so
// that address does not match kim@example.com, whose owner is somebody
// else.
func FoldEmail(email string) string {
	return strings.Map(func(r rune) rune {
		l := unicode.ToLower(r)
		if r >= utf8.RuneSelf && l < utf8.RuneSelf {
			return r
		}
		return l
	}, email)
}
