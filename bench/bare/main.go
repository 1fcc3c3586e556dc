// Command bare serves GET /api/auth/session with a fixed session JSON: the
// floor the load script compares Latch's session endpoint against.
package main

import (
	"encoding/json"
	"flag"
	"log"
	"net/http"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3901", "listen address")
	flag.Parse()
	http.HandleFunc("GET /api/auth/session", func(w http.ResponseWriter, r *http.Request) {
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
