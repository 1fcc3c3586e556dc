package main

import (
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
)

// newSecret returns 32 random bytes, base64-encoded (44 characters).
func newSecret() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func runSecret(e *env, args []string) error {
	fs := flag.NewFlagSet("secret", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError("secret: " + err.Error())
	}
	fmt.Fprintln(e.stdout, newSecret())
	return nil
}
