package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/latchauth/latch"
)

// janitorInterval is how often latch serve deletes expired records.
const janitorInterval = time.Hour

// runJanitor deletes the store's expired sessions, sign-in links and
// refresh-token families at once and then every janitorInterval, until
// ctx ends. Several instances may run it at the same time: a record is
// deleted once.
func runJanitor(ctx context.Context, store latch.Store, log *slog.Logger) {
	d, ok := store.(latch.ExpiredDeleter)
	if !ok {
		return
	}
	t := time.NewTicker(janitorInterval)
	defer t.Stop()
	for {
		n, err := d.DeleteExpired(ctx, time.Now())
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Warn("deleting expired sessions and links failed; trying again later", "err", err)
		case n > 0:
			log.Info("deleted expired sessions and links", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
