package oauthtest_test

import (
	"net/url"
	"testing"

	"golang.org/x/oauth2"

	"github.com/latchauth/latch/provider/oauth/oauthtest"
)

// TestLogin signs in with golang.org/x/oauth2 alone.
func TestLogin(t *testing.T) {
	const redirect = "http://rp.test/callback"
	op := oauthtest.NewProvider(t, "http://rp.test/other")
	op.SetRedirectURIs(redirect)
	if op.Username != "test-user@localhost" || op.Password != "verysecure" {
		t.Errorf("Username, Password = %q, %q; want %q, %q", op.Username, op.Password, "test-user@localhost", "verysecure")
	}
	cfg := &oauth2.Config{
		ClientID:     op.ClientID,
		ClientSecret: op.ClientSecret,
		Endpoint:     oauth2.Endpoint{AuthURL: op.Issuer + "/auth", TokenURL: op.Issuer + "/oauth/token"},
		RedirectURL:  redirect,
		Scopes:       []string{"openid", "email"},
	}
	cb, err := url.Parse(op.Login(t, nil, cfg.AuthCodeURL("xyz")))
	if err != nil {
		t.Fatal(err)
	}
	if got := cb.Scheme + "://" + cb.Host + cb.Path; got != redirect {
		t.Errorf("callback = %q; want %q", got, redirect)
	}
	if got := cb.Query().Get("state"); got != "xyz" {
		t.Errorf("state = %q; want %q", got, "xyz")
	}
	tok, err := cfg.Exchange(t.Context(), cb.Query().Get("code"))
	if err != nil {
		t.Fatalf("Exchange: %v", err)
	}
	if id, _ := tok.Extra("id_token").(string); id == "" {
		t.Error("token response has no id_token")
	}
}
