package latch

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Require lets requests with a session through to next, with the session
// available from [Auth.Session] without decoding it again. Without one, a browser
// navigating to a page (GET or HEAD asking for HTML) is redirected to the
// sign-in page with callbackUrl set to the page; any other request gets
// 401 with {"error":"SessionRequired"}.
//
// Require keeps the sessions it sees alive, so that a user active on
// pages that never call GET <base>/session stays signed in: once a
// session was last extended [Config.UpdateAge] ago (a day by default), it
// extends it to a full MaxAge, with a new session cookie on the response,
// which is then kept Cache-Control: private, no-store whatever next sets.
func (a *Auth) Require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, sc := a.session(r)
		if s != nil {
			var now time.Time
			if sc != nil {
				now = sc.now // no need to read the clock again
			} else {
				now = a.now()
				sc = &sessionContext{s: s}
			}
			if a.keepAliveAt(w, r, s, now) {
				w = &privateWriter{ResponseWriter: w}
			}
			sc.Context, sc.key = r.Context(), a.ctxKey
			next.ServeHTTP(w, r.WithContext(sc))
			return
		}
		w.Header().Add("Vary", "Cookie")
		w.Header().Set("Cache-Control", "private, no-store")
		if wantsHTML(r) {
			origin := a.requestOrigin(r)
			signIn := a.cfg.Pages.SignIn
			if signIn == "" {
				signIn = a.basePath + "/signin"
			}
			http.Redirect(w, r, withQuery(signIn, "callbackUrl="+url.QueryEscape(origin+r.URL.RequestURI())), http.StatusFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("WWW-Authenticate", `Bearer realm="latch"`)
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"error":"SessionRequired"}` + "\n"))
	})
}

func wantsHTML(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// KeepAlive extends s, the session of r, as [Auth.Require] does: once it
// was last extended [Config.UpdateAge] ago or more, it writes a new session
// cookie on w and reports true; the response must then not be stored by
// shared caches (send Cache-Control: private, no-store). A handler that
// checks sessions itself, such as a forward-auth endpoint, calls it to keep
// active users signed in.
func (a *Auth) KeepAlive(w http.ResponseWriter, r *http.Request, s *Session) bool {
	if s == nil {
		return false
	}
	return a.keepAlive(w, r, s)
}
