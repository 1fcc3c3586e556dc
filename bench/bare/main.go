// Command bare serves GET /api/auth/session (and any other GET) with a
// fixed session JSON: the floor the load script compares Latch's session
// endpoint against, and the app it puts behind latch serve's upstream
// guard. With --proxy it is instead a plain reverse proxy to that URL
// (httputil.ReverseProxy, no authentication): the floor of the guard.
package main

import (
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3901", "listen address")
	proxyTo := flag.String("proxy", "", "be a plain reverse proxy to this URL")
	flag.Parse()
	if *proxyTo != "" {
		target, err := url.Parse(*proxyTo)
		if err != nil {
			log.Fatal(err)
		}
		// The same transport settings as latch serve's upstream guard.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.Proxy = nil
		t.MaxIdleConns, t.MaxIdleConnsPerHost = 1024, 1024
		log.Fatal(http.ListenAndServe(*addr, &httputil.ReverseProxy{
			Transport: t,
			ErrorLog:  log.New(io.Discard, "", 0), // wrk's cut connections at the end
			Rewrite:   func(pr *httputil.ProxyRequest) { pr.SetURL(target); pr.SetXForwarded() },
		}))
	}
	http.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		body, _ := json.Marshal(map[string]any{
			"user":    map[string]string{"name": "Load Test", "email": "load@example.com"},
			"expires": time.Now().Add(30 * 24 * time.Hour).UTC().Format("2006-01-02T15:04:05.000Z"),
		})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "private, no-cache, no-store")
		w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}
