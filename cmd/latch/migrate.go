package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/latchauth/latch"
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
	if len(c.Secrets) == 0 {
		fmt.Fprintln(e.stdout, "no secret configured: provider tokens stored in the clear are sealed at their next refresh or sign-in")
		return nil
	}
	// Seal the provider tokens of accounts stored in the clear.
	auth, err := latch.New(latch.Config{URL: "http://localhost/api/auth", Secrets: c.Secrets, Store: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	n, err := auth.SealAccountTokens(ctx)
	if err != nil {
		return fmt.Errorf("seal provider tokens: %w", err)
	}
	if n > 0 {
		fmt.Fprintf(e.stdout, "sealed the provider tokens of %d accounts\n", n)
	}
	return nil
}
