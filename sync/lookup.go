package sync

import (
	"context"
	"fmt"
	"strings"
)

// Why a billing customer is not selected: stable codes for JSON output.
const (
	NotSelectedNoSuchClient = "no_such_client"
	NotSelectedStatus       = "status"
	NotSelectedCompany      = "company"
	NotSelectedStaff        = "staff"
)

// NotSelected is one reason a source's filters drop a customer.
type NotSelected struct {
	// Code is one of the NotSelected constants.
	Code string `json:"code"`
	// Detail is one sentence naming the value and the setting that drops
	// it ("status inactive: BILLING_STATUSES=active (clients.status)").
	Detail string `json:"detail"`
}

// ClientLookup is what a billing reader finds of one customer when it
// looks it up whatever its filters.
type ClientLookup struct {
	// Found is false when the billing database has no such customer.
	Found bool
	// Contact is the customer as EachContact would pass it, Problem
	// included (a Blesta client without a primary contact).
	Contact Contact
	// Why lists why the filters drop the customer; empty when selected.
	Why []NotSelected
}

// Selected reports whether the source's filters select the customer.
func (l ClientLookup) Selected() bool { return l.Found && len(l.Why) == 0 }

// Reason is the lookup's reasons in one line, "" when selected.
func (l ClientLookup) Reason() string {
	parts := make([]string, len(l.Why))
	for i, w := range l.Why {
		parts[i] = w.Detail
	}
	return strings.Join(parts, "; ")
}

// Explainer is a ContactSource that can look one customer up unfiltered
// and say why its filters drop it. Every billing reader has it.
type Explainer interface {
	// LookupClient reads customer billingID whatever the filters. A
	// customer the database does not hold is Found false with the reason
	// NotSelectedNoSuchClient; an error means the answer is unknown.
	LookupClient(ctx context.Context, billingID BillingID) (ClientLookup, error)
}

// LookupClient looks customer billingID up in the engine's billing source
// whatever its filters; ok is false when the source cannot say (it is no
// Explainer).
func (e *Engine) LookupClient(ctx context.Context, billingID BillingID) (l ClientLookup, ok bool, err error) {
	x, ok := e.Source.(Explainer)
	if !ok {
		return ClientLookup{}, false, nil
	}
	l, err = x.LookupClient(ctx, billingID)
	if err != nil {
		return l, true, fmt.Errorf("look up billing client %s: %w", billingID, err)
	}
	return l, true, nil
}
