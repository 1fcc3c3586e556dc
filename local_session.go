package latch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/latchauth/latch/accesstoken"
)

// bearerToken returns the token of an "Authorization: Bearer" header;
// "" for none, and for the "null" and "undefined" nuxt-auth sends when it
// has no token.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	t := strings.TrimSpace(h[7:])
	if t == "null" || t == "undefined" {
		return ""
	}
	return t
}

// isJWS reports whether a token looks like a compact JWS (three parts),
// not a session JWE (five).
func isJWS(t string) bool { return strings.Count(t, ".") == 2 }

var errRevoked = errors.New("latch: the sign-in of this access token has ended")

// verifyAccessToken checks an access token and that its sign-in is live.
func (a *Auth) verifyAccessToken(ctx context.Context, token string) (*accesstoken.Claims, error) {
	c, err := a.verifySignature(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.SessionID == "" {
		return nil, fmt.Errorf("%w: no sid", accesstoken.ErrInvalidToken)
	}
	if err := a.checkLive(ctx, c.SessionID); err != nil {
		return nil, err
	}
	return c, nil
}

// verifySignature is the verifier's Verify, with the claims of tokens
// verified in the last minute (and not expired since) from a cache.
func (a *Auth) verifySignature(ctx context.Context, token string) (*accesstoken.Claims, error) {
	l := a.local
	now := a.now()
	l.mu.Lock()
	v, ok := l.verified[token]
	l.mu.Unlock()
	if ok && now.Before(v.until) {
		return v.claims, nil
	}
	c, err := l.verifier.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	until := now.Add(time.Minute)
	if exp := time.Unix(c.Expiry, 0); exp.Before(until) {
		until = exp
	}
	l.mu.Lock()
	if len(l.verified) >= maxCached {
		clear(l.verified)
	}
	l.verified[token] = verifiedToken{claims: c, until: until}
	l.mu.Unlock()
	return c, nil
}

// checkLive reports whether the sign-in sid is live: from the cache, or
// the Store.
func (a *Auth) checkLive(ctx context.Context, sid string) error {
	l := a.local
	now := a.now()
	l.mu.Lock()
	until, ok := l.live[sid]
	l.mu.Unlock()
	if ok && now.Before(until) {
		return nil
	}
	f, err := l.store.RefreshFamily(ctx, sid)
	if errors.Is(err, ErrNotFound) || err == nil && !f.Expires.After(now) {
		return errRevoked
	}
	if err != nil {
		return err
	}
	if l.cfg.RevocationCache > 0 {
		l.mu.Lock()
		if len(l.live) >= maxCached {
			clear(l.live)
		}
		l.live[sid] = now.Add(min(l.cfg.RevocationCache, f.Expires.Sub(now)))
		l.mu.Unlock()
	}
	return nil
}

// revokeFamily ends a sign-in.
func (a *Auth) revokeFamily(ctx context.Context, sid string) error {
	l := a.local
	l.mu.Lock()
	delete(l.live, sid)
	l.mu.Unlock()
	err := l.store.DeleteRefreshFamily(ctx, sid)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// bearerSession returns the session of an access token, after the
// Session callback; nil when the token is not valid or its sign-in ended.
func (a *Auth) bearerSession(ctx context.Context, token string) *Session {
	c, err := a.verifyAccessToken(ctx, token)
	if err != nil {
		if !errors.Is(err, accesstoken.ErrInvalidToken) && !errors.Is(err, errRevoked) {
			a.log.Error("latch: check an access token", "err", err)
		}
		return nil
	}
	t := Token{"sub": c.Subject, "sid": c.SessionID, "iat": float64(c.IssuedAt), "exp": float64(c.Expiry), "jti": c.ID}
	if c.Name != "" {
		t["name"] = c.Name
	}
	if c.Email != "" {
		t["email"] = c.Email
	}
	if c.Picture != "" {
		t["picture"] = c.Picture
	}
	s, err := a.sessionFor(ctx, t, time.Unix(c.Expiry, 0), false, nil)
	if err != nil {
		return nil
	}
	return s
}

// localSession is Session(r) for a request that carries an access token
// (and no session cookie); ok is false for any other request.
func (a *Auth) localSession(r *http.Request) (s *Session, ok bool) {
	t := bearerToken(r)
	if t == "" || !isJWS(t) {
		return nil, false
	}
	if raw, _ := a.rawSessionCookie(r); raw != "" {
		return nil, false
	}
	return a.bearerSession(r.Context(), t), true
}

// localSessionGET answers GET <base>/local/session: the user as a flat
// object, for nuxt-auth's session.dataResponsePointer "/".
func (a *Auth) localSessionGET(w http.ResponseWriter, r *http.Request) {
	var s *Session
	if t := bearerToken(r); t != "" {
		s = a.bearerSession(r.Context(), t)
		if s == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="latch", error="invalid_token"`)
			localJSON(w, http.StatusUnauthorized, localError{Error: CodeSessionRequired, Message: "The access token is not valid."})
			return
		}
	} else {
		s = a.Session(r) // the session cookie: SSR, or apps mixing both providers
	}
	if s == nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latch"`)
		localJSON(w, http.StatusUnauthorized, localError{Error: CodeSessionRequired, Message: "Sign in first."})
		return
	}
	body, err := flatUserJSON(s)
	if err != nil {
		a.log.Error("latch: encode session", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: "Configuration"})
		return
	}
	w.Header()["Content-Type"] = hdrJSON
	w.Write(body)
}

// flatUserJSON writes a session as nuxt-auth's local provider reads it:
// {"id","name","email","image", ...what the Session callback added}.
func flatUserJSON(s *Session) ([]byte, error) {
	var b bytes.Buffer
	id := s.User.ID
	if id == "" {
		id = s.userID
	}
	b.WriteString(`{"id":`)
	writeJSONString(&b, id)
	u := &s.User
	for _, f := range [...]struct {
		bit  uint8
		k, v string
	}{{fieldName, "name", u.Name}, {fieldEmail, "email", u.Email}, {fieldImage, "image", u.Image}} {
		if f.v == "" && u.present&f.bit == 0 {
			continue
		}
		b.WriteString(`,"` + f.k + `":`)
		if f.v == "" && u.null&f.bit != 0 {
			b.WriteString("null")
		} else {
			writeJSONString(&b, f.v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Extra)) {
		switch k {
		case "id", "name", "email", "image":
			continue
		}
		v, err := marshalJS(s.Extra[k])
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
