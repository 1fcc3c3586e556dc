package latch_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
)

// TestSessionUserID checks that Go code sees the signed-in user's ID in
// Session.User.ID on every path that builds a session, while GET /session
// writes the same JSON as NextAuth: no "id" unless a Session callback sets
// one.
func TestSessionUserID(t *testing.T) {
	sessionJSON := `{"user":{"name":"J Smith","email":"j@example.com"},"expires":"` + t0.Add(maxAge30d).Format(isoMillis) + `"}`
	tests := []struct {
		name     string
		opts     func(*latch.Config)
		wantID   string // User.ID seen in Go
		wantJSON string // GET /session
	}{
		{"no callbacks", nil, "1", sessionJSON},
		{"JWT callback", func(c *latch.Config) {
			c.Callbacks.JWT = func(_ context.Context, p *latch.JWTParams) (latch.Token, error) { return p.Token, nil }
		}, "1", sessionJSON},
		{"Session callback that leaves the ID alone", func(c *latch.Config) {
			c.Callbacks.Session = func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
				if p.Session.User.ID != "" {
					t.Errorf("Session callback: User.ID = %q; want it empty, as NextAuth's session.user.id", p.Session.User.ID)
				}
				if p.Session.UserID() != "1" {
					t.Errorf("Session callback: UserID() = %q; want 1", p.Session.UserID())
				}
				return p.Session, nil
			}
		}, "1", sessionJSON},
		{"Session callback that sets the ID", func(c *latch.Config) {
			c.Callbacks.Session = func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
				p.Session.User.ID = p.Token.Subject()
				return p.Session, nil
			}
		}, "1", `{"user":{"id":"1","name":"J Smith","email":"j@example.com"},"expires":"` + t0.Add(maxAge30d).Format(isoMillis) + `"}`},
		{"Session callback that sets another ID", func(c *latch.Config) {
			c.Callbacks.Session = func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
				return &latch.Session{User: latch.SessionUser{ID: "u-1", Name: p.Session.User.Name}, Expires: p.Session.Expires}, nil
			}
		}, "u-1", `{"user":{"id":"u-1","name":"J Smith"},"expires":"` + t0.Add(maxAge30d).Format(isoMillis) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var events []*latch.Session
			opts := []func(*latch.Config){func(c *latch.Config) {
				c.Events.Session = func(_ context.Context, e latch.SessionEvent) { events = append(events, e.Session) }
			}}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			h := newHarness(t, opts...)
			b := h.browser()
			b.signIn()
			res := b.get("/session")
			wantStatus(t, res, http.StatusOK)
			wantBody(t, res, tt.wantJSON)
			if len(events) != 1 || events[0].User.ID != tt.wantID || events[0].UserID() != "1" {
				t.Errorf("Events.Session: got %+v; want User.ID %q and UserID() 1", events, tt.wantID)
			}

			req := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
			req.Header.Set("Cookie", b.cookieHeader())
			s := h.auth.Session(req)
			if s == nil || s.User.ID != tt.wantID || s.UserID() != "1" {
				t.Fatalf("Session(r): got %+v; want User.ID %q and UserID() 1", s, tt.wantID)
			}
			// What Go code gets marshals to what GET /session answered.
			if got, err := json.Marshal(s); err != nil || string(got) != tt.wantJSON {
				t.Errorf("json.Marshal(Session(r)): got %s, %v; want %s", got, err, tt.wantJSON)
			}
			var seen *latch.Session
			w := httptest.NewRecorder()
			h.auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = h.auth.Session(r) })).ServeHTTP(w, req)
			if seen == nil || seen.User.ID != tt.wantID {
				t.Errorf("Session in Require: got %+v; want User.ID %q", seen, tt.wantID)
			}
		})
	}
}

// TestSessionUserIDChanged checks that an ID Go code writes into a
// session Latch made is written out: only the ID Latch filled in is left
// out of the JSON.
func TestSessionUserIDChanged(t *testing.T) {
	h := newHarness(t)
	b := h.browser()
	b.signIn()
	req := httptest.NewRequest(http.MethodGet, httpOrigin+"/dash", nil)
	req.Header.Set("Cookie", b.cookieHeader())
	s := h.auth.Session(req)
	if s == nil {
		t.Fatal("Session(r): got nil; want the session")
	}
	s.User.ID = "other"
	got, _ := json.Marshal(s)
	want := `{"user":{"id":"other","name":"J Smith","email":"j@example.com"},"expires":"` + t0.Add(maxAge30d).Format(isoMillis) + `"}`
	if string(got) != want {
		t.Errorf("got %s; want %s", got, want)
	}
}

// TestDatabaseSessionUserID is TestSessionUserID for database sessions.
func TestDatabaseSessionUserID(t *testing.T) {
	h := newDBHarness(t)
	cookie, _ := h.signIn(t)
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dash", nil)
	req.Header.Set("Cookie", cookie)
	s := h.auth.Session(req)
	if s == nil || s.User.ID != h.user.ID || s.UserID() != h.user.ID {
		t.Fatalf("Session(r): got %+v; want User.ID and UserID() %q", s, h.user.ID)
	}
	req = httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	h.auth.ServeHTTP(w, req)
	want := `{"user":{"name":"Dee","email":"dee@example.com"},"expires":"` + s.Expires.UTC().Format("2006-01-02T15:04:05.000Z") + `"}`
	if got := w.Body.String(); got != want {
		t.Errorf("GET /session: got %s; want %s", got, want)
	}
}

// TestDatabaseSessionCallbackUserID checks what a Session callback of
// database sessions sees (UserID, no User.ID) and that Go code gets the ID
// afterwards, on both Session(r) and GET /session.
func TestDatabaseSessionCallbackUserID(t *testing.T) {
	h := newDBHarness(t)
	cookie, _ := h.signIn(t)
	calls := 0
	auth, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("d", 32)},
		Store: h.store, Strategy: latch.DatabaseSessions, Now: func() time.Time { return h.now },
		Callbacks: latch.Callbacks{Session: func(_ context.Context, p *latch.SessionParams) (*latch.Session, error) {
			calls++
			if p.Session.User.ID != "" || p.Session.UserID() != h.user.ID {
				t.Errorf("in the callback: User.ID %q, UserID() %q; want \"\" and %q", p.Session.User.ID, p.Session.UserID(), h.user.ID)
			}
			return p.Session, nil
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/dash", nil)
	req.Header.Set("Cookie", cookie)
	if s := auth.Session(req); s == nil || s.User.ID != h.user.ID {
		t.Fatalf("Session(r): got %+v; want User.ID %q", s, h.user.ID)
	}
	req = httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", cookie)
	w := httptest.NewRecorder()
	auth.ServeHTTP(w, req)
	if body := w.Body.String(); !strings.HasPrefix(body, `{"user":{"name":"Dee","email":"dee@example.com"},"expires":`) {
		t.Errorf("GET /session: got %s; want the user without id", body)
	}
	if calls != 2 {
		t.Errorf("Session callback: %d calls; want 2", calls)
	}
}
