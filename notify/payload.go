package notify

import (
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// MaxListed caps the new decisions a notification lists in detail; the
// rest are counted in Payload.More (and in the email's last line).
const MaxListed = 100

// Payload is the JSON body POSTed to the webhook:
//
//	{
//	  "source": "blesta", "event": "changed", "run_id": 42,
//	  "outcome": "completed", "dry_run": false,
//	  "started_at": "2026-05-04T10:15:00Z", "finished_at": "2026-05-04T10:15:02Z",
//	  "counts": {"contacts": 13, "linked": 5, "already_linked": 1, "no_match": 1,
//	             "conflict": 4, "invalid_email": 2, "failed": 0},
//	  "open": 7,
//	  "new": [{"billing_id": 5, "email": "billing@acme.example", "ticaga_id": null,
//	           "action": "conflict", "reason": "duplicate_billing_email",
//	           "detail": "billing clients 5, 6 share this email"}],
//	  "more": 0, "resolved": 1
//	}
//
// A failed run has "event": "failed", "outcome": "failed" and "error"; its
// counts are what the run got through before failing.
type Payload struct {
	// Source is the source's name ("blesta", "blesta:company-2").
	Source string `json:"source"`
	// Event is why this is sent: changed, failed or recovered.
	Event Kind `json:"event"`
	// RunID is the run's id in the run history.
	RunID int64 `json:"run_id"`
	// Outcome is the run's outcome: completed, partial or failed.
	Outcome ticagasync.Outcome `json:"outcome"`
	// DryRun is always false: dry runs are not notified.
	DryRun     bool      `json:"dry_run"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
	// Counts tallies the run's decisions (linked included).
	Counts ticagasync.Counts `json:"counts"`
	// Open counts the run's open decisions, new or not (0 when it failed).
	Open int `json:"open"`
	// New lists the open decisions not notified before, conflicts first, at
	// most MaxListed; never null.
	New []PayloadDecision `json:"new"`
	// More counts the new decisions left out of New.
	More int `json:"more"`
	// Resolved counts the decisions notified before that are no longer open.
	Resolved int `json:"resolved"`
	// Error is why the run failed, for event failed.
	Error string `json:"error,omitempty"`
	// Unreadable lists every Ticaga user whose answer stayed unknown for
	// TICAGA_UNREADABLE_AFTER runs: the run linked around them, so a
	// customer with one's email may be missed or linked to another user.
	// Never null.
	Unreadable []ticagasync.UnknownUser `json:"unreadable"`
}

// PayloadDecision is one open decision, shaped like an entry of
// `sync --output json`'s decisions.
type PayloadDecision struct {
	BillingID ticagasync.BillingID `json:"billing_id"`
	Email     string               `json:"email"`
	// TicagaID is the Ticaga user concerned; null when none.
	TicagaID *int64            `json:"ticaga_id"`
	Action   ticagasync.Action `json:"action"`
	Reason   ticagasync.Reason `json:"reason"`
	Detail   string            `json:"detail"`
}

// payloadOf returns the webhook body for ev.
func payloadOf(ev event) Payload {
	r := ev.rep
	p := Payload{
		Source: ev.source, Event: ev.kind, RunID: r.RunID, Outcome: r.Outcome, DryRun: r.DryRun,
		StartedAt: r.StartedAt.UTC(), FinishedAt: r.FinishedAt.UTC(), Counts: r.Counts,
		Open: ev.open, Resolved: ev.resolved, Error: ev.err, New: []PayloadDecision{},
		Unreadable: append([]ticagasync.UnknownUser{}, ev.unreadable...),
	}
	listed, more := capList(ev.fresh)
	p.More = more
	for _, d := range listed {
		pd := PayloadDecision{BillingID: d.Contact.BillingID, Email: d.Contact.Email,
			Action: d.Action, Reason: d.Reason, Detail: d.Detail}
		if d.TicagaID != 0 {
			id := d.TicagaID
			pd.TicagaID = &id
		}
		p.New = append(p.New, pd)
	}
	return p
}

// capList returns the first MaxListed decisions and how many are left out.
func capList(ds []ticagasync.Decision) ([]ticagasync.Decision, int) {
	if len(ds) <= MaxListed {
		return ds, 0
	}
	return ds[:MaxListed], len(ds) - MaxListed
}
