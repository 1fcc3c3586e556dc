// Command library serves the Latch library on a plain net/http server
// (no latch serve tuning, default GOGC), for load tests of GET
// <base>/session with many distinct sessions: at start it signs in -users
// users (user-0@example.com ...) through the handler itself and writes
// each one's Cookie header, one per line, to -cookies, for
// bench/many-users.lua to rotate through. With -upstream it also guards
// that app (package guard) at every other path.
//
//	library -addr 127.0.0.1:3920 -users 1000 -cookies /tmp/cookies.txt [-store sqlite:/tmp/l.db | -store postgres://...] [-pprof 127.0.0.1:6060] [-upstream http://127.0.0.1:3919] [-jwt]
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/bench/internal/loadauth"
	"github.com/latchauth/latch/guard"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3920", "listen address")
	users := flag.Int("users", 1000, "distinct signed-in users")
	cookies := flag.String("cookies", "cookies.txt", "file to write the users' Cookie headers to")
	storeSpec := flag.String("store", "", "database sessions in sqlite:PATH or a postgres:// URL; JWT sessions without")
	pprofAddr := flag.String("pprof", "", "serve net/http/pprof on this address (profiles under load)")
	upstream := flag.String("upstream", "", "guard this app's URL (package guard) at every path outside /api/auth/")
	jwtStore := flag.Bool("jwt", false, "with -store: JWT sessions all the same, the store recording revocations (checked on every read)")
	flag.Parse()
	ctx := context.Background()
	origin := "http://" + *addr
	cfg, err := loadauth.Config(ctx, origin, *storeSpec, *users)
	if err != nil {
		log.Fatal(err)
	}
	if *jwtStore {
		cfg.Strategy = latch.JWTSessions
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
		c, err := loadauth.SignIn(auth, origin, loadauth.Email(i))
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintln(w, c)
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
