package latch

import (
	"context"
	"net/http"
)

// Provider types, as GET <base>/providers reports them.
const (
	TypeOAuth       = "oauth"
	TypeEmail       = "email"
	TypeCredentials = "credentials"
)

// Provider is a way to sign in.
type Provider interface {
	// Info returns the provider's id, display name and type.
	Info() ProviderInfo
}

// ProviderInfo describes a provider.
type ProviderInfo struct {
	ID   string // URL segment: <base>/signin/<ID>, <base>/callback/<ID>
	Name string // shown on the sign-in page
	Type string // TypeOAuth, TypeEmail or TypeCredentials
}

// Credentials signs users in with whatever fields a form submits, checked
// by Authorize. Sessions are JWTs.
type Credentials struct {
	// ID defaults to "credentials"; Name to "Credentials".
	ID, Name string
	// Fields are the inputs of the sign-in page's form.
	Fields []CredentialField
	// Authorize returns the user the credentials identify, or nil (or
	// ErrCredentialsSignin) when they are wrong. An *Error refuses the
	// sign-in with its code; any other error is a server failure (logged,
	// code Callback). credentials holds every submitted field, including
	// csrfToken and callbackUrl.
	Authorize func(ctx context.Context, credentials map[string]string, r *http.Request) (*User, error)
}

// CredentialField is one input of a credentials form.
type CredentialField struct {
	Name        string // form field name
	Label       string // defaults to Name
	Type        string // HTML input type; defaults to "text"
	Placeholder string
}

// Info implements [Provider].
func (c *Credentials) Info() ProviderInfo {
	info := ProviderInfo{ID: c.ID, Name: c.Name, Type: TypeCredentials}
	if info.ID == "" {
		info.ID = "credentials"
	}
	if info.Name == "" {
		info.Name = "Credentials"
	}
	return info
}
