// Command signins signs in to a Latch server over and over with the
// credentials provider, from several clients at once, and reports the
// rate and how many sign-ins failed: the load of bench/signin-memory.sh.
//
//	signins -url http://127.0.0.1:3456/api/auth -email a@example.com -password secret -n 10000 -c 8
//
// An email with %d signs in -users different users (user-0@..., ...),
// round robin. Refusals because the server is busy (503) are counted
// apart from failures.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	base := flag.String("url", "http://127.0.0.1:3456/api/auth", "the auth API's base URL")
	email := flag.String("email", "", "the user's email; with %d, the users' pattern")
	users := flag.Int("users", 1, "with %d in -email, how many users")
	spread := flag.Bool("spread", false, "send each sign-in from its own client address (X-Forwarded-For in 198.18.0.0/15; the server must trust 127.0.0.1 as a proxy)")
	password := flag.String("password", "", "the user's password")
	n := flag.Int("n", 10000, "sign-ins in all")
	workers := flag.Int("c", 8, "sign-ins at once")
	flag.Parse()

	var next, failed, busy atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for range *workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(*n) {
					return
				}
				who := *email
				if strings.Contains(who, "%d") {
					who = fmt.Sprintf(who, int(i-1)%*users)
				}
				ip := ""
				if *spread {
					ip = fmt.Sprintf("198.18.%d.%d", i/250%256, i%250+1)
				}
				switch err := signIn(*base, who, *password, ip); {
				case err == errBusy:
					busy.Add(1)
				case err != nil:
					if failed.Add(1) <= 5 {
						fmt.Fprintln(os.Stderr, "sign-in:", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	fmt.Printf("%d sign-ins in %.1f s (%.1f/s): %d refused as busy (503), %d failed\n", *n, d.Seconds(), float64(*n)/d.Seconds(), busy.Load(), failed.Load())
	if failed.Load() > 0 {
		os.Exit(1)
	}
}

var errBusy = errors.New("busy")

// signIn makes one sign-in as a new browser would: CSRF token, then the
// credentials callback; it checks that a session cookie came back.
// clientIP, when set, is sent as X-Forwarded-For.
func signIn(base, email, password, clientIP string) error {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 60 * time.Second}
	if clientIP != "" {
		c.Transport = forwardedFor{clientIP}
	}
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
	if res.StatusCode == http.StatusServiceUnavailable {
		return errBusy
	}
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == "next-auth.session-token" || ck.Name == "__Secure-next-auth.session-token" {
			return nil
		}
	}
	return fmt.Errorf("no session cookie (status %d)", res.StatusCode)
}

// forwardedFor sends every request as from ip, through a trusted proxy.
type forwardedFor struct{ ip string }

func (f forwardedFor) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.ip)
	return http.DefaultTransport.RoundTrip(r)
}
