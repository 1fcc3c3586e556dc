package main

import (
	"context"
	"flag"
	"fmt"
	"io"
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
	s, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	fmt.Fprintf(e.stdout, "database %s is up to date\n", redactDSN(c.Database))
	return nil
}
