// Package fossbilling reads the customers of a FOSSBilling (or BoxBilling)
// database: the rows of client whose role is 'client' (staff live in admin
// and are never read).
package fossbilling

import (
	"slices"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/flat"
)

// System is the kind of billing system this package reads.
const System = "fossbilling"

// table is FOSSBilling's table of clients (a bigint primary key).
var table = flat.System{
	Kind:      System,
	Table:     "client",
	Columns:   "id, first_name, last_name, company, email, status",
	ID:        "id",
	Status:    "status",
	Customers: "role = 'client'",
	Statuses:  []string{"active", "suspended", "canceled"},
	Defaults:  []string{"active"},
}

// Statuses returns FOSSBilling's client statuses (client.status).
func Statuses() []string { return slices.Clone(table.Statuses) }

// DefaultStatuses returns the statuses read when none are selected.
func DefaultStatuses() []string { return slices.Clone(table.Defaults) }

// Options selects the clients to read: Statuses are client.status values
// (empty means DefaultStatuses; not validated here), PageSize the number
// of clients per query (500 when <= 0). FOSSBilling has no companies:
// every Contact's CompanyID is 0.
type Options = flat.Options

// Reader streams the clients of one FOSSBilling database in ascending
// client.id order. It implements ticagasync.ContactSource, and has
// CountAll (every client whose role is 'client', whatever its status) and
// Filter.
type Reader = flat.Reader

// New returns a Reader over db, which needs SELECT on client.
func New(db *gorm.DB, opts Options) *Reader { return flat.New(&table, db, opts) }
