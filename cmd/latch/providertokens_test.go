package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProviderTokensConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "latch.yaml"), []byte("providerTokens:\n  minValidity: soon\n  timeout: -1s\n"), 0o600)
	code, _, stderr := run(t, dir, "", "serve", "--addr", "127.0.0.1:0")
	if code == 0 || !strings.Contains(stderr, `providerTokens.minValidity: invalid duration "soon"`) || !strings.Contains(stderr, "providerTokens.timeout") {
		t.Errorf("bad providerTokens config: exit %d, %q", code, stderr)
	}
}
