package sync

import "context"

// Pairing is one row of the Blesta plugin's ticaga_billing table: Ticaga user
// TicagaUserID is the billing customer BillingUserID of BillingSystem.
type Pairing struct {
	TicagaUserID  int64
	BillingUserID int64
	Email         string
	BillingSystem string
	CompanyID     int64
}

// PairingStore keeps the pairings in ticaga_billing.
type PairingStore interface {
	// EachPairing calls fn for every pairing row.
	EachPairing(ctx context.Context, fn func(Pairing) error) error
	// UpsertPairing inserts the row or, when a row for p.TicagaUserID
	// exists, replaces its values (the plugin's "on duplicate ticaga_userid
	// update").
	UpsertPairing(ctx context.Context, p Pairing) error
}
