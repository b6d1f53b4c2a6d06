package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// runRow is one row of ticaga_sync_runs.
type runRow struct {
	ID            int64      `gorm:"column:id;primaryKey;autoIncrement"`
	Source        string     `gorm:"column:source"`
	StartedAt     time.Time  `gorm:"column:started_at"`
	FinishedAt    *time.Time `gorm:"column:finished_at"`
	Outcome       string     `gorm:"column:outcome"`
	DryRun        bool       `gorm:"column:dry_run"`
	Kind          string     `gorm:"column:kind"`
	Excluded      int        `gorm:"column:excluded"`
	Contacts      int        `gorm:"column:contacts"`
	Linked        int        `gorm:"column:linked"`
	Created       int        `gorm:"column:created"`
	AlreadyLinked int        `gorm:"column:already_linked"`
	NoMatch       int        `gorm:"column:no_match"`
	Conflict      int        `gorm:"column:conflict"`
	InvalidEmail  int        `gorm:"column:invalid_email"`
	Failed        int        `gorm:"column:failed"`
	APICalls      int        `gorm:"column:api_calls"`
	Error         *string    `gorm:"column:error"`
}

// TableName tells gorm the table.
func (runRow) TableName() string { return "ticaga_sync_runs" }

func (r runRow) record() ticagasync.RunRecord {
	rec := ticagasync.RunRecord{
		ID: r.ID, Source: r.Source, StartedAt: r.StartedAt, Outcome: ticagasync.Outcome(r.Outcome),
		DryRun: r.DryRun, Kind: ticagasync.RunKind(r.Kind), APICalls: r.APICalls,
		Counts: ticagasync.Counts{Contacts: r.Contacts, Linked: r.Linked, Created: r.Created, AlreadyLinked: r.AlreadyLinked,
			NoMatch: r.NoMatch, Conflict: r.Conflict, InvalidEmail: r.InvalidEmail, Failed: r.Failed, Excluded: r.Excluded},
	}

	if r.FinishedAt != nil {
		rec.FinishedAt = *r.FinishedAt
	}
	if r.Error != nil {
		rec.Error = *r.Error
	}
	return rec
}

// StartRun records r as running (whatever r.Outcome says, and with no
// finish time) and returns its id. A zero StartedAt is stored as now.
func (s *Store) StartRun(ctx context.Context, r ticagasync.RunRecord) (int64, error) {
	row := runRow{
		Source: r.Source, StartedAt: s.utc(r.StartedAt), Outcome: string(ticagasync.OutcomeRunning),
		DryRun: r.DryRun, Kind: string(r.Kind), APICalls: r.APICalls, Excluded: r.Counts.Excluded,
		Contacts: r.Counts.Contacts, Linked: r.Counts.Linked, Created: r.Counts.Created, AlreadyLinked: r.Counts.AlreadyLinked,
		NoMatch: r.Counts.NoMatch, Conflict: r.Counts.Conflict, InvalidEmail: r.Counts.InvalidEmail,
		Failed: r.Counts.Failed,
	}
	if r.Error != "" {
		row.Error = &r.Error
	}
	if err := s.with(ctx).Create(&row).Error; err != nil {
		return 0, fmt.Errorf("start run of %s: %w", r.Source, err)
	}
	return row.ID, nil
}

// FinishRun records the end of run r.ID: its outcome, counts, API calls and
// error, and its finish time (now when r.FinishedAt is zero). It returns an
// error when the run does not exist or r.Outcome is empty or running.
func (s *Store) FinishRun(ctx context.Context, r ticagasync.RunRecord) error {
	if r.Outcome == "" || r.Outcome == ticagasync.OutcomeRunning {
		return fmt.Errorf("finish run %d: outcome %q is not a final outcome", r.ID, r.Outcome)
	}
	var errText any
	if r.Error != "" {
		errText = r.Error
	}
	res := s.with(ctx).Model(&runRow{}).Where("id = ?", r.ID).Updates(map[string]any{
		"finished_at": s.utc(r.FinishedAt), "outcome": string(r.Outcome), "api_calls": r.APICalls,
		"contacts": r.Counts.Contacts, "linked": r.Counts.Linked, "created": r.Counts.Created, "already_linked": r.Counts.AlreadyLinked,
		"no_match": r.Counts.NoMatch, "conflict": r.Counts.Conflict, "invalid_email": r.Counts.InvalidEmail,
		"failed": r.Counts.Failed, "excluded": r.Counts.Excluded, "error": errText,
	})
	if res.Error != nil {
		return fmt.Errorf("finish run %d: %w", r.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		// MySQL counts changed rows only: tell "no such run" from "same values".
		var n int64
		if err := s.with(ctx).Model(&runRow{}).Where("id = ?", r.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("finish run %d: %w", r.ID, err)
		}
		if n == 0 {
			return fmt.Errorf("finish run %d: %w", r.ID, errNoRun)
		}
	}
	return nil
}

var errNoRun = errors.New("no such run")

// RecentRuns returns the last n runs of every source, newest first.
func (s *Store) RecentRuns(ctx context.Context, n int) ([]ticagasync.RunRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	var rows []runRow
	if err := s.with(ctx).Order("started_at DESC, id DESC").Limit(n).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read recent runs: %w", err)
	}
	out := make([]ticagasync.RunRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// AbandonRuns closes every run of source still recorded as running as
// abandoned, finished at now, with an error saying so, and returns their
// ids. The caller holds the source's run lock, which proves that the
// process that started them is gone.
func (s *Store) AbandonRuns(ctx context.Context, source string, now time.Time) ([]int64, error) {
	var ids []int64
	err := s.with(ctx).Raw("SELECT id FROM ticaga_sync_runs WHERE source = ? AND outcome = ? ORDER BY id",
		source, string(ticagasync.OutcomeRunning)).Scan(&ids).Error
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil || len(ids) == 0 {
		return nil, wrapIf(err, "find abandoned runs of %s", source)
	}
	err = s.with(ctx).Exec("UPDATE ticaga_sync_runs SET outcome = ?, finished_at = ?, "+
		"error = COALESCE(error, ?) WHERE id IN ? AND outcome = ?",
		string(ticagasync.OutcomeAbandoned), s.utc(now),
		"abandoned: its process ended without recording the end of the run (killed, crashed, or its host was lost); "+
			"closed by the next run of the source",
		ids, string(ticagasync.OutcomeRunning)).Error
	if err != nil {
		return nil, fmt.Errorf("close abandoned runs of %s: %w", source, err)
	}
	return ids, nil
}

// wrapIf returns nil for a nil err, else err wrapped with the formatted
// context.
func wrapIf(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
