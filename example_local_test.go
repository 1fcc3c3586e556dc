package latch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// The backend of @sidebase/nuxt-auth's local provider: mount the Auth as
// usual and point nuxt-auth at <base>/local.
func ExampleLocalConfig() {
	dir, _ := os.MkdirTemp("", "latch-example")
	defer os.RemoveAll(dir)
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "latch.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	auth, err := latch.New(latch.Config{
		URL:       "https://example.com/api/auth",
		Secrets:   []string{strings.Repeat("s", 32)},
		Store:     store,
		Providers: []latch.Provider{password.New(store, password.Options{})},
		Local: latch.LocalConfig{
			Enabled: true,
			SignUp:  password.SignUp(store, password.SignUpOptions{}),
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("/api/me", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello", auth.Session(r).User.Email)
	})))

	post := func(path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "https://example.com"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w
	}
	fmt.Println(post("/api/auth/local/register", `{"email":"ann@example.com","password":"correct horse"}`).Code)
	var tokens struct{ Token, RefreshToken string }
	json.Unmarshal(post("/api/auth/local/login", `{"email":"ann@example.com","password":"correct horse"}`).Body.Bytes(), &tokens)

	req := httptest.NewRequest("GET", "https://example.com/api/me", nil)
	req.Header.Set("Authorization", "Bearer "+tokens.Token)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Print(w.Body.String())
	// Output:
	// 201
	// hello ann@example.com
}
