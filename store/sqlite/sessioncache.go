package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/latchauth/latch/store/internal/sessioncache"
)

// Sessions are served from memory (store/internal/sessioncache) while
// this store keeps up with latch_session_changes, the table that triggers
// on sessions and users fill for every change by any program: it reads
// the new rows every sessioncache.Interval while sessions are being read,
// so a session ended by another process (latch serve on the same file,
// the latch CLI, the sqlite3 tool) stops being served within
// sessioncache.Window. The store's own changes take effect at once.

// changesKept is how many rows of latch_session_changes pruning keeps: a
// reader that fell further behind forgets its whole cache.
const changesKept = 10000

// changesBatch is the most rows one read of the changes takes; a reader
// that finds more forgets its whole cache instead of reading on.
const changesBatch = 500

// pruneEvery is how often a reader prunes the change table.
const pruneEvery = 30 * time.Second

// watchSessions starts the reader of latch_session_changes (once).
func (s *Store) watchSessions() {
	s.watchOnce.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		s.stopWatch = cancel
		s.watchDone = make(chan struct{})
		go func() {
			defer close(s.watchDone)
			s.followChanges(ctx)
		}()
	})
}

// followChanges reads latch_session_changes until ctx ends, on a
// connection of its own while sessions are being read, so that a pool
// busy with requests cannot starve it.
func (s *Store) followChanges(ctx context.Context) {
	tick := time.NewTicker(sessioncache.Interval)
	defer tick.Stop()
	var conn *sql.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	last := int64(-1) // the last change seen; -1: none yet
	pruned := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if !s.sessions.InUse(time.Second) {
			if conn != nil {
				conn.Close() // back to the pool while nobody reads
				conn = nil
			}
			continue
		}
		asOf := time.Now()
		var err error
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, sessioncache.Window)
			conn, err = s.db.Conn(cctx)
			cancel()
		}
		if err == nil {
			last, err = s.readChanges(ctx, conn, last)
		}
		if err != nil {
			// Until the table can be read again nothing is served from
			// memory, and what was read before is forgotten.
			s.sessions.Stale()
			s.sessions.ForgetAll()
			last = -1
			if conn != nil {
				conn.Close()
				conn = nil
			}
			continue
		}
		s.sessions.FreshAsOf(asOf)
		if time.Since(pruned) > pruneEvery {
			pruned = time.Now()
			pctx, cancel := context.WithTimeout(ctx, time.Second)
			s.pruneChanges(pctx, conn)
			cancel()
		}
	}
}

// readChanges applies the changes after last to the cache and returns the
// newest one's number.
func (s *Store) readChanges(ctx context.Context, conn *sql.Conn, last int64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, sessioncache.Window)
	defer cancel()
	if last < 0 {
		// Starting (or starting over): whatever is cached may predate
		// changes that were never read.
		err := conn.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM latch_session_changes`).Scan(&last)
		if err != nil {
			return -1, err
		}
		s.sessions.ForgetAll()
		return last, nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT seq, "userId", "sessionToken" FROM latch_session_changes WHERE seq > ? ORDER BY seq LIMIT ?`, last, changesBatch)
	if err != nil {
		return -1, err
	}
	defer rows.Close()
	var users, tokens []string
	n, gap := 0, false
	for rows.Next() {
		var seq int64
		var user, token sql.NullString
		if err := rows.Scan(&seq, &user, &token); err != nil {
			return -1, err
		}
		// Numbers are contiguous: a gap means pruned rows never read.
		gap = gap || seq != last+1
		last = seq
		if user.Valid {
			users = append(users, user.String)
		}
		if token.Valid {
			tokens = append(tokens, token.String)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return -1, err
	}
	switch {
	case gap || n == changesBatch:
		s.sessions.ForgetAll()
		if n == changesBatch {
			return -1, nil // start over from the newest row
		}
	case n > 0:
		s.sessions.ForgetUsers(users...)
		for _, t := range tokens {
			s.sessions.ForgetToken(t)
		}
	}
	return last, nil
}

// pruneChanges deletes all but the newest changesKept rows of
// latch_session_changes.
func (s *Store) pruneChanges(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}) error {
	_, err := db.ExecContext(ctx, `DELETE FROM latch_session_changes WHERE seq <= (SELECT max(seq) FROM latch_session_changes) - ?`, changesKept)
	return err
}

// SessionCacheStats returns how many session reads were answered from
// memory and how many from the database, and how many sessions are held.
func (s *Store) SessionCacheStats() (hits, misses uint64, held int) {
	return s.sessions.Stats()
}
