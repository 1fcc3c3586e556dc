// Command library serves the Latch library on a plain net/http server
// (no latch serve tuning, default GOGC), for load tests of GET
// <base>/session with many distinct sessions: at start it signs in -users
// users (user-0@example.com ...) through the handler itself and writes
// each one's Cookie header, one per line, to -cookies, for
// bench/many-users.lua to rotate through. With -upstream it also guards
// that app (package guard) at every other path.
//
//	library -addr 127.0.0.1:3920 -users 1000 -cookies /tmp/cookies.txt [-store sqlite:/tmp/l.db | -store postgres://...] [-pprof 127.0.0.1:6060] [-upstream http://127.0.0.1:3919]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof"
	"net/url"
	"os"
	"strings"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/guard"
	"github.com/latchauth/latch/store/postgres"
	"github.com/latchauth/latch/store/sqlite"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3920", "listen address")
	users := flag.Int("users", 1000, "distinct signed-in users")
	cookies := flag.String("cookies", "cookies.txt", "file to write the users' Cookie headers to")
	storeSpec := flag.String("store", "", "database sessions in sqlite:PATH or a postgres:// URL; JWT sessions without")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (profiles under load)")
	upstream := flag.String("upstream", "", "guard this app's URL (package guard) at every path outside /api/auth/")
	flag.Parse()
	ctx := context.Background()
	origin := "http://" + *addr
	cfg := latch.Config{
		URL:     origin + "/api/auth",
		Secrets: []string{"library-load-secret-library-load-secret"},
		Providers: []latch.Provider{&latch.Credentials{Authorize: func(_ context.Context, c map[string]string, _ *http.Request) (*latch.User, error) {
			// No password check: the load is the session check.
			id, _ := strings.CutSuffix(strings.TrimPrefix(c["email"], "user-"), "@example.com")
			return &latch.User{ID: id, Name: "User " + id, Email: c["email"]}, nil
		}}},
	}
	switch s := *storeSpec; {
	case s == "":
	case strings.HasPrefix(s, "sqlite:"):
		st, err := sqlite.Open(ctx, strings.TrimPrefix(s, "sqlite:"))
		if err != nil {
			log.Fatal(err)
		}
		cfg.Store, cfg.Strategy = st, latch.DatabaseSessions
	case strings.HasPrefix(s, "postgres"):
		st, err := postgres.Open(ctx, s)
		if err != nil {
			log.Fatal(err)
		}
		cfg.Store, cfg.Strategy = st, latch.DatabaseSessions
	default:
		log.Fatalf("-store %q: want sqlite:PATH or a postgres:// URL", s)
	}
	if cfg.Store != nil {
		// Database sessions need stored users.
		for i := range *users {
			email := fmt.Sprintf("user-%d@example.com", i)
			if _, err := cfg.Store.UserByEmail(ctx, email); err == nil {
				continue
			}
			if _, err := cfg.Store.CreateUser(ctx, latch.StoredUser{User: latch.User{ID: fmt.Sprint(i), Name: fmt.Sprint("User ", i), Email: email}}); err != nil {
				log.Fatal(err)
			}
		}
	}
	auth, err := latch.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create(*cookies)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range *users {
		fmt.Fprintln(w, signIn(auth, origin, fmt.Sprintf("user-%d@example.com", i)))
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	f.Close()
	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, http.DefaultServeMux)) }()
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	if *upstream != "" {
		target, err := guard.ParseTarget(*upstream)
		if err != nil {
			log.Fatal(err)
		}
		proxy, err := guard.NewProxy(guard.ProxyConfig{Auth: auth, Target: target})
		if err != nil {
			log.Fatal(err)
		}
		mux.Handle("/", proxy)
	}
	log.Printf("serving %d signed-in users on %s", *users, origin)
	log.Fatal(http.ListenAndServe(*addr, mux))
}

// signIn signs email in through the handler, as a browser would, and
// returns the Cookie header the browser would then send.
func signIn(auth *latch.Auth, origin, email string) string {
	jar := map[string]string{}
	keep := func(res *http.Response) {
		for _, c := range res.Cookies() {
			jar[c.Name] = c.Value
		}
	}
	rec := httptest.NewRecorder()
	auth.ServeHTTP(rec, httptest.NewRequest("GET", origin+"/api/auth/csrf", nil))
	keep(rec.Result())
	var csrf struct{ CsrfToken string }
	json.Unmarshal(rec.Body.Bytes(), &csrf)
	form := url.Values{"csrfToken": {csrf.CsrfToken}, "email": {email}, "json": {"true"}}
	req := httptest.NewRequest("POST", origin+"/api/auth/callback/credentials", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for n, v := range jar {
		req.AddCookie(&http.Cookie{Name: n, Value: v})
	}
	rec = httptest.NewRecorder()
	auth.ServeHTTP(rec, req)
	keep(rec.Result())
	if jar["next-auth.session-token"] == "" {
		log.Fatalf("sign-in of %s failed: %d %s", email, rec.Code, rec.Body)
	}
	var parts []string
	for n, v := range jar {
		parts = append(parts, n+"="+v)
	}
	return strings.Join(parts, "; ")
}
