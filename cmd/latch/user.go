package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"golang.org/x/term"
)

const minPasswordLength = password.MinLength

func runUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError("user: want add, list, remove, passwd, unlock, passkeys or 2fa")
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("user "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := commonFlags(fs)
	email := fs.String("email", "", "email address (add)")
	name := fs.String("name", "", "display name (add)")
	remove := fs.String("remove", "", "credential ID of the passkey to remove (passkeys)")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return usageError("user " + sub + ": " + err.Error())
	}
	arg := func() string {
		if len(rest) > 0 {
			return rest[0]
		}
		return ""
	}
	switch sub {
	case "add", "list", "remove", "passwd", "unlock", "passkeys", "2fa":
	default:
		return usageError(fmt.Sprintf("user: unknown subcommand %q: want add, list, remove, passwd, unlock, passkeys or 2fa", sub))
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

	switch sub {
	case "add":
		if *email == "" {
			*email = arg()
		}
		return userAdd(ctx, e, c, store, strings.TrimSpace(*email), *name)
	case "list":
		return userList(ctx, e, c, store)
	case "unlock":
		return userUnlock(ctx, e, c, store, arg())
	case "remove":
		return userRemove(ctx, e, store, arg())
	case "passkeys":
		return userPasskeys(ctx, e, store, arg(), *remove)
	case "2fa":
		if len(rest) != 2 || rest[0] != "reset" {
			return usageError("user 2fa: want reset EMAIL")
		}
		return userResetSecondFactor(ctx, e, store, rest[1])
	}
	return userPasswd(ctx, e, store, arg())
}

func userAdd(ctx context.Context, e *env, c *config, s latch.Store, email, name string) error {
	if email == "" || strings.Count(email, "@") != 1 {
		return usageError("user add: --email must be an email address")
	}
	pw, err := readPassword(e, "Password for "+email+": ")
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	u, err := s.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: name, Email: email}})
	if errors.Is(err, latch.ErrConflict) {
		return fmt.Errorf("user add: %s already has an account", email)
	}
	if err != nil {
		return err
	}
	if err := s.SetPasswordHash(ctx, u.ID, hash); err != nil {
		s.DeleteUser(ctx, u.ID)
		return err
	}
	audit(ctx, e.log, auditUserAdd, "user_id", u.ID)
	fmt.Fprintf(e.stdout, "added %s (id %s) to %s\n", email, u.ID, databaseName(c))
	return nil
}

func userList(ctx context.Context, e *env, c *config, s latch.Store) error {
	users, err := s.ListUsers(ctx)
	if err != nil {
		return err
	}
	// On stderr: the table on stdout stays the same for scripts.
	fmt.Fprintf(e.stderr, "%d user(s) in %s\n", len(users), databaseName(c))
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EMAIL\tNAME\tID")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Email, u.Name, u.ID)
	}
	return tw.Flush()
}

func lookup(ctx context.Context, s latch.Store, cmd, email string) (*latch.StoredUser, error) {
	if email == "" {
		return nil, usageError(cmd + ": give the user's email address")
	}
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, latch.ErrNotFound) {
		return nil, fmt.Errorf("%s: no user with email %s", cmd, email)
	}
	return u, err
}

func userRemove(ctx context.Context, e *env, s latch.Store, email string) error {
	u, err := lookup(ctx, s, "user remove", email)
	if err != nil {
		return err
	}
	// The mark first: a user removed is a user whose sessions end.
	ended, err := endJWTSessions(ctx, s, u.ID)
	if err != nil {
		return err
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		return err
	}
	audit(ctx, e.log, auditUserRemove, "user_id", u.ID)
	fmt.Fprintf(e.stdout, "removed %s%s\n", u.Email, ended)
	return nil
}

// endJWTSessions records that the user's JWT sessions issued until now
// end (running servers see it within a second or two), and says so for
// the command's output.
func endJWTSessions(ctx context.Context, s latch.Store, userID string) (string, error) {
	rs, ok := s.(latch.SessionRevocationStore)
	if !ok {
		return "", nil
	}
	if err := rs.RevokeSessionsBefore(ctx, userID, time.Now()); err != nil {
		return "", err
	}
	return "; their sessions end on every server within seconds", nil
}

func userPasswd(ctx context.Context, e *env, s latch.Store, email string) error {
	u, err := lookup(ctx, s, "user passwd", email)
	if err != nil {
		return err
	}
	pw, err := readPassword(e, "New password for "+u.Email+": ")
	if err != nil {
		return err
	}
	hash, err := password.Hash(pw)
	if err != nil {
		return err
	}
	if err := s.SetPasswordHash(ctx, u.ID, hash); err != nil {
		return err
	}
	// A new password ends the sessions signed in with the old one.
	ended, err := endJWTSessions(ctx, s, u.ID)
	if err != nil {
		return err
	}
	if _, err := s.DeleteUserSessions(ctx, u.ID); err != nil {
		return err
	}
	audit(ctx, e.log, auditPasswordChange, "user_id", u.ID)
	fmt.Fprintf(e.stdout, "password of %s changed%s\n", u.Email, ended)
	return nil
}

// userPasskeys lists the passkeys of a user, or removes one.
func userPasskeys(ctx context.Context, e *env, s latch.Store, email, remove string) error {
	as, ok := s.(latch.AuthenticatorStore)
	if !ok {
		return errors.New("user passkeys: this database does not keep passkeys")
	}
	u, err := lookup(ctx, s, "user passkeys", email)
	if err != nil {
		return err
	}
	if remove != "" {
		err := as.DeleteAuthenticator(ctx, u.ID, remove)
		if errors.Is(err, latch.ErrNotFound) {
			return fmt.Errorf("user passkeys: %s has no passkey %s", u.Email, remove)
		}
		if err != nil {
			return err
		}
		audit(ctx, e.log, auditRevoke, "user_id", u.ID, "passkey", remove)
		fmt.Fprintf(e.stdout, "removed passkey %s of %s\n", remove, u.Email)
		return nil
	}
	recs, err := as.UserAuthenticators(ctx, u.ID)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tCREATED\tLAST USED")
	for _, r := range recs {
		used := "never"
		if !r.LastUsed.IsZero() {
			used = r.LastUsed.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.CredentialID, r.Name, r.Created.UTC().Format(time.RFC3339), used)
	}
	return tw.Flush()
}

// userResetSecondFactor turns a user's second factor off (TOTP and
// recovery codes), for a user who lost them.
func userResetSecondFactor(ctx context.Context, e *env, s latch.Store, email string) error {
	sf, ok := s.(latch.SecondFactorStore)
	if !ok {
		return errors.New("user 2fa reset: this database does not keep second factors")
	}
	u, err := lookup(ctx, s, "user 2fa reset", email)
	if err != nil {
		return err
	}
	err = sf.DeleteSecondFactor(ctx, u.ID)
	if errors.Is(err, latch.ErrNotFound) {
		return fmt.Errorf("user 2fa reset: %s has no second factor", u.Email)
	}
	if err != nil {
		return err
	}
	audit(ctx, e.log, auditSecondFactor, "user_id", u.ID, "change", "reset")
	fmt.Fprintf(e.stdout, "second factor of %s reset: the password alone signs in until it is set up again\n", u.Email)
	return nil
}

// readPassword reads a password from the terminal without echo, or the
// first line of stdin when it is not a terminal.
func readPassword(e *env, prompt string) (string, error) {
	var pw string
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		pw = string(b)
	} else {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && (err != io.EOF || line == "") {
			return "", errors.New("no password on stdin (pipe it in, or run in a terminal to be asked)")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if len(pw) < minPasswordLength {
		return "", fmt.Errorf("the password must have at least %d characters", minPasswordLength)
	}
	return pw, nil
}
