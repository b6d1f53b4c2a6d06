package sync

// Action is what a run decided, or did, about one billing customer.
type Action string

// The actions, in the order a report lists them.
const (
	// ActionLink: link the customer (in a dry run: would link). After
	// execution a link that did not go through becomes ActionFailed or, when
	// the fresh Ticaga answer changed the facts, another action.
	ActionLink Action = "link"
	// ActionCreate: no Ticaga user has the customer's email, and
	// provisioning creates one already carrying the billing id (in a dry
	// run: would create). After execution a creation that did not go
	// through becomes ActionFailed or ActionNoMatch.
	ActionCreate Action = "create"
	// ActionAlreadyLinked: the pairing row and Ticaga agree; nothing to do.
	ActionAlreadyLinked Action = "already_linked"
	// ActionNoMatch: no Ticaga user has the customer's email.
	ActionNoMatch Action = "no_match"
	// ActionConflict: linking would need a guess or overwrite data; a person
	// decides. Reason says which.
	ActionConflict Action = "conflict"
	// ActionInvalidEmail: the customer has no usable email address.
	ActionInvalidEmail Action = "invalid_email"
	// ActionExcluded: an operator excluded the customer (ticaga-sync
	// exclude); it is never linked or created. Detail says by whom, when
	// and why. An already linked customer stays linked.
	ActionExcluded Action = "excluded"
	// ActionFailed: a link was attempted and its outcome is unknown or failed;
	// the next run retries.
	ActionFailed Action = "failed"
)

// Urgency orders actions for the lists a person reads, what needs them
// first: conflicts (a person decides), failures (retried, but worth a
// look), invalid emails (fix the billing row), then the rest.
func (a Action) Urgency() int {
	switch a {
	case ActionConflict:
		return 0
	case ActionFailed:
		return 1
	case ActionInvalidEmail:
		return 2
	default:
		return 3
	}
}

// Reason qualifies an action; stable strings for reports and metrics.
type Reason string

// The reasons.
const (
	ReasonNone Reason = ""
	// no_match
	ReasonNoTicagaUser    Reason = "no_ticaga_user"
	ReasonTicagaUserGone  Reason = "ticaga_user_deleted"
	ReasonTicagaEmailDiff Reason = "ticaga_email_changed"
	// no_match, with provisioning on: not created in this run.
	ReasonProvisionLimit   Reason = "provision_limit"
	ReasonProvisionBlocked Reason = "provision_directory_incomplete"
	ReasonTicagaEmailTaken Reason = "ticaga_email_taken"
	ReasonProvisionRefused Reason = "provision_refused"
	// invalid_email
	ReasonMalformedEmail Reason = "malformed_email"
	ReasonBadBillingRow  Reason = "bad_billing_row"
	// conflict
	ReasonDuplicateBillingEmail     Reason = "duplicate_billing_email"
	ReasonDuplicateTicagaEmail      Reason = "duplicate_ticaga_email"
	ReasonTicagaOtherBillingID      Reason = "ticaga_user_has_other_billing_id"
	ReasonTicagaOtherBillingSystem  Reason = "ticaga_user_has_other_billing_system"
	ReasonClientPairedElsewhere     Reason = "client_paired_elsewhere"
	ReasonTicagaUserPairedElsewhere Reason = "ticaga_user_paired_elsewhere"
	// failed
	ReasonTicagaUnknown Reason = "ticaga_answer_unknown"
	ReasonStoreWrite    Reason = "pairing_write_failed"
	ReasonCancelled     Reason = "run_cancelled"
	ReasonTicagaBusy    Reason = "ticaga_busy"
	// excluded
	ReasonOperatorExcluded Reason = "operator_excluded"
	// ReasonTicagaRefused: Ticaga refused customers/assign for good (a
	// validation failure, e.g. a Ticaga that takes only numeric billing
	// ids); the detail names its answer.
	ReasonTicagaRefused Reason = "ticaga_refused_assign"
)

// Decision is the outcome for one billing customer.
type Decision struct {
	Contact Contact
	Action  Action
	Reason  Reason
	// TicagaID is the Ticaga user concerned, 0 when none.
	TicagaID int64
	// Detail is one human sentence with the ids behind the reason.
	Detail string
	// Assigned is true when execution called customers/assign for it.
	Assigned bool
	// Exclusion is the operator's exclusion behind ActionExcluded.
	Exclusion *Exclusion
}

// Counts tallies a run's decisions.
type Counts struct {
	Contacts      int `json:"contacts"`
	Linked        int `json:"linked"`
	Created       int `json:"created"`
	AlreadyLinked int `json:"already_linked"`
	NoMatch       int `json:"no_match"`
	Conflict      int `json:"conflict"`
	InvalidEmail  int `json:"invalid_email"`
	Failed        int `json:"failed"`
	Excluded      int `json:"excluded"`
}

// Add counts one decision.
func (c *Counts) Add(a Action) {
	c.Contacts++
	switch a {
	case ActionLink:
		c.Linked++
	case ActionCreate:
		c.Created++
	case ActionAlreadyLinked:
		c.AlreadyLinked++
	case ActionNoMatch:
		c.NoMatch++
	case ActionConflict:
		c.Conflict++
	case ActionInvalidEmail:
		c.InvalidEmail++
	case ActionFailed:
		c.Failed++
	case ActionExcluded:
		c.Excluded++
	}
}

// Tally counts a list of decisions.
func Tally(ds []Decision) Counts {
	var c Counts
	for _, d := range ds {
		c.Add(d.Action)
	}
	return c
}
