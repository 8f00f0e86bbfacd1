//go:build !unix

package store

import (
	"context"
	"errors"
)

// lockFile cannot lock without flock: migrating an SQLite file is refused
// rather than left unguarded against a concurrent migrator.
func lockFile(context.Context, string) (func() error, error) {
	return nil, errors.New("migrating an SQLite file needs flock (a unix system)")
}
