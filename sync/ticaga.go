package sync

import (
	"context"
	"errors"
	"strings"
	"time"
)

// Errors that adapters wrap so the engine can tell outcomes apart with
// errors.Is. Any other error from an adapter means "unknown".
var (
	// ErrNotFound means the outside system said, in its documented way, that
	// the thing asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrUnauthorized means the credentials were rejected.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrAuthUnproven marks a "no such user" answer that came with an
	// authentication status (401 or 403): some Ticagas answer a missing
	// user that way, but a rejected token may look the same. Such an error
	// also wraps ErrNotFound; it means "no such user" only once a Ping made
	// after the answer arrived has succeeded.
	ErrAuthUnproven = errors.New("not-found answer on an authentication status, not yet proven")
	// ErrLocked means another run holds the run lock.
	ErrLocked = errors.New("another run holds the lock")
	// ErrLockLost means the run lock was lost while work was under way (its
	// database connection died): the work stops.
	ErrLockLost = errors.New("the run lock was lost")
	// ErrEmailTaken means Ticaga refused to create a user because another
	// user has its email.
	ErrEmailTaken = errors.New("the email is taken")
	// ErrRefused means Ticaga refused a request for good (a validation
	// failure): it created or changed nothing.
	ErrRefused = errors.New("refused")
	// ErrPairedElsewhere means ticaga_billing pairs the Ticaga user with
	// another customer.
	ErrPairedElsewhere = errors.New("paired with another customer")
)

// TicagaUser is one entry of the Ticaga user directory.
type TicagaUser struct {
	ID      int64
	Name    string
	Email   string
	Company string
	// BillingID is the billing id Ticaga carries for the user, as Ticaga
	// sends it; "" or "0" means none (see HasBillingID).
	BillingID     BillingID
	BillingSystem string
	// FetchedAt is when this entry was read from customers/get.
	FetchedAt time.Time
}

// HasBillingID reports whether the user carries a billing id.
func (u TicagaUser) HasBillingID() bool {
	id := strings.TrimSpace(string(u.BillingID))
	return id != "" && id != "0"
}

// CarriesBilling reports whether the user carries exactly this billing id in
// this billing system (system names compare case-insensitively: Ticaga's own
// examples spell "Blesta" and "blesta").
func (u TicagaUser) CarriesBilling(billingID BillingID, system string) bool {
	return billingID != "" && BillingID(strings.TrimSpace(string(u.BillingID))) == billingID && SameSystem(u.BillingSystem, system)
}

// SameSystem reports whether two billing system names name the same
// system: Ticaga's own examples spell "Blesta" and "blesta", and MySQL
// compares the plugin's column case-insensitively. It is the one
// comparison of billing system names: the planner keys pairings by
// SystemKey, and the store compares TRIM(billing_system) with the same
// collation.
func SameSystem(a, b string) bool { return SystemKey(a) == SystemKey(b) }

// SystemKey is the form billing system names compare in: lower case,
// without surrounding spaces (as SQL's TRIM removes them).
func SystemKey(name string) string { return strings.ToLower(strings.Trim(name, " ")) }

// Assignment is one customers/assign call: give Ticaga user TicagaID the
// billing id BillingID of billing system System.
type Assignment struct {
	TicagaID  int64
	BillingID BillingID
	System    string
}

// NewUser is a Ticaga account to create for a billing customer, already
// carrying its billing id. The adapter generates its password, which the
// engine never sees.
type NewUser struct {
	Name      string
	Email     string
	Company   string
	BillingID BillingID
	System    string
}

// Ticaga is what the engine needs from the Ticaga API.
type Ticaga interface {
	// Ping checks that Ticaga answers and accepts the credentials. It
	// returns an error wrapping ErrUnauthorized when they are rejected.
	Ping(ctx context.Context) error
	// LookupUser reads one user through customers/get/{id}. It returns an
	// error wrapping ErrNotFound only when Ticaga answers with its
	// documented "no such user" body; every other error means unknown.
	LookupUser(ctx context.Context, id int64) (TicagaUser, error)
	// AssignBilling calls customers/assign. It returns an error wrapping
	// ErrNotFound when the user does not exist; any other error leaves the
	// outcome unknown.
	AssignBilling(ctx context.Context, a Assignment) error
	// CreateUser registers u with a random password that is never logged,
	// stored or returned, and returns the new user. It returns an error
	// wrapping ErrEmailTaken when Ticaga refuses the email as taken, and
	// ErrRefused when it refuses the request otherwise; any other error
	// leaves the outcome unknown (the user may exist).
	CreateUser(ctx context.Context, u NewUser) (TicagaUser, error)
	// ClearBilling removes the billing id of a Ticaga user (customers/assign
	// with billing id 0). Runs never call it; only the operator's unlink.
	ClearBilling(ctx context.Context, ticagaID int64, system string) error
}
