package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/rs/zerolog"
)

// LinkRecorder is a ContactSource that also records each link on the
// billing side, as the Ticaga API pages recommend ("store this in the
// database for the billing system too"): TicketSource gets a note on the
// customer. The engine calls it once per pairing, after the pairing row is
// written, never in a dry run.
type LinkRecorder interface {
	// RecordsLinks reports whether links are recorded (a setting may turn
	// it off).
	RecordsLinks() bool
	// RecordLink records pairing p on the billing side. retry is set when
	// an earlier attempt may have recorded it already (it was not marked
	// done): the recorder then checks before writing, so nothing is
	// written twice.
	RecordLink(ctx context.Context, p Pairing, retry bool) error
}

// LinkRecords is a store that remembers which pairings were recorded on
// the billing side, so each is recorded once and a crash between the
// pairing and its record is repaired by the next run.
type LinkRecords interface {
	// UnrecordedLinks returns the pairings of billing system system not yet
	// marked recorded.
	UnrecordedLinks(ctx context.Context, system string) ([]Pairing, error)
	// MarkLinkRecorded marks pairing p recorded at at.
	MarkLinkRecorded(ctx context.Context, p Pairing, at time.Time) error
}

// LinkNotesReport is what a run recorded on the billing side.
type LinkNotesReport struct {
	Written int    `json:"written"`
	Failed  int    `json:"failed"`
	Error   string `json:"error,omitempty"` // the first failure
}

// recordLinks records on the billing side every pairing of the source's
// system not yet recorded: the links of this run, and those an earlier run
// made but could not record. A failure is counted and retried by the next
// run; it does not fail the run (the link itself is done).
func (e *Engine) recordLinks(ctx context.Context, rep *Report, log zerolog.Logger) error {
	rec, ok := e.Source.(LinkRecorder)
	if !ok || !rec.RecordsLinks() {
		return nil
	}
	st, ok := e.Store.(LinkRecords)
	if !ok {
		return fmt.Errorf("the store cannot remember recorded links")
	}
	pending, err := st.UnrecordedLinks(ctx, e.System)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	// A pairing this run made by assigning the id (or creating the user)
	// cannot have been noted yet; any other (a row written again for a
	// user that already carried the id, an earlier run's) may have been.
	fresh := map[Pairing]bool{}
	for _, d := range rep.Decisions {
		if (d.Action == ActionLink && d.Assigned) || d.Action == ActionCreate {
			fresh[Pairing{TicagaUserID: d.TicagaID, BillingUserID: d.Contact.BillingID}] = true
		}
	}
	for _, p := range pending {
		if ctx.Err() != nil {
			break
		}
		retry := !fresh[Pairing{TicagaUserID: p.TicagaUserID, BillingUserID: p.BillingUserID}]
		err := rec.RecordLink(ctx, p, retry)
		if err == nil {
			err = st.MarkLinkRecorded(context.WithoutCancel(ctx), p, e.Now())
		}
		if err != nil {
			rep.LinkNotes.Failed++
			if rep.LinkNotes.Error == "" {
				rep.LinkNotes.Error = err.Error()
			}
			logBillingID(log.Warn().Err(err).Int64("ticaga_id", p.TicagaUserID), "billing_id", p.BillingUserID).
				Msg("could not record the link on the billing side; the next run retries")
			continue
		}
		rep.LinkNotes.Written++
	}
	return nil
}
