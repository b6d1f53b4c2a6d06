package sync

import "context"

// Directory is the cached index of the users of one Ticaga instance, kept in
// the store because the Ticaga API has no search by email. Target names the
// instance (its base URL) so that several Ticagas can share one store.
type Directory interface {
	// DirectoryUsers returns every cached user of target.
	DirectoryUsers(ctx context.Context, target string) ([]TicagaUser, error)
	// SaveDirectoryUsers inserts or replaces the given entries.
	SaveDirectoryUsers(ctx context.Context, target string, users []TicagaUser) error
	// DeleteDirectoryUsers removes entries Ticaga said no longer exist.
	DeleteDirectoryUsers(ctx context.Context, target string, ids []int64) error
}
