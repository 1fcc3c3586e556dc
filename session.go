package latch

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/jwt"
)

// serveSession answers GET <base>/session and the session update
// POST <base>/session.
func (a *Auth) serveSession(x *exchange) {
	update := x.r.Method == http.MethodPost
	if update && !x.csrfVerified {
		x.json(http.StatusBadRequest, struct{}{})
		return
	}
	if !update {
		noCache(x.w.Header())
	}
	raw, names := cookie.Join(x.names.session, x.cookies)
	if raw == "" {
		if len(names) > 0 {
			x.clearSession(names)
		}
		x.json(http.StatusOK, struct{}{})
		return
	}
	ctx := x.r.Context()
	token, err := a.decodeToken(raw)
	if err == nil {
		p := &JWTParams{Token: token}
		if update {
			p.Trigger, p.UpdateData = "update", x.body.Data
		}
		token, err = a.runJWT(ctx, p)
	}
	var sess *Session
	expires := a.now().Add(a.cfg.MaxAge)
	if err == nil {
		sess, err = a.sessionFor(ctx, token, expires, update, x.body.Data)
	}
	if err == nil {
		err = x.writeSession(token, names, expires)
	}
	if err != nil {
		if !errors.Is(err, jwt.ErrInvalidToken) && !errors.Is(err, errSessionEnded) {
			a.log.Error("latch: session", "err", err)
		}
		x.clearSession(names)
		x.json(http.StatusOK, struct{}{})
		return
	}
	if f := a.cfg.Events.Session; f != nil {
		f(ctx, SessionEvent{Session: sess, Token: token})
	}
	x.json(http.StatusOK, sess)
}

var errSessionEnded = errors.New("latch: the JWT callback ended the session")

func (a *Auth) decodeToken(raw string) (Token, error) {
	claims, err := a.sessions.Decode(raw, a.now())
	return Token(claims), err
}

func (a *Auth) runJWT(ctx context.Context, p *JWTParams) (Token, error) {
	if a.cfg.Callbacks.JWT == nil {
		return p.Token, nil
	}
	t, err := a.cfg.Callbacks.JWT(ctx, p)
	if err == nil && t == nil {
		err = errSessionEnded
	}
	return t, err
}

// sessionFor builds the session JSON of a token and runs the Session
// callback.
func (a *Auth) sessionFor(ctx context.Context, t Token, expires time.Time, update bool, data json.RawMessage) (*Session, error) {
	s := &Session{
		User:    SessionUser{Name: t.Name(), Email: t.Email(), Image: t.Picture()},
		Expires: expires,
	}
	if a.cfg.Callbacks.Session == nil {
		return s, nil
	}
	p := &SessionParams{Session: s, Token: t}
	if update {
		p.Trigger, p.UpdateData = "update", data
	}
	s, err := a.cfg.Callbacks.Session(ctx, p)
	if err == nil && s == nil {
		err = errSessionEnded
	}
	return s, err
}

// writeSession encrypts token into the session cookie(s), clearing chunks
// of the old value (names) that the new one does not reuse.
func (x *exchange) writeSession(t Token, names []string, expires time.Time) error {
	now := x.a.now()
	value, err := x.a.sessions.Encode(jwt.Claims(t), now, x.a.cfg.MaxAge)
	if err != nil {
		return err
	}
	x.clearSession(names)
	for _, c := range cookie.Split(x.names.session, value) {
		x.setCookie(c.Name, cookie.Serialize(c.Name, c.Value, -1, expires, x.names.opts))
	}
	return nil
}

func (x *exchange) clearSession(names []string) {
	for _, n := range names {
		x.setCookie(n, cookie.Clear(n, x.names.opts))
	}
}

// Token returns the decoded session token of r, read from the session
// cookie or an "Authorization: Bearer" header, or nil when there is no
// valid one. It does not run the JWT callback.
func (a *Auth) Token(r *http.Request) Token {
	names := a.namesFor(a.requestOrigin(r))
	raw, _ := cookie.Join(names.session, cookie.Read(r))
	if raw == "" {
		bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok {
			return nil
		}
		raw = cookie.Decode(strings.TrimSpace(bearer))
	}
	t, err := a.decodeToken(raw)
	if err != nil {
		return nil
	}
	return t
}

// Session returns the session of r, as GET <base>/session would answer it
// (after the JWT and Session callbacks), or nil when nobody is signed in.
// It is the getServerSession of Go. It does not extend the session.
func (a *Auth) Session(r *http.Request) *Session {
	if s, ok := r.Context().Value(contextKey{a.ctxKey}).(*Session); ok {
		return s
	}
	t := a.Token(r)
	if t == nil {
		return nil
	}
	ctx := r.Context()
	t, err := a.runJWT(ctx, &JWTParams{Token: t})
	if err != nil {
		return nil
	}
	s, err := a.sessionFor(ctx, t, a.now().Add(a.cfg.MaxAge), false, nil)
	if err != nil {
		return nil
	}
	return s
}
