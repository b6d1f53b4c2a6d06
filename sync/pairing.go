package sync

import "context"

// Pairing is one row of the Blesta plugin's ticaga_billing table: Ticaga user
// TicagaUserID is the billing customer BillingUserID of BillingSystem.
type Pairing struct {
	TicagaUserID  int64
	BillingUserID BillingID
	Email         string
	BillingSystem string
	CompanyID     int64
}

// PairingStore keeps the pairings in ticaga_billing.
type PairingStore interface {
	// EachPairing calls fn for every pairing row.
	EachPairing(ctx context.Context, fn func(Pairing) error) error
	// PairingOf returns the row of Ticaga user ticagaUserID; ok is false
	// when there is none.
	PairingOf(ctx context.Context, ticagaUserID int64) (p Pairing, ok bool, err error)
	// PairingByBilling returns a row pairing customer billingID of billing
	// system system; ok is false when there is none.
	PairingByBilling(ctx context.Context, system string, billingID BillingID) (p Pairing, ok bool, err error)
	// DeletePairingOf deletes the row of p.TicagaUserID only while it still
	// pairs p.BillingUserID of p.BillingSystem, and reports whether it did.
	DeletePairingOf(ctx context.Context, p Pairing) (bool, error)
	// UpsertPairing inserts the row (the plugin's "on duplicate ticaga_userid
	// update"), but never changes whom an existing row pairs: when the row
	// for p.TicagaUserID pairs another customer or billing system it is
	// left as it is and the error wraps ErrPairedElsewhere.
	UpsertPairing(ctx context.Context, p Pairing) error
}
