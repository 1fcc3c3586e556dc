package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
)

// runSession lists and revokes database sessions and the local
// provider's sign-ins (refresh-token families):
//
//	latch session list EMAIL
//	latch session revoke EMAIL        every session and sign-in of the user
//	latch session revoke --token T    one database session
//	latch session revoke --sid SID    one JWT session or local sign-in (its "sid")
func runSession(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("session: want list or revoke")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("session "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := commonFlags(fs)
	token := fs.String("token", "", "a session token (revoke)")
	sid := fs.String("sid", "", "a local sign-in: the sid of its access tokens (revoke)")
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
	e.log = c.logger(e.stderr).With("via", "cli")
	local, _ := store.(latch.LocalStore)
	switch {
	case sub == "revoke" && *sid != "":
		// A JWT session (its sid, as session list shows it) ends with a
		// revocation mark; a local sign-in with its refresh tokens.
		if rs, ok := store.(latch.SessionRevocationStore); ok {
			if sightings, ok := store.(latch.SessionSightingStore); ok && sessionSeen(ctx, sightings, *sid) {
				if err := rs.RevokeSessionsBefore(ctx, latch.SessionMarkKey(*sid), time.Now()); err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, "revoked 1 session (it ends on every server within seconds)")
				return nil
			}
		}
		if local == nil {
			return errors.New("session revoke: no such session")
		}
		if err := local.DeleteRefreshFamily(ctx, *sid); errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("session revoke: no such session or sign-in")
		} else if err != nil {
			return err
		}
		audit(ctx, e.log, auditRevoke, "local_sign_in", *sid)
		fmt.Fprintln(e.stdout, "revoked 1 sign-in (its access tokens stop working at Latch within seconds, elsewhere when they expire)")
		return nil
	case sub == "revoke" && *token != "":
		if _, err := store.DeleteSession(ctx, *token); errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("session revoke: no such session")
		} else if err != nil {
			return err
		}
		audit(ctx, e.log, auditRevoke, "database_session", 1)
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
			audit(ctx, e.log, auditRevoke, "user_id", u.ID)
			if ended, err := endJWTSessions(ctx, store, u.ID); err != nil {
				return err
			} else if ended != "" {
				fmt.Fprintf(e.stdout, "revoked every session of %s (database sessions deleted: %d; JWT sessions end on every server within seconds)\n", u.Email, n)
			} else {
				fmt.Fprintf(e.stdout, "revoked %d session(s) of %s\n", n, u.Email)
			}
			if local != nil {
				n, err := local.DeleteUserRefreshFamilies(ctx, u.ID)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "revoked %d local sign-in(s) of %s\n", n, u.Email)
			}
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
		if ss, ok := store.(latch.SessionSightingStore); ok {
			seen, err := ss.UserSessionSightings(ctx, u.ID, time.Now())
			if err != nil {
				return err
			}
			if len(seen) > 0 {
				fmt.Fprintln(tw, "\nJWT SESSION (SID)\tSIGNED IN\tLAST SEEN\tIP\tUSER AGENT")
				for _, v := range seen {
					signedIn := "-"
					if !v.SignedIn.IsZero() {
						signedIn = v.SignedIn.Local().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, signedIn, v.LastSeen.Local().Format(time.RFC3339), v.IP, strings.Map(printable, v.UserAgent))
				}
			}
		}
		if local != nil {
			fams, err := local.UserRefreshFamilies(ctx, u.ID)
			if err != nil {
				return err
			}
			if len(fams) > 0 {
				fmt.Fprintln(tw, "\nLOCAL SIGN-IN (SID)\tSIGNED IN\tLAST USED\tEXPIRES")
				for _, f := range fams {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", f.ID, f.Created.Local().Format(time.RFC3339), f.LastUsed.Local().Format(time.RFC3339), f.Expires.Local().Format(time.RFC3339))
				}
			}
		}
		return tw.Flush()
	}
	return usageError(fmt.Sprintf("session: unknown subcommand %q: want list or revoke", sub))
}

// sessionSeen reports whether the store has seen the JWT session sid.
func sessionSeen(ctx context.Context, ss latch.SessionSightingStore, sid string) bool {
	_, err := ss.SessionSighting(ctx, sid)
	return err == nil
}

// printable keeps what a terminal shows as text: a user agent is
// client-sent.
func printable(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return '?'
	}
	return r
}
