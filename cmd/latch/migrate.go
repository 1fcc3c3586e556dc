package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/latchauth/latch/store/sqlite"
)

func runMigrate(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return usageError("migrate: " + err.Error())
	}
	c, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	s, err := sqlite.Open(ctx, c.Database)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", c.Database)
	return nil
}
