package sync

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Contact is one billing customer as the billing system knows it: the client
// and its primary contact.
type Contact struct {
	// BillingID is the billing system's customer id (Blesta clients.id); it is
	// what Ticaga stores as billing_id and ticaga_billing as billing_userid.
	BillingID BillingID
	// CompanyID is the billing company the customer belongs to (Blesta
	// client_groups.company_id); 0 where the billing system has no companies.
	CompanyID int64
	// Email is the address exactly as stored, for display and for the
	// email_address column. Matching uses NormalizeEmail(Email).
	Email     string
	FirstName string
	LastName  string
	Company   string
	// Status is the billing system's own status word ("active").
	Status string
	// Problem, when not empty, says why the row could not be read as a usable
	// contact (for example: no primary contact). The planner reports such a
	// contact as invalid_email with this text and never links it.
	Problem string
}

// Name is the contact's display name.
func (c Contact) Name() string {
	return strings.TrimSpace(strings.TrimSpace(c.FirstName) + " " + strings.TrimSpace(c.LastName))
}

// ContactSource streams the customers of one billing system.
type ContactSource interface {
	// System is the billing system's kind ("blesta", "whmcs", ...).
	System() string
	// EachContact calls fn once for every selected customer, in ascending
	// BillingID order, reading the database in small keyset pages. A row
	// that cannot be used is passed with Problem set rather than failing the
	// stream. An error from fn stops the stream and is returned as is; any
	// other error means the stream is incomplete and nothing may be
	// concluded from the absence of a customer.
	EachContact(ctx context.Context, fn func(Contact) error) error
	// Check verifies that every table the source reads exists and is
	// readable, and returns an error naming the first one that is not.
	Check(ctx context.Context) error
}

// Selection is a ContactSource that can also count the customers its table
// holds whatever its filters select, and name those filters.
type Selection interface {
	// CountAll counts the customers of the table, unfiltered (staff aside).
	CountAll(ctx context.Context) (int64, error)
	// Filter names the filters by setting and column, e.g.
	// "BILLING_COMPANY_ID=1 (users.company_id)".
	Filter() string
}

// errStop ends a stream early.
var errStop = errors.New("stop")

// CheckSelection returns an error when src selects no customer while its
// customer table holds some: a filter (a company, a status) that matches
// nothing on this install, which would otherwise look like a quiet, empty
// run. It reads at most the first page of the selection; a source that
// cannot count its table is not checked.
func CheckSelection(ctx context.Context, src ContactSource) error {
	sel, ok := src.(Selection)
	if !ok {
		return nil
	}
	some := false
	err := src.EachContact(ctx, func(Contact) error { some = true; return errStop })
	if err != nil && !errors.Is(err, errStop) {
		return fmt.Errorf("read billing contacts: %w", err)
	}
	if some {
		return nil
	}
	return emptySelection(ctx, sel)
}

// emptySelection is CheckSelection once the selection was found empty.
func emptySelection(ctx context.Context, sel Selection) error {
	n, err := sel.CountAll(ctx)
	if err != nil {
		return fmt.Errorf("count billing customers: %w", err)
	}
	if n == 0 {
		return nil
	}
	return fmt.Errorf("the selection reads no customer, but the billing database holds %d: check %s", n, sel.Filter())
}
