package latch

import (
	"context"
	"errors"
	"net/http"
)

// localRefresh answers POST <base>/local/refresh. Only the body's
// refreshToken counts: the Authorization header (an expired access
// token, or "null") is ignored.
func (a *Auth) localRefresh(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readBody(w, r, false)
	if !ok {
		return
	}
	presented, err := body.String("refreshToken")
	if err != nil {
		fieldError(w, err)
		return
	}
	if presented == "" {
		localJSON(w, http.StatusBadRequest, localError{Error: "InvalidRequest", Message: "refreshToken is required", Field: "refreshToken"})
		return
	}
	ctx := r.Context()
	next, fam, err := a.useRefreshToken(ctx, presented)
	switch {
	case errors.Is(err, errRevoked):
		w.Header().Set("WWW-Authenticate", `Bearer realm="latch", error="invalid_token"`)
		localJSON(w, http.StatusUnauthorized, localError{Error: CodeSessionRequired, Message: "The refresh token is not valid."})
		return
	case err != nil:
		a.log.Error("latch: refresh", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: "Configuration", Message: "The refresh could not be completed."})
		return
	}
	token, err := a.accessToken(ctx, fam, a.now())
	if err != nil {
		a.log.Error("latch: sign an access token", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: "Configuration", Message: "The refresh could not be completed."})
		return
	}
	localJSON(w, http.StatusOK, tokenPair{Token: token, RefreshToken: next})
}

// useRefreshToken checks a presented refresh token and returns the
// refresh token to use from now on (the same one, or with rotation its
// successor) and the family, with the user's current name, email and
// image. errRevoked: not a valid token.
func (a *Auth) useRefreshToken(ctx context.Context, presented string) (string, *RefreshFamily, error) {
	l := a.local
	if len(presented) > 512 {
		return "", nil, errRevoked
	}
	hash := hashToken(presented)
	tok, fam, err := l.store.RefreshToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return "", nil, errRevoked
	}
	if err != nil {
		return "", nil, err
	}
	now := a.now()
	if !fam.Expires.After(now) {
		if err := a.revokeFamily(ctx, fam.ID); err != nil {
			a.log.Error("latch: delete an expired refresh token", "err", err)
		}
		return "", nil, errRevoked
	}
	next := presented
	if l.cfg.Rotate {
		if tok.Rotated.IsZero() {
			next = a.successor(a.cfg.Secrets[0], presented)
			err := l.store.RotateRefreshToken(ctx, hash, RefreshToken{Hash: hashToken(next), Family: fam.ID, Created: now})
			switch {
			case errors.Is(err, ErrConflict):
				// Rotated meanwhile, by a request racing this one.
				if tok, _, err = l.store.RefreshToken(ctx, hash); err != nil {
					if errors.Is(err, ErrNotFound) {
						return "", nil, errRevoked
					}
					return "", nil, err
				}
			case errors.Is(err, ErrNotFound):
				return "", nil, errRevoked
			case err != nil:
				return "", nil, err
			}
		}
		if !tok.Rotated.IsZero() {
			if now.Sub(tok.Rotated) > l.cfg.Grace {
				a.log.Warn("latch: a refresh token was used again after it was rotated; the sign-in is revoked (a stolen token?)",
					"sid", fam.ID, "user", fam.UserID, "rotated", tok.Rotated)
				if err := a.revokeFamily(ctx, fam.ID); err != nil {
					a.log.Error("latch: revoke a sign-in", "err", err)
				}
				return "", nil, errRevoked
			}
			next = ""
			for _, s := range a.cfg.Secrets {
				if cand := a.successor(s, presented); hashToken(cand) == tok.Successor {
					next = cand
					break
				}
			}
			if next == "" {
				return "", nil, errRevoked // rotated with a secret no longer configured
			}
		}
	}
	if err := l.store.TouchRefreshFamily(ctx, fam.ID, now, now.Add(l.cfg.RefreshTokenTTL)); err != nil {
		if errors.Is(err, ErrNotFound) {
			return "", nil, errRevoked
		}
		return "", nil, err
	}
	if u, err := a.cfg.Store.User(ctx, fam.UserID); err == nil {
		fam.Name, fam.Email, fam.Image = u.Name, u.Email, u.Image
	} else if !errors.Is(err, ErrNotFound) {
		return "", nil, err
	}
	return next, fam, nil
}

// localLogout answers POST <base>/local/logout: it revokes the sign-in of
// the body's refreshToken and of a valid access token. Always 200 {}.
func (a *Auth) localLogout(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readBody(w, r, true)
	if !ok {
		return
	}
	ctx := r.Context()
	sids := map[string]bool{}
	if t := bearerToken(r); t != "" && isJWS(t) {
		if c, err := a.local.verifier.Verify(ctx, t); err == nil && c.SessionID != "" {
			sids[c.SessionID] = true
		}
	}
	if rt, _ := body.String("refreshToken"); rt != "" && len(rt) <= 512 {
		if _, fam, err := a.local.store.RefreshToken(ctx, hashToken(rt)); err == nil {
			sids[fam.ID] = true
		} else if !errors.Is(err, ErrNotFound) {
			a.log.Error("latch: sign-out: read refresh token", "err", err)
		}
	}
	for sid := range sids {
		if err := a.revokeFamily(ctx, sid); err != nil {
			a.log.Error("latch: sign-out: revoke", "err", err)
		}
	}
	if len(sids) > 0 {
		if f := a.cfg.Events.SignOut; f != nil {
			f(ctx, SignOutEvent{Request: r})
		}
	}
	localJSON(w, http.StatusOK, struct{}{})
}

// localRegister answers POST <base>/local/register.
func (a *Auth) localRegister(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readBody(w, r, false)
	if !ok {
		return
	}
	fields, err := body.Strings("email", "username", "password", "name")
	if err != nil {
		fieldError(w, err)
		return
	}
	if fields["email"] == "" && fields["username"] != "" {
		fields["email"] = fields["username"]
	}
	user, err := a.local.cfg.SignUp(r.Context(), r, fields)
	var se *SignUpError
	var le *Error
	switch {
	case errors.As(err, &se):
		status := se.Status
		if status == 0 {
			status = http.StatusBadRequest
		}
		code := se.Code
		if code == "" {
			code = "InvalidField"
		}
		localJSON(w, status, localError{Error: code, Message: se.Message, Field: se.Field})
		return
	case errors.As(err, &le):
		a.refusal(w, r, "register", le)
		return
	case err != nil || user == nil:
		a.log.Error("latch: sign-up failed", "err", err)
		localJSON(w, http.StatusInternalServerError, localError{Error: "Configuration", Message: "The sign-up could not be completed."})
		return
	}
	if f := a.cfg.Events.CreateUser; f != nil {
		f(r.Context(), CreateUserEvent{User: user})
	}
	s := &Session{User: SessionUser{Name: user.Name, Email: user.Email, Image: user.Image}, userID: user.ID}
	b, _ := flatUserJSON(s)
	w.Header()["Content-Type"] = hdrJSON
	w.WriteHeader(http.StatusCreated)
	w.Write(b)
}

// serveJWKS answers the public keys of access tokens.
func (a *Auth) serveJWKS(w http.ResponseWriter, r *http.Request) {
	b, err := a.local.keys.jwksJSON(r.Context())
	if err != nil {
		a.log.Error("latch: JWKS", "err", err)
		localJSON(w, http.StatusServiceUnavailable, localError{Error: "Unavailable"})
		return
	}
	h := w.Header()
	delete(h, "Pragma")
	delete(h, "Expires")
	h.Set("Cache-Control", "public, max-age=300")
	h.Set("Content-Type", "application/jwk-set+json")
	w.Write(b)
}

// JWKSHandler serves the public keys of the local provider's access
// tokens (as GET <base>/local/jwks does), e.g. to mount at
// /.well-known/jwks.json. It answers 404 when the local provider is off.
func (a *Auth) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.local == nil {
			http.NotFound(w, r)
			return
		}
		a.cors(w, r, true)
		a.serveJWKS(w, r)
	})
}

// RevokeUserSignIns ends every sign-in of the user with the local
// provider (its refresh tokens stop working at once, its access tokens
// at Latch at once and elsewhere when they expire) and returns how many
// there were.
func (a *Auth) RevokeUserSignIns(ctx context.Context, userID string) (int, error) {
	if a.local == nil {
		return 0, errors.New("latch: RevokeUserSignIns needs Local.Enabled")
	}
	fams, err := a.local.store.UserRefreshFamilies(ctx, userID)
	if err != nil {
		return 0, err
	}
	a.local.mu.Lock()
	for _, f := range fams {
		delete(a.local.live, f.ID)
	}
	a.local.mu.Unlock()
	return a.local.store.DeleteUserRefreshFamilies(ctx, userID)
}
