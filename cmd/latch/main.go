// Command latch runs the Latch authentication server and manages its
// users.
//
//	latch serve [--config FILE] [--addr ADDR]   run the server and demo app
//	latch user add|list|remove|passwd           manage the user database
//	latch session list|revoke                   see and end database sessions and local sign-ins
//	latch secret                                print a new random secret
//	latch migrate                               apply database migrations
//	latch version                               print the version and VCS revision
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := context.Background(), func() {}
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		// The server shuts down gracefully; other commands (a password
		// prompt) keep the default: Ctrl-C ends them at once.
		ctx, stop = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		// SIGHUP reloads the configuration instead of ending the server.
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		reload := make(chan struct{})
		go func() {
			for range hup {
				reload <- struct{}{}
			}
		}()
		ctx = withReload(ctx, reload)
	}
	code := Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `Usage:
  latch serve [--config FILE] [--addr ADDR]     run the auth server and the demo app
  latch user add --email EMAIL [--name NAME]    add a user (password from a prompt or stdin)
  latch user list                               list users
  latch user remove EMAIL                       remove a user and their sessions
  latch user passwd EMAIL                       set a user's password
  latch user unlock EMAIL                       clear a user's sign-in lockouts (rate limits in redis)
  latch user passkeys EMAIL [--remove ID]       list a user's passkeys, or remove one
  latch user 2fa reset EMAIL                    turn a user's second factor off
  latch session list EMAIL                      list a user's database sessions and local sign-ins
  latch session revoke EMAIL | --token TOKEN | --sid SID
                                                end sessions and local sign-ins at once
  latch secret                                  print a new random secret
  latch migrate                                 apply database migrations
  latch version                                 print the version and VCS revision

Every command takes --help (latch user add --help), and those that use the database
--config FILE (YAML; default ./latch.yaml when present).
Environment: LATCH_URL, LATCH_SECRET, LATCH_ADDR, LATCH_DATABASE, LATCH_REDIS, and
NEXTAUTH_URL, NEXTAUTH_SECRET, AUTH_SECRET as a NextAuth app sets them.
`

// Main runs the command line args and returns the exit code. ctx ends the
// server (SIGINT/SIGTERM in main).
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	env := &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv, log: slog.New(slog.DiscardHandler)}
	if _, known := commandHelp[args[0]]; known && wantsHelp(args[1:]) {
		printHelp(stdout, args)
		return 0
	}
	var err error
	switch args[0] {
	case "serve":
		err = runServe(ctx, env, args[1:])
	case "user":
		err = runUser(ctx, env, args[1:])
	case "session":
		err = runSession(ctx, env, args[1:])
	case "secret":
		err = runSecret(env, args[1:])
	case "migrate":
		err = runMigrate(ctx, env, args[1:])
	case "version":
		err = runVersion(env, args[1:])
	case "help", "-h", "--help", "-help":
		printHelp(stdout, args[1:])
		return 0
	default:
		fmt.Fprintf(stderr, "latch: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		// Errors of the library say "latch: " already.
		fmt.Fprintf(stderr, "latch: %s\n", strings.TrimPrefix(err.Error(), "latch: "))
		if _, ok := err.(usageError); ok {
			fmt.Fprintf(stderr, "Run 'latch %s --help' for its usage.\n", args[0])
			return 2
		}
		return 1
	}
	return 0
}

// env is what a command may touch of the outside world.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// log takes the audit lines of the commands that change users and
	// sessions (on stderr, in the configured format).
	log *slog.Logger
}

// usageError is a mistake in the command line.
type usageError string

func (e usageError) Error() string { return string(e) }

// parseArgs parses fs's flags wherever they stand among args (so
// `latch user remove ann@example.com --config prod.yaml` works) and
// returns the other arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return rest, nil
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
