package sync

import (
	"context"
	"time"
)

// StatusReader reads what a status view shows of one source, read-only and
// bounded: every list it returns is capped by the caller's limit, with the
// total counted by the database, so a store with a million decisions costs
// the same as one with ten.
type StatusReader interface {
	// SourceRuns returns the last n runs of source, newest first.
	SourceRuns(ctx context.Context, source string, n int) ([]RunRecord, error)
	// DirectoryFreshness summarises the cached directory of target and its
	// interrupted scan.
	DirectoryFreshness(ctx context.Context, target string) (DirectoryFreshness, error)
	// UnknownUsers returns the first n ids of target (in id order) whose
	// answer stayed unknown for at least minRuns runs, and how many there
	// are in all.
	UnknownUsers(ctx context.Context, target string, minRuns, n int) (users []UnknownUser, total int, err error)
	// DecisionGroups returns the open decisions of source grouped by
	// action and reason, most urgent first, each with its total and its
	// first per customers in billing id order.
	DecisionGroups(ctx context.Context, source string, per int) ([]DecisionGroup, error)
}

// DirectoryFreshness is how fresh the cached directory of one Ticaga is.
type DirectoryFreshness struct {
	// Users is how many users the cache holds; MaxID the highest id.
	Users int
	MaxID int64
	// Oldest and Newest are the oldest and newest read of a cached user
	// (zero when the cache is empty): every cached user was read from
	// Ticaga at Oldest or later, so the directory as a whole was last
	// fully read no earlier than Oldest.
	Oldest, Newest time.Time
	// Scan is the position of a scan in progress or interrupted (nil when
	// none).
	Scan *ScanPosition
}

// DecisionGroup is the open decisions of one source with one action and
// reason.
type DecisionGroup struct {
	Action Action
	Reason Reason
	// Total counts the group's customers; Decisions holds at most the
	// limit asked for, in billing id order.
	Total     int
	Decisions []DecisionRecord
}
