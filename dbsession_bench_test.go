package latch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/sqlite"
)

// BenchmarkSessionGETDatabase measures GET <base>/session with a database
// session on SQLite, answered from the store's memory once it is known to
// be current (the usual case under load).
func BenchmarkSessionGETDatabase(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "latch.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	u, _ := st.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Jane Smith", Email: "jane@example.com"}})
	st.CreateSession(ctx, latch.SessionRecord{Token: strings.Repeat("ab", 32), UserID: u.ID, Expires: time.Now().Add(30 * 24 * time.Hour)})
	a, err := latch.New(latch.Config{
		URL: "http://localhost:3000/api/auth", Secrets: []string{strings.Repeat("k", 32)},
		Store: st, Strategy: latch.DatabaseSessions,
	})
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "http://localhost:3000/api/auth/session", nil)
	req.Header.Set("Cookie", "next-auth.session-token="+strings.Repeat("ab", 32))
	// The cookies a browser then holds: the CSRF and callback-url ones too.
	w := httptest.NewRecorder()
	a.ServeHTTP(w, req)
	var cookies []string
	for _, c := range w.Result().Cookies() {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	req.Header.Set("Cookie", strings.Join(cookies, "; "))
	get := func() {
		w := httptest.NewRecorder()
		a.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "jane@example.com") {
			b.Fatalf("status %d body %s", w.Code, w.Body)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		get()
		if hits, _, _ := st.SessionCacheStats(); hits > 0 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the session is never answered from memory")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.ReportAllocs()
	for b.Loop() {
		get()
	}
	if hits, misses, _ := st.SessionCacheStats(); misses*10 > hits {
		b.Logf("answered from memory %d times, from the database %d times", hits, misses)
	}
}
