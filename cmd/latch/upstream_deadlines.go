package main

import (
	"io"
	"net/http"
	"time"
)

// minUploadRate is the slowest average rate, in bytes per second, at which
// a request body to the guarded app may arrive once its grace period is
// over. A client that trickles a body (a byte every few seconds) is cut
// off instead of holding a connection for hours; a real upload, even on a
// poor mobile link, is far faster.
const minUploadRate = 1 << 10

// streamDeadlines replaces the server's whole-request deadlines for
// requests to the guarded app, which may upload or stream for long:
//
//   - the body must arrive within grace plus its size at minUploadRate
//     (the deadline moves as bytes arrive); once it is in, or when there
//     is none, reading has no deadline, since the server's read then only
//     watches for the client leaving;
//   - each write to the client must finish within grace: a client that
//     stops reading is cut off, a stream that is merely quiet (Server-Sent
//     Events, a long poll) is not.
//
// A WebSocket, once upgraded, is the app's and the client's: the server
// clears the deadlines of a connection it hands over.
func streamDeadlines(next http.Handler, grace time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body == nil || r.Body == http.NoBody {
			rc.SetReadDeadline(time.Time{})
		} else {
			r.Body = &rateBody{ReadCloser: r.Body, rc: rc, start: time.Now(), grace: grace}
		}
		next.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, idle: grace}, r)
		// The answer's last bytes are written after the handler returns.
		rc.SetWriteDeadline(time.Now().Add(grace))
	})
}

// rateBody is a request body that must keep arriving at minUploadRate
// after its grace period.
type rateBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	n     int64 // bytes read so far
}

func (b *rateBody) Read(p []byte) (int, error) {
	allowed := b.grace + time.Duration(min(b.n/minUploadRate, 1<<32))*time.Second
	b.rc.SetReadDeadline(b.start.Add(allowed))
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// deadlineWriter gives each write and flush to the client idle to
// finish.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.ResponseWriter.Write(p)
}

// FlushError flushes what is buffered, within the idle time; the reverse
// proxy flushes streamed responses through it.
func (w *deadlineWriter) FlushError() error {
	w.rc.SetWriteDeadline(time.Now().Add(w.idle))
	return w.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection (hijacking a
// WebSocket, deadlines).
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
