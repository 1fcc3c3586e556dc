package main

import (
	"context"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/store/postgres"
)

func openPostgres(ctx context.Context, dsn string) (latch.Store, error) {
	s, err := postgres.Open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return s, nil
}
