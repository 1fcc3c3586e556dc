// Command basic is a complete web app that uses Latch as a library: the
// built-in user database (email and password, in SQLite), the sign-in
// pages under /api/auth, and a page for signed-in users that shows who
// they are.
//
//	export AUTH_SECRET=$(go run github.com/latchauth/latch/cmd/latch secret)
//	LATCH_DATABASE=latch.db go run github.com/latchauth/latch/cmd/latch user add --email ann@example.com
//	go run ./examples/basic -db latch.db
//
// Then open http://localhost:8080/ and sign in as ann@example.com.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"html/template"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "address to listen on")
	db := flag.String("db", "latch.db", "SQLite database of the users")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if err := serve(ctx, ln, *addr, *db, os.Getenv("AUTH_SECRET")); err != nil {
		log.Fatal(err)
	}
}

// serve runs the app on ln until ctx ends. host names the site in its
// public URL (the port is ln's).
func serve(ctx context.Context, ln net.Listener, host, dbPath, secret string) error {
	site := siteURL(host, ln.Addr()) // e.g. http://localhost:8080

	// readme:begin
	store, err := sqlite.Open(ctx, dbPath) // the users of `latch user add`
	if err != nil {
		return err
	}
	defer store.Close()
	auth, err := latch.New(latch.Config{
		URL:       site + "/api/auth",
		Secrets:   []string{secret}, // 32+ random characters: `latch secret` prints some
		Store:     store,
		Providers: []latch.Provider{password.New(store, password.Options{})},
	})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/api/auth/", auth)
	mux.Handle("/{$}", auth.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := auth.Session(r) // never nil behind Require; s.User.ID is the user's ID
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		page.Execute(w, s.User)
	})))
	// readme:end

	srv := &http.Server{Handler: mux}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	log.Printf("serving %s/", site)
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// siteURL is http://host:port, with the host of the address asked for
// (localhost by default) and the port actually listened on.
func siteURL(addr string, listening net.Addr) string {
	host, _, _ := net.SplitHostPort(addr)
	if host == "" {
		host = "localhost"
	}
	_, port, _ := net.SplitHostPort(listening.String())
	return fmt.Sprintf("http://%s", net.JoinHostPort(host, port))
}

var page = template.Must(template.New("page").Parse(`<!doctype html>
<title>Signed in</title>
<p>Signed in as {{.Name}} &lt;{{.Email}}&gt;, user ID <code id="user-id">{{.ID}}</code>.</p>
<p><a href="/api/auth/signout">Sign out</a></p>
`))
