package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/latchauth/latch/store/internal/sessioncache"
)

// Sessions are served from memory (store/internal/sessioncache) while
// this store listens to the channel of the sessions table's schema, on
// which triggers on sessions and users announce every change by any
// program (migration 7). To know that it is not missing anything — a
// connection can die without a word — the store sends itself a ping on
// the same channel every sessioncache.Interval while sessions are being
// read: PostgreSQL delivers notifications in commit order, so a ping sent
// at t and received means every change committed before t has been
// received too, and the cache serves until t+sessioncache.Window. The
// store's own changes take effect at once.
//
// Each ping is a small transaction (committed without waiting for the
// WAL flush): about 50 a second per instance while sessions are being
// read, none when they are not. Every instance receives every instance's
// pings and ignores the others'.

// listenerSilence is how long pings may go unanswered, while they can be
// sent, before the listening connection is taken for dead and replaced.
const listenerSilence = time.Second

// sessionWatch is the state of the listener and the pinger.
type sessionWatch struct {
	once    sync.Once
	stop    context.CancelFunc
	done    sync.WaitGroup
	channel atomic.Pointer[string] // set once listening
	id      string                 // this store's pings start with "p"+id+":"

	mu    sync.Mutex
	pings [16]ping // recent pings by sequence number modulo 16
	// heard is when the listener started or last received its own ping;
	// hangUp ends the current listening connection.
	heard  time.Time
	hangUp context.CancelFunc
}

type ping struct {
	seq  uint64
	sent time.Time
}

// watchSessions starts the listener and the pinger (once).
func (s *Store) watchSessions() {
	w := &s.watch
	w.once.Do(func() {
		var b [8]byte
		rand.Read(b[:])
		w.id = hex.EncodeToString(b[:])
		ctx, cancel := context.WithCancel(context.Background())
		w.stop = cancel
		w.done.Add(2)
		go func() { defer w.done.Done(); s.listen(ctx) }()
		go func() { defer w.done.Done(); s.sendPings(ctx) }()
	})
}

// stopWatching ends the listener and the pinger, if they run.
func (s *Store) stopWatching() {
	w := &s.watch
	w.once.Do(func() {}) // none start after this
	if w.stop != nil {
		w.stop()
		w.done.Wait()
	}
}

// listen follows the channel until ctx ends, connecting again after
// failures.
func (s *Store) listen(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for {
		err := s.listenOnce(ctx)
		// Nothing is served from memory until the listener is back, and
		// what was read before is forgotten.
		s.watch.channel.Store(nil)
		s.sessions.Stale()
		s.sessions.ForgetAll()
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce listens on a connection of the pool's (its AfterConnect and
// search_path included) and applies notifications until the connection
// fails, the pinger hangs it up, or ctx ends.
func (s *Store) listenOnce(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	pc, err := s.pool.Acquire(cctx)
	if err != nil {
		return err
	}
	conn := pc.Hijack() // out of the pool: it only listens
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		conn.Close(closeCtx)
	}()
	// The triggers name the channel after the schema of the table they
	// fire on, which is the one this store's queries use.
	var channel string
	err = conn.QueryRow(cctx, `SELECT 'latch_' || left(md5(n.nspname), 16)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = 'sessions'::regclass`).Scan(&channel)
	if err != nil {
		return err
	}
	if _, err := conn.Exec(cctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	lctx, hangUp := context.WithCancel(ctx)
	defer hangUp()
	s.watch.mu.Lock()
	s.watch.heard, s.watch.hangUp = time.Now(), hangUp
	s.watch.mu.Unlock()
	// Sessions may have been cached while nobody listened.
	s.sessions.ForgetAll()
	s.watch.channel.Store(&channel)
	mine := "p" + s.watch.id + ":"
	for {
		n, err := conn.WaitForNotification(lctx)
		if err != nil {
			return err
		}
		switch p := n.Payload; {
		case p == "*":
			s.sessions.ForgetAll()
		case strings.HasPrefix(p, "u"):
			s.sessions.ForgetUsers(p[1:])
		case strings.HasPrefix(p, mine):
			if seq, err := strconv.ParseUint(p[len(mine):], 10, 64); err == nil {
				if sent, ok := s.watch.sentAt(seq); ok {
					s.sessions.FreshAsOf(sent)
					s.watch.mu.Lock()
					s.watch.heard = time.Now()
					s.watch.mu.Unlock()
				}
			}
		}
	}
}

// sendPings sends a ping every sessioncache.Interval while the listener
// listens and sessions are being read.
func (s *Store) sendPings(ctx context.Context) {
	tick := time.NewTicker(sessioncache.Interval)
	defer tick.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		channel := s.watch.channel.Load()
		if channel == nil || !s.sessions.InUse(time.Second) {
			// No pings, so no silence to hold against the listener.
			s.watch.mu.Lock()
			s.watch.heard = time.Now()
			s.watch.mu.Unlock()
			continue
		}
		s.watch.hangUpIfSilent()
		seq++
		s.watch.sent(seq, time.Now())
		// One round trip; the channel is "latch_" and hex, the payload
		// hex and digits. A failed statement leaves the connection in a
		// transaction, which the pool then drops.
		pctx, cancel := context.WithTimeout(ctx, sessioncache.Window)
		s.pool.Exec(pctx, "BEGIN; SET LOCAL synchronous_commit TO off; SELECT pg_notify('"+*channel+"', 'p"+s.watch.id+":"+strconv.FormatUint(seq, 10)+"'); COMMIT")
		cancel()
	}
}

// hangUpIfSilent ends the listening connection when it has not received
// a ping for listenerSilence: it may be dead without knowing it (a
// half-open TCP connection is noticed only by keepalives, minutes later).
func (w *sessionWatch) hangUpIfSilent() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hangUp != nil && time.Since(w.heard) > listenerSilence {
		w.hangUp()
		w.hangUp = nil
	}
}

// sent records when ping seq was sent.
func (w *sessionWatch) sent(seq uint64, at time.Time) {
	w.mu.Lock()
	w.pings[seq%uint64(len(w.pings))] = ping{seq, at}
	w.mu.Unlock()
}

// sentAt returns when ping seq was sent, if it is recent enough to be
// known.
func (w *sessionWatch) sentAt(seq uint64) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p := w.pings[seq%uint64(len(w.pings))]
	return p.sent, p.seq == seq
}

// SessionCacheStats returns how many session reads were answered from
// memory and how many from the database, and how many sessions are held.
func (s *Store) SessionCacheStats() (hits, misses uint64, held int) {
	return s.sessions.Stats()
}
