package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"
)

// commandHelp is the usage of each command and subcommand, by its words
// ("user add"). `latch CMD --help` prints the longest match.
var commandHelp = map[string]string{
	"serve": `Usage: latch serve [--config FILE] [--addr ADDR]

Run the auth server (the NextAuth REST API under /api/auth) with the demo
app, or guarding the upstream app of the configuration.

Flags:
  --config FILE   configuration file (YAML); default ./latch.yaml when present
  --addr ADDR     listen address (default :3456, or addr in the config)

Ctrl-C (SIGINT) or SIGTERM shut the server down gracefully (waiting up to
shutdownTimeout, default 10s, for the requests under way). SIGHUP reloads
the configuration file; the log says which changed settings need a restart.
`,
	"user": `Usage: latch user SUBCOMMAND [--config FILE] ...

Manage the built-in user database (email and password sign-in).

Subcommands:
  add --email EMAIL [--name NAME]   add a user (password from a prompt or stdin)
  list                              list users
  remove EMAIL                      remove a user and end their sessions
  passwd EMAIL                      set a user's password
  unlock EMAIL                      clear a user's sign-in lockouts
  passkeys EMAIL [--remove ID]      list a user's passkeys, or remove one
  2fa reset EMAIL                   turn a user's second factor off

Run latch user SUBCOMMAND --help for the details of one.
`,
	"user add": `Usage: latch user add --email EMAIL [--name NAME] [--config FILE]

Add a user to the built-in database. The password is asked for (without
echo) in a terminal, or read from the first line of stdin:

  echo 'correct horse battery' | latch user add --email ann@example.com --name Ann

Flags:
  --email EMAIL   the user's email address (or give it as the argument)
  --name NAME     display name
  --config FILE   configuration file; its database is the one written to

The output names the database the user was added to: latch serve must
use the same one (run it with the same configuration, from the same
folder for a relative SQLite path).
`,
	"user list": `Usage: latch user list [--config FILE]

List the users of the database: email, name and ID. Which database
that is goes to stderr, with the count.
`,
	"user remove": `Usage: latch user remove EMAIL [--config FILE]

Remove a user, their sessions and linked accounts. Their JWT sessions end
on every running server within seconds.
`,
	"user passwd": `Usage: latch user passwd EMAIL [--config FILE]

Set a user's password (asked for in a terminal, or the first line of
stdin). Their sessions signed in with the old one end.
`,
	"user unlock": `Usage: latch user unlock EMAIL [--config FILE]

Clear the rate-limit lockouts of a user: the failed password tries
counted for their account (from every address) and their wrong
second-factor codes, so they may sign in again at once.

The limits must be in Redis (redis in the configuration), shared by every
latch serve: without it each server counts in its own memory, where this
command cannot reach; a lockout then ends 15 minutes after the last
failed try, or when latch serve restarts.
`,
	"user passkeys": `Usage: latch user passkeys EMAIL [--remove ID] [--config FILE]

List a user's passkeys, or remove the one with credential ID ID.
`,
	"user 2fa": `Usage: latch user 2fa reset EMAIL [--config FILE]

Turn a user's second factor (TOTP and recovery codes) off, for a user who
lost them. The password alone signs in until it is set up again.
`,
	"user 2fa reset": `Usage: latch user 2fa reset EMAIL [--config FILE]

Turn a user's second factor (TOTP and recovery codes) off, for a user who
lost them. The password alone signs in until it is set up again.
`,
	"session": `Usage: latch session SUBCOMMAND [--config FILE] ...

Subcommands:
  list EMAIL                  list a user's database sessions and local sign-ins
  revoke EMAIL                end every session and local sign-in of a user
  revoke --token TOKEN        end one database session
  revoke --sid SID            end one local sign-in

Run latch session SUBCOMMAND --help for the details of one.
`,
	"session list": `Usage: latch session list EMAIL [--config FILE]

List a user's database sessions and local sign-ins (refresh-token families).
`,
	"session revoke": `Usage: latch session revoke EMAIL | --token TOKEN | --sid SID [--config FILE]

End sessions at once:
  EMAIL           every session of the user (JWT sessions too, on every
                  server within seconds) and their local sign-ins
  --token TOKEN   one database session
  --sid SID       one local sign-in (the "sid" of its access tokens)
`,
	"secret": `Usage: latch secret

Print a new random secret (32 bytes, base64) for LATCH_SECRET or secrets.
`,
	"migrate": `Usage: latch migrate [--config FILE]

Create or update the database tables, and seal the provider tokens stored
in the clear when a secret is configured.
`,
	"version": `Usage: latch version

Print the module version and the VCS revision latch was built from.
`,
}

// isHelp reports whether arg asks for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--help", "-help", "--h":
		return true
	}
	return false
}

// wantsHelp reports whether args (after the command) ask for help; "--"
// ends the flags.
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if isHelp(a) {
			return true
		}
	}
	return false
}

// helpFor returns the usage of the command args name: the longest run of
// leading words that has one, else the general usage.
func helpFor(args []string) string {
	var words []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			break
		}
		words = append(words, a)
	}
	for n := len(words); n > 0; n-- {
		if h, ok := commandHelp[strings.Join(words[:n], " ")]; ok {
			return h
		}
	}
	return usage
}

// runVersion prints the build's module version and VCS revision.
func runVersion(e *env, args []string) error {
	if len(args) > 0 {
		return usageError("version takes no arguments")
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	fmt.Fprintln(e.stdout, versionText(bi))
	return nil
}

// versionText describes bi: "latch VERSION (MODULE)", the revision, its
// time and whether the tree had changes, and the Go version.
func versionText(bi *debug.BuildInfo) string {
	if bi == nil {
		return "latch (unknown version: built without module information)"
	}
	version := bi.Main.Version
	if version == "" {
		version = "(devel)"
	}
	path := bi.Main.Path
	if path == "" {
		path = "github.com/latchauth/latch"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "latch %s (%s)", version, path)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "\nrevision %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " (%s)", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(" with uncommitted changes")
		}
	} else {
		b.WriteString("\nrevision unknown (built outside a VCS checkout)")
	}
	if bi.GoVersion != "" {
		fmt.Fprintf(&b, "\nbuilt with %s", bi.GoVersion)
	}
	return b.String()
}

// printHelp writes the usage args ask for to w.
func printHelp(w io.Writer, args []string) {
	fmt.Fprint(w, helpFor(args))
}
