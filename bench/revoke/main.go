// Command revoke measures how long a database session that is signed out
// on one instance is still answered by another: two instances of the
// library (A and B, each with its own store on the same SQLite file or
// PostgreSQL schema), B under load (GET session for many users from
// -load goroutines), and one by one -signouts users signed out on A while
// the user's browser keeps asking B. It prints, as Markdown, the load B
// carried, how often B answered from memory, and how long after A's
// answer B still returned the session (p50, p99, max, and how many went
// past 100 ms).
//
//	revoke -store sqlite:/tmp/r.db | -store postgres://... [-users 1000] [-signouts 200] [-load 32]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/bench/internal/loadauth"
)

// cacheStats is a store that answers sessions from memory.
type cacheStats interface {
	SessionCacheStats() (hits, misses uint64, held int)
}

func main() {
	store := flag.String("store", "", "sqlite:PATH or a postgres:// URL (required)")
	users := flag.Int("users", 1000, "signed-in users")
	signouts := flag.Int("signouts", 200, "users signed out on A, one after the other")
	load := flag.Int("load", 32, "goroutines reading sessions from B meanwhile")
	flag.Parse()
	if *store == "" || *signouts > *users {
		log.Fatal("want -store, and -signouts at most -users")
	}
	ctx := context.Background()
	a, originA := start(ctx, *store, *users)
	b, originB := start(ctx, *store, 0)
	cookies := make([]string, *users)
	for i := range cookies {
		c, err := loadauth.SignIn(a, originA, loadauth.Email(i))
		if err != nil {
			log.Fatal(err)
		}
		cookies[i] = c
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *load + 4}, Timeout: 10 * time.Second}

	// The load on B: users who stay signed in (the last users-signouts).
	var done atomic.Bool
	var reads atomic.Int64
	var wg sync.WaitGroup
	for range *load {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				get(client, originB, cookies[*signouts+rand.IntN(*users-*signouts)])
				reads.Add(1)
			}
		}()
	}

	began := time.Now()
	stale := make([]time.Duration, 0, *signouts)
	for i := range *signouts {
		// The user's browser has been using B: the session is in B's
		// memory.
		for range 3 {
			if !strings.Contains(get(client, originB, cookies[i]), loadauth.Email(i)) {
				log.Fatalf("user %d is not signed in on B", i)
			}
		}
		signOut(client, originA, cookies[i])
		signedOut := time.Now()
		var last time.Duration // when B last answered with the session, after A's answer
		for {
			asked := time.Since(signedOut)
			if get(client, originB, cookies[i]) == "{}" {
				break
			}
			last = asked
			if asked > 5*time.Second {
				log.Fatalf("user %d still signed in on B 5 s after signing out on A", i)
			}
		}
		stale = append(stale, last)
	}
	elapsed := time.Since(began)
	done.Store(true)
	wg.Wait()

	slices.Sort(stale)
	over := 0
	for _, d := range stale {
		if d > 100*time.Millisecond {
			over++
		}
	}
	at := func(q float64) time.Duration { return stale[min(len(stale)-1, int(q*float64(len(stale))))] }
	hits, misses, _ := b.cfg.Store.(cacheStats).SessionCacheStats()
	fmt.Printf("| store | load on B | answered from memory | signed out on A | B still answered (p50 / p99 / max) | over 100 ms |\n")
	fmt.Printf("|---|---|---|---|---|---|\n")
	fmt.Printf("| %s | %.0f req/s | %.1f%% | %d | %v / %v / %v | %d |\n",
		strings.SplitN(*store, ":", 2)[0], float64(reads.Load())/elapsed.Seconds(),
		100*float64(hits)/float64(max(1, hits+misses)), len(stale),
		at(0.5).Round(time.Microsecond), at(0.99).Round(time.Microsecond), stale[len(stale)-1].Round(time.Microsecond), over)
}

// instance is one of the two instances.
type instance struct {
	*latch.Auth
	cfg latch.Config
}

// start serves an instance on a loopback port with its own store.
func start(ctx context.Context, store string, users int) (*instance, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	origin := "http://" + ln.Addr().String()
	cfg, err := loadauth.Config(ctx, origin, store, users)
	if err != nil {
		log.Fatal(err)
	}
	if _, ok := cfg.Store.(cacheStats); !ok {
		log.Fatalf("the store of %s does not answer sessions from memory", store)
	}
	auth, err := latch.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(ln, auth)
	return &instance{auth, cfg}, origin
}

// get returns the body of GET <base>/session with the cookies.
func get(c *http.Client, origin, cookies string) string {
	req, _ := http.NewRequest("GET", origin+"/api/auth/session", nil)
	req.Header.Set("Cookie", cookies)
	res, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return string(body)
}

// signOut signs the browser with the cookies out on the instance at
// origin.
func signOut(c *http.Client, origin, cookies string) {
	req, _ := http.NewRequest("GET", origin+"/api/auth/csrf", nil)
	req.Header.Set("Cookie", cookies)
	res, err := c.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	var csrf struct{ CsrfToken string }
	json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	req, _ = http.NewRequest("POST", origin+"/api/auth/signout", strings.NewReader(url.Values{"csrfToken": {csrf.CsrfToken}, "json": {"true"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", cookies)
	res, err = c.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		log.Fatalf("sign-out: %v %v", res, err)
	}
	res.Body.Close()
}
