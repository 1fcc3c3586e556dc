package latch

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/latchauth/latch/internal/claims"
	"github.com/latchauth/latch/internal/cookie"
	"github.com/latchauth/latch/internal/jsonobj"
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
	raw, names := cookie.JoinAppend(x.namesBuf[:0], x.names.session, x.cookies)
	if raw == "" {
		if len(names) > 0 {
			x.clearSession(names)
		}
		x.json(http.StatusOK, struct{}{})
		return
	}
	if a.cfg.Strategy == DatabaseSessions {
		a.serveDatabaseSession(x, raw, names, update)
		return
	}
	ctx := x.r.Context()
	now := a.now()
	expires := now.Add(a.cfg.MaxAge)
	var p *JWTParams
	if update {
		p = &JWTParams{Trigger: "update", UpdateData: x.body.Data}
	}
	sess, token, value, header, err := a.refresh(x.r, x.names, raw, p, now, &x.session)
	if err != nil {
		if !errors.Is(err, jwt.ErrInvalidToken) && !errors.Is(err, errSessionEnded) {
			a.log.Error("latch: session", "err", err)
		}
		x.clearSession(names)
		x.json(http.StatusOK, struct{}{})
		return
	}
	x.writeSessionCookie(value, header, names, expires)
	a.markStoreRefused(ctx, sess)
	if f := a.cfg.Events.Session; f != nil {
		f(ctx, SessionEvent{Session: sess, Token: token})
	}
	x.writeSessionJSON(sess)
}

func (x *exchange) writeSessionJSON(sess *Session) {
	bp := bufPool.Get().(*[]byte)
	defer putBuf(bp)
	body, err := sess.appendJSON((*bp)[:0])
	if err != nil {
		x.a.log.Error("latch: encode session", "err", err)
		x.json(http.StatusInternalServerError, struct{}{})
		return
	}
	*bp = body
	x.writeCookies()
	x.w.Header()["Content-Type"] = hdrJSON
	x.w.Write(body) // a Writer keeps no part of its argument
}

// bufPool holds buffers for JSON that lives during one call only, until
// it is written to a response.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// putBuf returns a buffer of bufPool unless it grew too large to keep.
func putBuf(bp *[]byte) {
	if cap(*bp) <= 64<<10 {
		*bp = (*bp)[:0]
		bufPool.Put(bp)
	}
}

// refresh reads a session cookie value and returns the session, the token
// (nil when no callback or event needs it) and the re-encrypted cookie
// value with a fresh expiry; without callbacks also the Set-Cookie header
// that carries the value when it fits in one cookie (else header is "").
// p carries the JWT callback's trigger; now is the time of the request,
// the session expires MaxAge later. Without callbacks the session is
// written into into.
func (a *Auth) refresh(r *http.Request, names *cookieNames, raw string, p *JWTParams, now time.Time, into *Session) (_ *Session, _ Token, value, header string, _ error) {
	ctx := r.Context()
	expires := now.Add(a.cfg.MaxAge)
	codec := names.sessions
	if a.cfg.Callbacks.JWT == nil && a.cfg.Callbacks.Session == nil && a.cfg.Events.Session == nil {
		// The common case: the token goes back unchanged but for its
		// times, so it is never decoded into a map.
		payload, err := codec.Open(raw)
		if err != nil {
			return nil, nil, "", "", err
		}
		var members [16]jsonobj.Member // the usual token fits: no allocation
		obj, err := jsonobj.ParseInto(members[:0], payload)
		if err != nil {
			return nil, nil, "", "", fmt.Errorf("%w: %w", jwt.ErrInvalidToken, err)
		}
		c := payloadClaimsOf(obj)
		if err := claims.CheckRaw(c.iat, c.nbf, c.exp, now); err != nil {
			return nil, nil, "", "", fmt.Errorf("%w: %w", jwt.ErrInvalidToken, err)
		}
		if a.endedObj(r, obj) {
			return nil, nil, "", "", errSessionRevoked
		}
		sess := into
		*sess = Session{Expires: expires}
		sess.setPayloadClaims(&c)
		if a.cfg.ProviderTokens.Enabled && a.cfg.Store == nil {
			if raw := obj.Get(tokensClaim); raw != nil {
				if a.cfg.ProviderTokens.RefreshOnSession {
					if updated, changed := a.refreshSessionTokens(ctx, raw); changed {
						obj, raw = obj.Set(tokensClaim, updated), updated
					}
				}
				if refusedIn(raw) {
					markRefused(sess)
				}
			}
		}
		iat := now.Unix()
		sc := refreshPool.Get().(*refreshScratch)
		// One buffer holds the new iat, exp and jti values.
		times := strconv.AppendInt(sc.times[:0], iat, 10)
		n1 := len(times)
		times = strconv.AppendInt(times, iat+int64(a.cfg.MaxAge/time.Second), 10)
		n2 := len(times)
		times = appendQuotedUUID(times)
		obj = obj.Set("iat", times[:n1]).Set("exp", times[n1:n2]).Set("jti", times[n2:])
		sc.payload = obj.AppendTo(sc.payload[:0])
		value, header, err = sealSessionCookie(names, sc.payload, expires)
		if cap(sc.payload) <= 64<<10 {
			refreshPool.Put(sc)
		}
		return sess, nil, value, header, err
	}
	payload, err := codec.DecodePayload(raw, now)
	if err != nil {
		return nil, nil, "", "", err
	}
	var token Token
	d := json.NewDecoder(bytes.NewReader(payload))
	d.UseNumber()
	if err := d.Decode(&token); err != nil {
		return nil, nil, "", "", fmt.Errorf("%w: %w", jwt.ErrInvalidToken, err)
	}
	if a.endedToken(r, token) {
		return nil, nil, "", "", errSessionRevoked
	}
	if p == nil {
		p = &JWTParams{}
	}
	p.Token = token
	before := maps.Clone(token)
	if token, err = a.runJWT(ctx, p); err != nil {
		return nil, nil, "", "", err
	}
	if a.revocations != nil {
		keepSessionClaims(before, token)
	}
	if pt := &a.cfg.ProviderTokens; pt.Enabled && pt.RefreshOnSession && a.cfg.Store == nil {
		a.refreshTokenClaim(ctx, token)
	}
	sess, err := a.sessionFor(ctx, token, expires, p.Trigger == "update", p.UpdateData)
	if err != nil {
		return nil, nil, "", "", err
	}
	value, err = codec.Encode(jwt.Claims(token), now, a.cfg.MaxAge)
	return sess, token, value, "", err
}

// refreshScratch holds the parts of a refreshed token payload until it
// is encrypted.
type refreshScratch struct {
	times   [64]byte // the new iat, exp and jti
	payload []byte
}

var refreshPool = sync.Pool{New: func() any { return &refreshScratch{payload: make([]byte, 0, 1024)} }}

// sealSessionCookie encrypts payload into a session cookie value and,
// when the value fits in one cookie, builds the cookie's Set-Cookie header
// in the same allocation: value is then a part of header. header is ""
// for a value that needs chunks.
func sealSessionCookie(names *cookieNames, payload []byte, expires time.Time) (value, header string, err error) {
	name := names.session
	b := make([]byte, 0, len(name)+1+names.sessions.EncodedLen(len(payload))+cookie.AttributesLen(-1, expires, names.opts))
	b = append(b, name...)
	b = append(b, '=')
	start := len(b)
	// A token is base64url and dots: encodeURIComponent keeps it as it
	// is (TestTokensNeedNoCookieEncoding).
	if b, err = names.sessions.AppendEncodePayload(b, payload); err != nil {
		return "", "", err
	}
	end := len(b)
	if end-start <= cookie.ChunkSize {
		b = cookie.AppendAttributes(b, -1, expires, names.opts)
	}
	// b is not written again: the string shares its bytes, as
	// strings.Builder does.
	s := unsafe.String(unsafe.SliceData(b), len(b))
	if end-start > cookie.ChunkSize {
		return s[start:end], "", nil
	}
	return s[start:end], s, nil
}

// appendQuotedUUID appends a random (version 4) UUID as a JSON string.
func appendQuotedUUID(b []byte) []byte {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	b = append(b, '"')
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	b = append(b, s[:]...)
	return append(b, '"')
}

var (
	errSessionEnded   = errors.New("latch: the JWT callback ended the session")
	errSessionRevoked = fmt.Errorf("%w: the session was revoked", errSessionEnded)
)

// endedObj reports whether the session of a token payload was revoked
// (see revoked), and records that it was seen (see sawSession).
func (a *Auth) endedObj(r *http.Request, obj jsonobj.Object) bool {
	if a.revocations == nil {
		return false
	}
	// A token without a sign-in time (from before sessions were
	// revocable) counts as signed in at 0: any mark of its user ends it.
	// "iat" would not do: every refresh moves it.
	at, _ := obj.Number("auth_time")
	// The usual IDs are plain ASCII: looked up without copying them.
	sub, ok1 := obj.PlainString("sub")
	sid, ok2 := obj.PlainString("sid")
	if !ok1 || !ok2 {
		subS, _ := obj.String("sub")
		sidS, _ := obj.String("sid")
		sub, sid = []byte(subS), []byte(sidS)
	}
	if a.revokedRaw(r.Context(), sub, sid, at) {
		return true
	}
	a.sawSessionRaw(r, sub, sid, at)
	return false
}

// endedToken is endedObj for a decoded token.
func (a *Auth) endedToken(r *http.Request, t Token) bool {
	if a.revocations == nil {
		return false
	}
	var at float64 // none: signed in at 0, as in endedObj
	switch v := t["auth_time"].(type) {
	case json.Number:
		at, _ = v.Float64()
	case float64:
		at = v
	}
	sid := t.str("sid")
	if a.revoked(r.Context(), t.Subject(), sid, at) {
		return true
	}
	a.sawSession(r, t.Subject(), sid, at)
	return false
}

// rawSessionCookie is the session cookie's value, joined from its chunks.
func (a *Auth) rawSessionCookie(r *http.Request) (string, []string) {
	return cookie.Join(a.namesFor(a.requestOrigin(r)).session, cookie.Read(r))
}

// rawSession is the session cookie's value, or a bearer token.
func (a *Auth) rawSession(r *http.Request, names *cookieNames) string {
	raw := cookie.Value(r, names.session)
	if raw == "" {
		if bearer, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			raw = cookie.Decode(strings.TrimSpace(bearer))
		}
	}
	return raw
}

func (a *Auth) decodeToken(codec *jwt.Codec, raw string) (Token, error) {
	claims, err := codec.Decode(raw, a.now())
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
		User:    sessionUserOf(t),
		Expires: expires,
		userID:  t.Subject(),
	}
	if a.tokenRefused(t) {
		markRefused(s)
	}
	if a.cfg.Callbacks.Session == nil {
		s.setUserID(s.userID)
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
	if s != nil {
		s.setUserID(t.Subject()) // on the session the callback returned
	}
	return s, err
}

// writeSession encrypts token into the session cookie(s), clearing chunks
// of the old value (names) that the new one does not reuse.
func (x *exchange) writeSession(t Token, names []string, expires time.Time) error {
	value, err := x.names.sessions.Encode(jwt.Claims(t), x.a.now(), x.a.cfg.MaxAge)
	if err != nil {
		return err
	}
	x.writeSessionValue(value, names, expires)
	return nil
}

func (x *exchange) writeSessionValue(value string, names []string, expires time.Time) {
	x.writeSessionCookie(value, "", names, expires)
}

// writeSessionCookie is writeSessionValue with the Set-Cookie header of
// value when it fits in one cookie, or "" to have it built.
func (x *exchange) writeSessionCookie(value, header string, names []string, expires time.Time) {
	name := x.names.session
	if len(value) <= cookie.ChunkSize && (len(names) == 0 || len(names) == 1 && names[0] == name) {
		// One cookie that replaces the request's one, or none: nothing
		// to clear, and the place of the header is the one clearing
		// first would give it.
		if header == "" {
			header = cookie.Serialize(name, value, -1, expires, x.names.opts)
		}
		x.setCookie(name, header)
		return
	}
	x.clearSession(names)
	for _, c := range cookie.Split(x.names.session, value) {
		x.setCookie(c.Name, cookie.Serialize(c.Name, c.Value, -1, expires, x.names.opts))
	}
}

func (x *exchange) clearSession(names []string) {
	for _, n := range names {
		x.setCookie(n, cookie.Clear(n, x.names.opts))
	}
}

// Token returns the decoded session token of r, read from the session
// cookie or an "Authorization: Bearer" header, or nil when there is no
// valid one. It does not run the JWT callback. With database sessions it
// returns nil.
func (a *Auth) Token(r *http.Request) Token {
	if a.cfg.Strategy == DatabaseSessions {
		return nil
	}
	names := a.namesFor(a.requestOrigin(r))
	raw := a.rawSession(r, names)
	if raw == "" {
		return nil
	}
	t, err := a.decodeToken(names.sessions, raw)
	if err != nil || a.endedToken(r, t) {
		return nil
	}
	return t
}

// Session returns the session of r, as GET <base>/session would answer it
// (after the JWT and Session callbacks), or nil when nobody is signed in.
// It is the getServerSession of Go. It does not extend the session.
// With the local provider (Config.Local), a request with an
// "Authorization: Bearer" access token and no session cookie gets the
// session of that token: checked signature, expiry and issuer, and a
// sign-in that has not ended; the Session callback runs with the token's
// claims.
func (a *Auth) Session(r *http.Request) *Session {
	s, _ := a.session(r)
	return s
}

// session is Session. When the session comes from plainSession, sc is the
// sessionContext that holds it, for Require to hand on.
func (a *Auth) session(r *http.Request) (s *Session, sc *sessionContext) {
	if s, ok := r.Context().Value(contextKey{a.ctxKey}).(*Session); ok {
		return s, nil
	}
	if a.local != nil {
		if s, ok := a.localSession(r); ok {
			return s, nil
		}
	}
	if a.cfg.Strategy == DatabaseSessions {
		return a.databaseSession(r), nil
	}
	if a.cfg.Callbacks.JWT == nil && a.cfg.Callbacks.Session == nil {
		if sc := a.plainSession(r); sc != nil {
			return sc.s, sc
		}
		return nil, nil
	}
	t := a.Token(r)
	if t == nil {
		return nil, nil
	}
	ctx := r.Context()
	t, err := a.runJWT(ctx, &JWTParams{Token: t})
	if err != nil {
		return nil, nil
	}
	s, err = a.sessionFor(ctx, t, a.now().Add(a.cfg.MaxAge), false, nil)
	if err != nil {
		return nil, nil
	}
	s.renewed, s.token = t.issuedAt(), t
	return s, nil
}

// keepAlive extends the session of r, read from its cookie, once it was
// last extended UpdateAge ago or more: the extension GET <base>/session
// makes, for pages that never call it. It writes the new session cookie
// on w and reports whether it did; the response must then stay private
// (see privateWriter). A session from a bearer token is left as it is.
// The callbacks are not run again: s already went through them.
func (a *Auth) keepAlive(w http.ResponseWriter, r *http.Request, s *Session) bool {
	return a.keepAliveAt(w, r, s, a.now())
}

// keepAliveAt is keepAlive at now, the time s was read.
func (a *Auth) keepAliveAt(w http.ResponseWriter, r *http.Request, s *Session, now time.Time) bool {
	if s.renewed.IsZero() || now.Sub(s.renewed) < a.cfg.UpdateAge {
		return false
	}
	x := a.newExchange(w, r, "", "")
	raw, names := cookie.Join(x.names.session, x.cookies)
	if raw == "" {
		return false
	}
	expires := now.Add(a.cfg.MaxAge)
	if a.cfg.Strategy == DatabaseSessions {
		if err := a.cfg.Store.UpdateSessionExpiry(r.Context(), raw, expires); err != nil {
			if !errors.Is(err, ErrNotFound) { // not revoked since it was read
				a.log.Error("latch: extend session", "err", err)
			}
			return false
		}
		x.writeSessionValue(raw, names, expires)
	} else {
		t := s.sessionToken()
		if t == nil {
			return false
		}
		if err := x.writeSession(t, names, expires); err != nil {
			a.log.Error("latch: extend session", "err", err)
			return false
		}
	}
	x.writeCookies()
	s.renewed = now // a nested Require does not extend it again
	return true
}

// privateWriter makes a response that carries a new session cookie
// private, whatever the handler says about caching: no shared cache may
// keep one user's cookie for others.
type privateWriter struct {
	http.ResponseWriter
	wroteHeader bool
}

func (w *privateWriter) WriteHeader(code int) {
	h := w.Header()
	h.Set("Cache-Control", "private, no-store")
	if !w.wroteHeader {
		h.Add("Vary", "Cookie")
	}
	w.wroteHeader = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *privateWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer (Flush,
// Hijack for WebSockets, deadlines).
func (w *privateWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// plainSession is Session(r) for JWT sessions without a JWT or Session
// callback: the session comes straight from the payload, which is decoded
// into a Token only if Require has to extend the session (see
// Session.payload). TestPlainSessionMatchesGeneral compares it with the
// general path. The session is allocated inside the sessionContext that
// Require hands on, whose s it is; nil when there is no valid session.
func (a *Auth) plainSession(r *http.Request) *sessionContext {
	names := a.namesFor(a.requestOrigin(r))
	raw := a.rawSession(r, names)
	if raw == "" {
		return nil
	}
	payload, err := names.sessions.Open(raw)
	if err != nil {
		return nil
	}
	var members [16]jsonobj.Member // the usual token fits: no allocation
	obj, err := jsonobj.ParseInto(members[:0], payload)
	if err != nil {
		return nil
	}
	now := a.now()
	c := payloadClaimsOf(obj)
	if claims.CheckRaw(c.iat, c.nbf, c.exp, now) != nil || a.endedObj(r, obj) {
		return nil
	}
	sc := &sessionContext{now: now}
	s := &sc.own
	sc.s = s
	s.Expires, s.payload = now.Add(a.cfg.MaxAge), payload
	s.setPayloadClaims(&c)
	if iat, ok := jsonobj.NumberValue(c.iat); ok && iat > 0 {
		s.renewed = time.Unix(int64(iat), 0)
	}
	return sc
}

// payloadClaims are the raw values (nil when absent) of the claims the
// session fast paths read, found in one pass over a token payload's
// members; TestPayloadClaimsOf compares them with Object.Get.
type payloadClaims struct {
	name, email, picture, sub, iat, nbf, exp []byte
}

func payloadClaimsOf(obj jsonobj.Object) payloadClaims {
	var c payloadClaims
	for _, m := range obj {
		var p *[]byte
		if k, ok := m.PlainKey(); ok {
			p = claimField(&c, k)
		} else {
			p = claimField(&c, m.Key())
		}
		if p != nil {
			*p = m.Value
		}
	}
	return c
}

// claimField is the field of c for a claim name, or nil.
func claimField[K string | []byte](c *payloadClaims, key K) *[]byte {
	switch string(key) { // no conversion: compared in place
	case "name":
		return &c.name
	case "email":
		return &c.email
	case "picture":
		return &c.picture
	case "sub":
		return &c.sub
	case "iat":
		return &c.iat
	case "nbf":
		return &c.nbf
	case "exp":
		return &c.exp
	}
	return nil
}

// setPayloadClaims sets the user and user ID of s from the claims of a
// token payload that was just decrypted (see payloadString).
func (s *Session) setPayloadClaims(c *payloadClaims) {
	for _, f := range [...]struct {
		f   uint8
		raw []byte
	}{{fieldName, c.name}, {fieldEmail, c.email}, {fieldImage, c.picture}} {
		v, _ := payloadString(f.raw)
		s.User.setClaim(f.f, v, f.raw != nil, string(f.raw) == "null")
	}
	sub, _ := payloadString(c.sub)
	s.setUserID(sub)
}

// payloadString is jsonobj.StringValue(v) for a value in a freshly
// decrypted token payload, which nothing writes again: a value without
// escapes is returned as a string that shares the payload's bytes, as
// strings.Builder shares its buffer's, instead of a copy.
func payloadString(v []byte) (string, bool) {
	if b, ok := jsonobj.PlainStringValue(v); ok {
		if len(b) == 0 {
			return "", true
		}
		return unsafe.String(&b[0], len(b)), true
	}
	return jsonobj.StringValue(v)
}

// sessionContext is the context Require hands to the next handler: its
// parent with the session, allocated with the session itself (own) when
// plainSession made it.
type sessionContext struct {
	context.Context
	key *int     // the Auth's context key (contextKey)
	s   *Session // &own, or a session made elsewhere
	own Session
	now time.Time // when plainSession read own
}

// Value returns the session for the Auth's contextKey, and asks the
// parent for any other key.
func (c *sessionContext) Value(key any) any {
	if k, ok := key.(contextKey); ok && k.key == c.key {
		return c.s
	}
	return c.Context.Value(key)
}

// sessionToken is the token of a JWT session, decoded from its payload
// when plainSession left it for later.
func (s *Session) sessionToken() Token {
	if s.token == nil && s.payload != nil {
		d := json.NewDecoder(bytes.NewReader(s.payload))
		d.UseNumber()
		var t Token
		if d.Decode(&t) == nil {
			s.token = t
		}
	}
	return s.token
}
