package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The JSON of `status --output json`. Field names are stable (README);
// times are RFC 3339 with their offset.
type statusJSON struct {
	Daemon      daemonJSON             `json:"daemon"`
	Directories []directoryJSON        `json:"directories"`
	Runs        []runJSON              `json:"runs"`
	NotLinked   []notLinkedJSON        `json:"not_linked"`
	Excluded    []ticagasync.Exclusion `json:"excluded"`
}

type daemonJSON struct {
	// Running is true or false, or null when it cannot be told (no
	// CONTROL_SOCKET, or the socket answered with an error: Error).
	Running *bool                `json:"running"`
	Socket  string               `json:"socket,omitempty"`
	Error   string               `json:"error,omitempty"`
	Status  *daemon.DaemonStatus `json:"status,omitempty"`
}

type directoryJSON struct {
	Source      string                   `json:"source"`
	Target      string                   `json:"target,omitempty"`
	Problem     string                   `json:"problem,omitempty"`
	Users       int64                    `json:"users"`
	HighestID   int64                    `json:"highest_id"`
	OldestEntry *time.Time               `json:"oldest_entry,omitempty"`
	Unknown     []ticagasync.UnknownUser `json:"unknown_users"`
}

type runJSON struct {
	ID         int64             `json:"id"`
	Source     string            `json:"source"`
	Kind       string            `json:"kind"`
	DryRun     bool              `json:"dry_run"`
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt *time.Time        `json:"finished_at"`
	Outcome    string            `json:"outcome"`
	Counts     ticagasync.Counts `json:"counts"`
	APICalls   int               `json:"api_calls"`
	Error      string            `json:"error,omitempty"`
}

type notLinkedJSON struct {
	Source    string               `json:"source"`
	BillingID ticagasync.BillingID `json:"billing_id"`
	Email     string               `json:"email"`
	Action    string               `json:"action"`
	Reason    string               `json:"reason"`
	TicagaID  int64                `json:"ticaga_id,omitempty"`
	Detail    string               `json:"detail,omitempty"`
	Since     time.Time            `json:"since"`
	LastSeen  time.Time            `json:"last_seen"`
	RunID     int64                `json:"run_id"`
}

func writeStatusJSON(ctx context.Context, env Env, a *daemon.App, dm daemonAnswer, recent []ticagasync.RunRecord,
	open []ticagasync.DecisionRecord, excluded []ticagasync.Exclusion) int {
	doc := statusJSON{Directories: []directoryJSON{}, Runs: []runJSON{}, NotLinked: []notLinkedJSON{}, Excluded: []ticagasync.Exclusion{}}
	doc.Daemon = daemonJSON{Socket: dm.socket, Status: dm.status}
	if dm.err != nil {
		doc.Daemon.Error = oneLine(dm.err)
	} else if dm.socket != "" {
		running := dm.status != nil
		doc.Daemon.Running = &running
	}
	for _, s := range a.Sources() {
		dj := directoryJSON{Source: s.Name(), Unknown: []ticagasync.UnknownUser{}}
		if s.Problem() != nil {
			dj.Problem = oneLine(s.Problem())
			doc.Directories = append(doc.Directories, dj)
			continue
		}
		dj.Target = s.Engine().Target
		n, maxID, oldest, err := s.Store().DirectoryStats(ctx, dj.Target)
		if err == nil {
			var unknown []ticagasync.UnknownUser
			unknown, _, err = s.Store().DirectoryProgress(ctx, dj.Target)
			dj.Unknown = append(dj.Unknown, unknown...)
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s\n", s.Name(), oneLine(err))
			return exitFailed
		}
		dj.Users, dj.HighestID = int64(n), maxID
		if n > 0 {
			dj.OldestEntry = &oldest
		}
		doc.Directories = append(doc.Directories, dj)
	}
	for _, r := range recent {
		rj := runJSON{ID: r.ID, Source: r.Source, Kind: string(r.Kind), DryRun: r.DryRun, StartedAt: r.StartedAt,
			Outcome: string(r.Outcome), Counts: r.Counts, APICalls: r.APICalls, Error: r.Error}
		if !r.FinishedAt.IsZero() {
			f := r.FinishedAt
			rj.FinishedAt = &f
		}
		doc.Runs = append(doc.Runs, rj)
	}
	for _, d := range open {
		doc.NotLinked = append(doc.NotLinked, notLinkedJSON{Source: d.Source, BillingID: d.BillingID, Email: d.Email,
			Action: string(d.Action), Reason: string(d.Reason), TicagaID: d.TicagaID, Detail: d.Detail, Since: d.Since,
			LastSeen: d.LastSeen, RunID: d.RunID})
	}
	doc.Excluded = append(doc.Excluded, excluded...)
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %v\n", err)
		return exitFailed
	}
	return exitOK
}
