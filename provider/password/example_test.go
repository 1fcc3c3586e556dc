package password_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/latchauth/latch"
	"github.com/latchauth/latch/provider/password"
	"github.com/latchauth/latch/store/sqlite"
)

// Sign users of a SQLite store in with their email and password.
func ExampleNew() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "latch-example")
	defer os.RemoveAll(dir)
	store, err := sqlite.Open(ctx, filepath.Join(dir, "latch.db"))
	if err != nil {
		panic(err)
	}
	defer store.Close()

	// What `latch user add` does.
	ann, _ := store.CreateUser(ctx, latch.StoredUser{User: latch.User{Name: "Ann", Email: "ann@example.com"}})
	hash, _ := password.Hash("correct horse battery staple")
	store.SetPasswordHash(ctx, ann.ID, hash)

	credentials := password.New(store, password.Options{})
	// latch.New(latch.Config{..., Store: store, Providers: []latch.Provider{credentials}})

	u, _ := credentials.Authorize(ctx, map[string]string{"email": "ANN@example.com", "password": "correct horse battery staple"}, nil)
	fmt.Println(u.Name)
	u, _ = credentials.Authorize(ctx, map[string]string{"email": "ann@example.com", "password": "wrong"}, nil)
	fmt.Println(u == nil)
	// Output:
	// Ann
	// true
}
