package redis

import (
	"context"
	"errors"
	"time"

	"github.com/latchauth/latch"
)

// The local provider's signing keys and refresh-token families live in
// the SQL store, like users: Store passes them on.

var _ latch.LocalStore = (*Store)(nil)

var errNoLocal = errors.New("redis: the wrapped store does not keep the local provider's keys and refresh tokens (latch.LocalStore)")

func (s *Store) local() (latch.LocalStore, error) {
	if ls, ok := s.Store.(latch.LocalStore); ok {
		return ls, nil
	}
	return nil, errNoLocal
}

// AddSigningKey implements [latch.SigningKeyStore] with the SQL store.
func (s *Store) AddSigningKey(ctx context.Context, k latch.SigningKey) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.AddSigningKey(ctx, k)
}

// SigningKeys implements [latch.SigningKeyStore] with the SQL store.
func (s *Store) SigningKeys(ctx context.Context) ([]latch.SigningKey, error) {
	ls, err := s.local()
	if err != nil {
		return nil, err
	}
	return ls.SigningKeys(ctx)
}

// DeleteSigningKey implements [latch.SigningKeyStore] with the SQL store.
func (s *Store) DeleteSigningKey(ctx context.Context, id string) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.DeleteSigningKey(ctx, id)
}

// CreateRefreshFamily implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) CreateRefreshFamily(ctx context.Context, f latch.RefreshFamily, first latch.RefreshToken) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.CreateRefreshFamily(ctx, f, first)
}

// RefreshToken implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) RefreshToken(ctx context.Context, hash string) (*latch.RefreshToken, *latch.RefreshFamily, error) {
	ls, err := s.local()
	if err != nil {
		return nil, nil, err
	}
	return ls.RefreshToken(ctx, hash)
}

// RotateRefreshToken implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) RotateRefreshToken(ctx context.Context, hash string, next latch.RefreshToken) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.RotateRefreshToken(ctx, hash, next)
}

// TouchRefreshFamily implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) TouchRefreshFamily(ctx context.Context, id string, lastUsed, expires time.Time) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.TouchRefreshFamily(ctx, id, lastUsed, expires)
}

// RefreshFamily implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) RefreshFamily(ctx context.Context, id string) (*latch.RefreshFamily, error) {
	ls, err := s.local()
	if err != nil {
		return nil, err
	}
	return ls.RefreshFamily(ctx, id)
}

// UserRefreshFamilies implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) UserRefreshFamilies(ctx context.Context, userID string) ([]latch.RefreshFamily, error) {
	ls, err := s.local()
	if err != nil {
		return nil, err
	}
	return ls.UserRefreshFamilies(ctx, userID)
}

// DeleteRefreshFamily implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) DeleteRefreshFamily(ctx context.Context, id string) error {
	ls, err := s.local()
	if err != nil {
		return err
	}
	return ls.DeleteRefreshFamily(ctx, id)
}

// DeleteUserRefreshFamilies implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) DeleteUserRefreshFamilies(ctx context.Context, userID string) (int, error) {
	ls, err := s.local()
	if err != nil {
		return 0, err
	}
	return ls.DeleteUserRefreshFamilies(ctx, userID)
}

// DeleteExpiredRefreshFamilies implements [latch.RefreshTokenStore] with the SQL store.
func (s *Store) DeleteExpiredRefreshFamilies(ctx context.Context, before time.Time) (int, error) {
	ls, err := s.local()
	if err != nil {
		return 0, err
	}
	return ls.DeleteExpiredRefreshFamilies(ctx, before)
}
