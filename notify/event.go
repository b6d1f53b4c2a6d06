package notify

import (
	"cmp"
	"context"
	"errors"
	"slices"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Kind is why a notification is sent.
type Kind string

// The kinds of notification.
const (
	// KindChanged: the run went through and its open decisions differ from
	// the ones last notified (some are new, some resolved, or both).
	KindChanged Kind = "changed"
	// KindFailed: the run failed, and the previous run did not fail with
	// the same error.
	KindFailed Kind = "failed"
	// KindRecovered: the run went through after a failed one. It carries
	// the new and resolved decisions too, and is sent even when there are
	// none.
	KindRecovered Kind = "recovered"
)

// maxErrorLen caps the error text carried by a notification.
const maxErrorLen = 2000

// event is one notification about one run, for one channel.
type event struct {
	kind   Kind
	source string
	rep    *ticagasync.Report
	// fresh are the open decisions not notified before, most urgent first.
	fresh []ticagasync.Decision
	// resolved counts the notified open decisions that are gone.
	resolved int
	// open counts the open decisions of the run.
	open int
	// err is the run's error text for KindFailed.
	err string
	// now is the open set to remember once delivered (nil for KindFailed).
	now map[fingerprint]struct{}
	// unreadable are the run's unreadable Ticaga users (every one, in
	// every message); freshUnreadable counts those not notified before.
	unreadable      []ticagasync.UnknownUser
	freshUnreadable int
}

// unreadableAction marks the fingerprint of an unreadable Ticaga user in a
// channel's state, beside the open decisions: a newly unreadable user is
// news, and one answered again counts as resolved.
const unreadableAction ticagasync.Action = "unreadable_ticaga_user"

// openSet is a run's watched open decisions by fingerprint.
type openSet map[fingerprint]ticagasync.Decision

// openDecisions returns the decisions of rep whose action is open and
// watched.
func openDecisions(rep *ticagasync.Report, watch func(ticagasync.Action) bool) openSet {
	set := openSet{}
	// Only the open decisions are decoded, not the (many) linked ones.
	for d := range rep.Select(func(a ticagasync.Action) bool { return isOpen(a) && watch(a) }) {
		set[fingerprintOf(d)] = d
	}
	return set
}

// failed reports whether rep is a failed run, and its error text.
func failed(rep *ticagasync.Report) (bool, string) {
	if rep.Err == nil && rep.Outcome != ticagasync.OutcomeFailed {
		return false, ""
	}
	msg := "run failed"
	if rep.Err != nil {
		msg = rep.Err.Error()
	}
	if len(msg) > maxErrorLen {
		msg = msg[:maxErrorLen] + "..."
	}
	return true, msg
}

// interrupted reports whether rep was cut short by its context being
// cancelled (the daemon stopping): it failed with context.Canceled, or left
// links untried (reason run_cancelled). That is not news, and its decisions
// are not the customers' real state.
func interrupted(rep *ticagasync.Report) bool {
	if rep.Err != nil && errors.Is(rep.Err, context.Canceled) {
		return true
	}
	// A link left untried is a failed decision (execute's cancelled).
	for d := range rep.Select(func(a ticagasync.Action) bool { return a == ticagasync.ActionFailed }) {
		if d.Reason == ticagasync.ReasonCancelled {
			return true
		}
	}
	return false
}

// decide returns the notification a channel whose state is cs should get
// about rep, whose watched open decisions are open, and false when it should
// get none.
func decide(cs *channelState, source string, rep *ticagasync.Report, open openSet) (event, bool) {
	ev := event{source: source, rep: rep, unreadable: rep.Directory.Unreadable}
	if bad, msg := failed(rep); bad {
		if cs.failed && cs.err == msg {
			return ev, false
		}
		ev.kind, ev.err = KindFailed, msg
		return ev, true
	}
	ev.now = make(map[fingerprint]struct{}, len(open))
	for fp, d := range open {
		ev.now[fp] = struct{}{}
		if _, seen := cs.open[fp]; !seen {
			ev.fresh = append(ev.fresh, d)
		}
	}
	for _, u := range ev.unreadable {
		fp := fingerprint{Action: unreadableAction, TicagaID: u.ID}
		ev.now[fp] = struct{}{}
		if _, seen := cs.open[fp]; !seen {
			ev.freshUnreadable++
		}
	}
	for fp := range cs.open {
		if _, still := ev.now[fp]; !still {
			ev.resolved++
		}
	}
	ev.open = len(open)
	slices.SortFunc(ev.fresh, func(a, b ticagasync.Decision) int {
		return cmp.Or(cmp.Compare(a.Action.Urgency(), b.Action.Urgency()),
			ticagasync.CompareBillingIDs(a.Contact.BillingID, b.Contact.BillingID), cmp.Compare(a.Reason, b.Reason))
	})
	switch {
	case cs.failed:
		ev.kind = KindRecovered
	case len(ev.fresh) > 0 || ev.freshUnreadable > 0 || ev.resolved > 0:
		ev.kind = KindChanged
	default:
		return ev, false
	}
	return ev, true
}

// delivered moves cs on once ev reached the channel.
func (cs *channelState) delivered(ev event) {
	if ev.kind == KindFailed {
		cs.failed, cs.err = true, ev.err
		return
	}
	cs.failed, cs.err, cs.open = false, "", ev.now
}
