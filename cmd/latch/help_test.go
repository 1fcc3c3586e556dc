package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"testing"
)

// Every command and subcommand answers --help and -h with its usage on
// stdout and exit 0, without touching a database.
func TestHelpOnEveryCommand(t *testing.T) {
	dir := t.TempDir()
	var cmds []string
	for k := range commandHelp {
		cmds = append(cmds, k)
	}
	sort.Strings(cmds)
	for _, cmd := range cmds {
		for _, flag := range []string{"--help", "-h"} {
			args := append(strings.Fields(cmd), flag)
			code, out, stderr := run(t, dir, "", args...)
			if code != 0 || stderr != "" {
				t.Errorf("latch %s: exit %d, stderr %q; want 0 and nothing", strings.Join(args, " "), code, stderr)
			}
			if !strings.HasPrefix(out, "Usage: latch "+strings.Fields(cmd)[0]) || !strings.Contains(out, "latch "+cmd) {
				t.Errorf("latch %s printed %q; want the usage of latch %s", strings.Join(args, " "), out, cmd)
			}
		}
	}
	// Help among other arguments and flags, after them too.
	for _, args := range [][]string{
		{"user", "add", "--email", "ann@example.com", "--help"},
		{"user", "remove", "ann@example.com", "-h"},
		{"help", "user", "add"},
	} {
		code, out, _ := run(t, dir, "", args...)
		if code != 0 || !strings.HasPrefix(out, "Usage: latch user add") && !strings.HasPrefix(out, "Usage: latch user remove") {
			t.Errorf("latch %s: exit %d, %q", strings.Join(args, " "), code, out)
		}
	}
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		if code, out, _ := run(t, dir, "", args...); code != 0 || !strings.Contains(out, "latch serve") || !strings.Contains(out, "latch version") {
			t.Errorf("latch %s: exit %d, %q; want the general usage", args[0], code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "latch-data")); err == nil {
		t.Error("--help created a database")
	}
	// A mistake points at the help.
	if code, _, stderr := run(t, dir, "", "serve", "--adr", ":1"); code != 2 || !strings.Contains(stderr, "latch serve --help") {
		t.Errorf("bad flag: exit %d, %q; want 2 and a pointer to --help", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	code, out, stderr := run(t, t.TempDir(), "", "version")
	if code != 0 || !strings.HasPrefix(out, "latch ") || !strings.Contains(out, "revision") {
		t.Errorf("latch version: exit %d, %q, %q", code, out, stderr)
	}
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/latchauth/latch", Version: "v0.4.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "07b358e1234"}, {Key: "vcs.time", Value: "2026-12-07T10:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	got := versionText(bi)
	for _, want := range []string{"latch v0.4.0 (github.com/latchauth/latch)", "revision 07b358e1234 (2026-12-07T10:00:00Z) with uncommitted changes", "go1.26.8"} {
		if !strings.Contains(got, want) {
			t.Errorf("versionText = %q; want %q in it", got, want)
		}
	}
	if got := versionText(&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}); !strings.Contains(got, "(devel)") || !strings.Contains(got, "revision unknown") {
		t.Errorf("versionText without VCS = %q", got)
	}
	if code, _, _ := run(t, t.TempDir(), "", "version", "extra"); code != 2 {
		t.Errorf("version extra: exit %d; want 2", code)
	}
}
