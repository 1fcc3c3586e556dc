// Command signins signs in to a Latch server over and over with the
// credentials provider, from several clients at once, and reports the
// rate and how many sign-ins failed: the load of bench/signin-memory.sh.
//
//	signins -url http://127.0.0.1:3000/api/auth -email a@example.com -password secret -n 10000 -c 8
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3000/api/auth", "the auth API's base URL")
	email := flag.String("email", "", "the user's email")
	password := flag.String("password", "", "the user's password")
	n := flag.Int("n", 10000, "sign-ins in all")
	workers := flag.Int("c", 8, "sign-ins at once")
	flag.Parse()

	var next, failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				if err := signIn(*base, *email, *password); err != nil {
					if failed.Add(1) <= 5 {
						fmt.Fprintln(os.Stderr, "sign-in:", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("%d sign-ins in %.1f s (%.1f/s), %d failed\n", *n, d.Seconds(), float64(*n)/d.Seconds(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

// signIn makes one sign-in as a new browser would: CSRF token, then the
// credentials callback; it checks that a session cookie came back.
func signIn(base, email, password string) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	res, err := c.Get(base + "/csrf")
	if err != nil {
		return err
	}
	var csrf struct{ CsrfToken string }
	err = json.NewDecoder(res.Body).Decode(&csrf)
	res.Body.Close()
	if err != nil {
		return fmt.Errorf("csrf: %w", err)
	}
	res, err = c.PostForm(base+"/callback/credentials", url.Values{"csrfToken": {csrf.CsrfToken}, "email": {email}, "password": {password}, "json": {"true"}})
	if err != nil {
		return err
	}
	res.Body.Close()
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "next-auth.session-token" || ck.Name == "__Secure-next-auth.session-token" {
			return nil
		}
	}
	return fmt.Errorf("no session cookie (status %d)", res.StatusCode)
}
