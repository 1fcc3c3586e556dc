package redis

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// Passkeys live in the SQL store, like users: Store passes them on.

var _ latch.AuthenticatorStore = (*Store)(nil)

var errNoAuthenticators = errors.New("redis: the wrapped store does not keep passkeys (latch.AuthenticatorStore)")

func (s *Store) authenticators() (latch.AuthenticatorStore, error) {
	if as, ok := s.Store.(latch.AuthenticatorStore); ok {
		return as, nil
	}
	return nil, errNoAuthenticators
}

// CreateAuthenticator implements [latch.AuthenticatorStore] with the SQL store.
func (s *Store) CreateAuthenticator(ctx context.Context, a latch.Authenticator) error {
	as, err := s.authenticators()
	if err != nil {
		return err
	}
	return as.CreateAuthenticator(ctx, a)
}

// Authenticator implements [latch.AuthenticatorStore] with the SQL store.
func (s *Store) Authenticator(ctx context.Context, credentialID string) (*latch.Authenticator, error) {
	as, err := s.authenticators()
	if err != nil {
		return nil, err
	}
	return as.Authenticator(ctx, credentialID)
}

// UserAuthenticators implements [latch.AuthenticatorStore] with the SQL store.
func (s *Store) UserAuthenticators(ctx context.Context, userID string) ([]latch.Authenticator, error) {
	as, err := s.authenticators()
	if err != nil {
		return nil, err
	}
	return as.UserAuthenticators(ctx, userID)
}

// UpdateAuthenticatorUse implements [latch.AuthenticatorStore] with the SQL store.
func (s *Store) UpdateAuthenticatorUse(ctx context.Context, credentialID string, counter int64, backedUp bool, used time.Time) error {
	as, err := s.authenticators()
	if err != nil {
		return err
	}
	return as.UpdateAuthenticatorUse(ctx, credentialID, counter, backedUp, used)
}

// DeleteAuthenticator implements [latch.AuthenticatorStore] with the SQL store.
func (s *Store) DeleteAuthenticator(ctx context.Context, userID, credentialID string) error {
	as, err := s.authenticators()
	if err != nil {
		return err
	}
	return as.DeleteAuthenticator(ctx, userID, credentialID)
}
