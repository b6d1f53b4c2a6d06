package sync

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Directory is the cached index of the users of one Ticaga instance, kept in
// the store because the Ticaga API has no search by email. Target names the
// instance (its base URL) so that several Ticagas can share one store.
type Directory interface {
	// DirectoryUsers returns every cached user of target.
	DirectoryUsers(ctx context.Context, target string) ([]TicagaUser, error)
	// DirectoryProgress returns the ids of target whose answer is unknown,
	// in id order, and the position of an interrupted scan (nil when none).
	DirectoryProgress(ctx context.Context, target string) ([]UnknownUser, *ScanPosition, error)
	// SaveDirectory applies cp to the directory of target in one
	// transaction.
	SaveDirectory(ctx context.Context, target string, cp DirectoryCheckpoint) error
}

// UnknownUser is a Ticaga id whose customers/get answer stayed unknown after
// retries (a timeout, a 5xx, a malformed answer): it may be a user, and may
// hold an email that would turn a link into a conflict. It is remembered
// until Ticaga answers it, and re-read first by every run.
type UnknownUser struct {
	ID int64 `json:"id"`
	// FirstAt and LastAt are when the id was first and last left unknown.
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
	// LastError is the last answer's error, e.g. "ticaga: customers/get
	// (id 17): HTTP 500: Server Error (after 7 attempts)".
	LastError string `json:"last_error"`
	// Runs counts the consecutive runs whose directory refresh ended with
	// the id still unknown.
	Runs int `json:"runs"`
}

// Unreadable reports whether u has stayed unknown for at least after runs
// (after 0: never), so that it stops blocking links. It is still re-read by
// every run and reported.
func (u UnknownUser) Unreadable(after int) bool { return after > 0 && u.Runs >= after }

// String describes u in one line for people: "Ticaga user 17, unknown in 3
// run(s) since 2026-12-02 01:00:00 UTC: <last error>".
func (u UnknownUser) String() string {
	return fmt.Sprintf("Ticaga user %d, unknown in %d run(s) since %s: %s", u.ID, u.Runs,
		u.FirstAt.UTC().Format(time.DateTime+" MST"), strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, u.LastError))
}

// ScanPosition is a directory scan that has not reached its end: the next
// run resumes it at Next instead of starting over.
type ScanPosition struct {
	// Next is the first id whose answer was not yet taken, in id order;
	// every id below it was answered or is remembered as unknown.
	Next int64 `json:"next"`
	// Full is set for a full rescan (sync --full), which a later run
	// finishes even when it is not full itself.
	Full bool `json:"full,omitempty"`
	// StartedAt is when the scan began; SavedAt when Next was saved.
	StartedAt time.Time `json:"started_at"`
	SavedAt   time.Time `json:"saved_at"`
}

// DirectoryCheckpoint is what a directory refresh saves as it goes and when
// it ends or is stopped.
type DirectoryCheckpoint struct {
	// Save holds entries to insert or replace; Delete ids Ticaga said do
	// not exist.
	Save   []TicagaUser
	Delete []int64
	// Unknown holds unknown ids to insert or replace (an existing row keeps
	// the earlier FirstAt); Answered the ids no longer remembered as
	// unknown: Ticaga answered them, or they lie beyond the scanned range.
	Unknown  []UnknownUser
	Answered []int64
	// Scan, when set, is the scan's position to keep; ScanDone clears it.
	// With neither, the saved position is left as it is.
	Scan     *ScanPosition
	ScanDone bool
}

// empty reports whether cp changes nothing.
func (cp DirectoryCheckpoint) empty() bool {
	return len(cp.Save) == 0 && len(cp.Delete) == 0 && len(cp.Unknown) == 0 && len(cp.Answered) == 0 &&
		cp.Scan == nil && !cp.ScanDone
}

// index returns the planner's index of the directory: users by email,
// found by id through the directory itself.
func (d *liveDirectory) index() *userIndex {
	return newUserIndex(func(id int64) (TicagaUser, bool) {
		u, ok, _ := d.get(id)
		return u, ok
	}, func(yield func(TicagaUser) bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		for _, u := range d.byID {
			if !yield(u) {
				return
			}
		}
	})
}
