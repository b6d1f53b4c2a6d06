package sync

import (
	"context"
	"strings"
)

// Contact is one billing customer as the billing system knows it: the client
// and its primary contact.
type Contact struct {
	// BillingID is the billing system's customer id (Blesta clients.id); it is
	// what Ticaga stores as billing_id and ticaga_billing as billing_userid.
	BillingID int64
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
