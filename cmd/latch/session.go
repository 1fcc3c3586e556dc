package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
)

// runSession lists and revokes database sessions:
//
//	latch session list EMAIL
//	latch session revoke EMAIL        every session of the user
//	latch session revoke --token T    one session
func runSession(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("session: want list or revoke")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("session "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := commonFlags(fs)
	token := fs.String("token", "", "a session token (revoke)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return usageError("session " + sub + ": " + err.Error())
	}
	if sub != "list" && sub != "revoke" {
		return usageError(fmt.Sprintf("session: unknown subcommand %q: want list or revoke", sub))
	}
	email := ""
	if len(rest) > 0 {
		email = rest[0]
	}
	c, err := loadConfig(e, *cfgPath)
	if err != nil {
		return err
	}
	store, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer store.Close()
	switch {
	case sub == "revoke" && *token != "":
		if _, err := store.DeleteSession(ctx, *token); errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("session revoke: no such session")
		} else if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "revoked 1 session")
		return nil
	case sub == "list" || sub == "revoke":
		u, err := lookup(ctx, store, "session "+sub, email)
		if err != nil {
			return err
		}
		if sub == "revoke" {
			n, err := store.DeleteUserSessions(ctx, u.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "revoked %d session(s) of %s\n", n, u.Email)
			return nil
		}
		sessions, err := store.UserSessions(ctx, u.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOKEN\tEXPIRES")
		for _, s := range sessions {
			fmt.Fprintf(tw, "%s\t%s\n", s.Token, s.Expires.Local().Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return usageError(fmt.Sprintf("session: unknown subcommand %q: want list or revoke", sub))
}
