package latch

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"time"
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
}

// SessionUser is the "user" member of a [Session]. Empty fields are left
// out of the JSON, as NextAuth leaves out undefined ones.
type SessionUser struct {
	ID    string `json:"id,omitempty"` // not set by default; a Session callback may
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Image string `json:"image,omitempty"`
}

// MarshalJSON writes the session like NextAuth:
// {"user":{"name":...,"email":...,"image":...},"expires":"2006-01-02T15:04:05.000Z",...}.
func (s *Session) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"user":{`)
	n := 0
	for _, f := range [...]struct{ k, v string }{{"id", s.User.ID}, {"name", s.User.Name}, {"email", s.User.Email}, {"image", s.User.Image}} {
		if f.v == "" {
			continue
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteByte('"')
		b.WriteString(f.k)
		b.WriteString(`":`)
		writeJSONString(&b, f.v)
	}
	b.WriteString(`},"expires":"`)
	b.WriteString(s.Expires.UTC().Format("2006-01-02T15:04:05.000Z"))
	b.WriteByte('"')
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		if k == "user" || k == "expires" {
			continue
		}
		v, err := json.Marshal(s.Extra[k])
		if err != nil {
			return nil, err
		}
		b.WriteByte(',')
		writeJSONString(&b, k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
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
	simple := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			simple = false
			break
		}
	}
	if simple {
		b.WriteByte('"')
		b.WriteString(s)
		b.WriteByte('"')
		return
	}
	// Like JSON.stringify: no HTML escaping of <, > and &.
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // the newline Encode appends
}
