package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// slowClient opens a connection to host that sends a request's headers,
// announcing a body of size bytes, and then only what send writes.
func slowClient(t *testing.T, host, path, cookie string, size int) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nCookie: %s\r\n\r\n", path, host, size, cookie)
	return conn
}

// closedWithin reports whether the server closes conn within d (reading
// and discarding whatever it answers first).
func closedWithin(conn net.Conn, d time.Duration) bool {
	conn.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// TestSlowBodiesAreCutOff: a client that sends a request's headers and
// then never its body, or trickles it, loses its connection after the
// request timeout (upload rate) instead of holding it for hours; with
// every connection slot taken by such clients, /healthz is still answered
// once they are cut off.
func TestSlowBodiesAreCutOff(t *testing.T) {
	app, _ := echoApp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("limits: {requestTimeout: 1s, maxConnections: 4}\nupstream:\n  url: "+app.URL+"\n  public: [/upload]\n"), 0o600)
	t.Chdir(dir)
	base, c, _, _ := serveInProcess(t)
	host := strings.TrimPrefix(base, "http://")

	// The auth API: the body never comes.
	silent := slowClient(t, host, "/api/auth/callback/credentials", "", 100)
	// The guarded app: a 64 KiB body at a byte every 100 ms.
	trickle := slowClient(t, host, "/upload", "", 64<<10)
	go func() {
		for range 600 {
			if _, err := trickle.Write([]byte("a")); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	stuck := []net.Conn{silent, trickle,
		slowClient(t, host, "/api/auth/signin/email", "", 10),
		slowClient(t, host, "/upload", "", 10)}

	// All four slots are taken; /healthz gets one as soon as the slow
	// clients are cut off.
	c.Timeout = 30 * time.Second
	res, err := c.Get(base + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz with every connection held by slow clients: %v %v; want 200 once they are cut off", res, err)
	}
	res.Body.Close()
	for i, conn := range stuck {
		if !closedWithin(conn, 20*time.Second) {
			t.Errorf("slow client %d still connected after 20 s; want it cut off after the 1 s request timeout", i)
		}
	}
}

// TestStreamsOutliveTheRequestTimeout: the request timeout bounds slow
// clients, not the guarded app's legitimate long requests: an upload at a
// real rate, an answer the app takes its time over, and a quiet
// Server-Sent Events stream all last longer than it.
func TestStreamsOutliveTheRequestTimeout(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		fmt.Fprintf(w, "%d %v", n, err)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(1500 * time.Millisecond) // longer than the request timeout
		io.WriteString(w, "done")
	})
	mux.HandleFunc("GET /events", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for i := range 2 {
			fmt.Fprintf(w, "data: %d\n\n", i)
			rc.Flush()
			time.Sleep(1500 * time.Millisecond) // quiet for longer than the request timeout
		}
	})
	app := newLocalServer(t, mux)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("limits: {requestTimeout: 1s}\nupstream:\n  url: "+app+"\n  public: [/upload, /slow, /events]\n"), 0o600)
	t.Chdir(dir)
	base, c, _, _ := serveInProcess(t)
	c.Timeout = 30 * time.Second

	// 96 KiB in 3 s: 32 KiB/s, well above the minimum rate.
	pr, pw := io.Pipe()
	go func() {
		chunk := strings.Repeat("u", 4<<10)
		for range 24 {
			io.WriteString(pw, chunk)
			time.Sleep(125 * time.Millisecond)
		}
		pw.Close()
	}()
	res, err := c.Post(base+"/upload", "application/octet-stream", pr)
	if err != nil {
		t.Fatalf("upload for longer than the request timeout: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if string(body) != fmt.Sprint(96<<10, " <nil>") {
		t.Errorf("upload: the app read %q; want all 98304 bytes", body)
	}

	res, err = c.Get(base + "/slow")
	if err != nil {
		t.Fatalf("an answer the app takes 1.5 s over: %v", err)
	}
	if body, _ := io.ReadAll(res.Body); string(body) != "done" {
		t.Errorf("slow answer: %q; want done", body)
	}

	res, err = c.Get(base + "/events")
	if err != nil {
		t.Fatal(err)
	}
	var events []string
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			events = append(events, line)
		}
	}
	if strings.Join(events, ",") != "data: 0,data: 1" || sc.Err() != nil {
		t.Errorf("events: %q, %v; want both, the stream quiet longer than the request timeout", events, sc.Err())
	}
}

// newLocalServer serves h on a loopback port until the test ends.
func newLocalServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestLimitsConfig(t *testing.T) {
	bad := []struct{ yaml, want string }{
		{"limits: {requestTimeout: soon}\n", "latch.yaml:1:26: limits.requestTimeout"},
		{"limits: {storeTimeout: -1s}\n", "limits.storeTimeout"},
		{"limits: {maxConnections: -3}\n", "limits.maxConnections"},
		{"limits: {memoryLimit: 12}\n", "limits.memoryLimit"},
		{"limits: {memoryLimit: lots}\n", "limits.memoryLimit"},
		{"limits: {bodyTimeout: 1s}\n", "bodyTimeout"},
	}
	for _, tc := range bad {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte(tc.yaml), 0o600)
		if code, _, stderr := run(t, dir, "", "migrate"); code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, %q; want an error naming %q", tc.yaml, code, stderr, tc.want)
		}
	}

	e := &env{getenv: func(string) string { return "" }}
	dir := t.TempDir()
	t.Chdir(dir)
	os.WriteFile("latch.yaml", []byte("limits: {memoryLimit: 300MiB, requestTimeout: 5s, maxConnections: 7}\n"), 0o600)
	c, err := loadConfig(e, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.limits.requestTimeout != 5*time.Second || c.limits.storeTimeout != defaultStoreTimeout || maxConnections(c.limits, false) != 7 {
		t.Errorf("limits = %+v; want the configured ones and the default store timeout", c.limits)
	}
	defer debug.SetMemoryLimit(math.MaxInt64)
	if got := applyMemoryLimit(e.getenv, c.limits, discardLogger()); got != 300<<20 || debug.SetMemoryLimit(-1) != 300<<20 {
		t.Errorf("memory limit = %d (runtime: %d); want 300 MiB", got, debug.SetMemoryLimit(-1))
	}
	withEnv := func(k string) string {
		if k == "GOMEMLIMIT" {
			return "1GiB"
		}
		return ""
	}
	if got := applyMemoryLimit(withEnv, c.limits, discardLogger()); got != 0 {
		t.Errorf("memory limit with GOMEMLIMIT set = %d; want GOMEMLIMIT to decide", got)
	}
	c.limits = limits{}
	if got := applyMemoryLimit(e.getenv, c.limits, discardLogger()); got <= 0 || got > defaultMemoryLimit {
		t.Errorf("default memory limit = %d; want at most %d", got, defaultMemoryLimit)
	}
	if n := maxConnections(limits{}, true); n < 8 || n > maxConnections(limits{}, false) {
		t.Errorf("default connections when guarding = %d; want at least 8 and no more than without an app", n)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// TestClientThatNeverReadsIsCutOff: a client that asks the guarded app for
// a large answer and never reads it loses the connection once a write has
// waited for the request timeout, and the app's connection is released.
func TestClientThatNeverReadsIsCutOff(t *testing.T) {
	const size = 64 << 20
	gaveUp := make(chan error, 1)
	app := newLocalServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		chunk := make([]byte, 1<<20)
		for range size / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				gaveUp <- err
				return
			}
		}
		gaveUp <- nil
	}))
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("limits: {requestTimeout: 1s}\nupstream:\n  url: "+app+"\n  public: [/big]\n"), 0o600)
	t.Chdir(dir)
	base, _, _, _ := serveInProcess(t)
	host := strings.TrimPrefix(base, "http://")
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10)
	fmt.Fprintf(conn, "GET /big HTTP/1.1\r\nHost: %s\r\n\r\n", host)
	select {
	case err := <-gaveUp:
		if err == nil {
			t.Fatal("the app wrote all 64 MiB to a client that reads nothing")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the app still writes to a client that has read nothing for 60 s; want the guard to give up after the 1 s request timeout")
	}
	// (What the kernel already took stays queued for the client; Latch's
	// connection and the app's are gone.)
}
