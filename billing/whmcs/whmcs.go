// Package whmcs reads the customers of a WHMCS database: the clients of
// tblclients (staff live in tbladmins and are never read).
package whmcs

import (
	"slices"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/flat"
)

// System is the kind of billing system this package reads.
const System = "whmcs"

// table is WHMCS's table of clients. The names and the email are TEXT; the
// zero-dated created_at/updated_at are not read.
var table = flat.System{
	Kind:     System,
	Table:    "tblclients",
	Columns:  "id, firstname, lastname, companyname, email, status",
	ID:       "id",
	Status:   "status",
	Statuses: []string{"Active", "Inactive", "Closed"},
	Defaults: []string{"Active"},
}

// Statuses returns WHMCS's client statuses (tblclients.status).
func Statuses() []string { return slices.Clone(table.Statuses) }

// DefaultStatuses returns the statuses read when none are selected.
func DefaultStatuses() []string { return slices.Clone(table.Defaults) }

// Options selects the clients to read: Statuses are tblclients.status
// values (empty means DefaultStatuses; not validated here), PageSize the
// number of clients per query (500 when <= 0). WHMCS has no companies:
// every Contact's CompanyID is 0.
type Options = flat.Options

// Reader streams the clients of one WHMCS database in ascending
// tblclients.id order. It implements ticagasync.ContactSource, and has
// CountAll (every client, whatever its status) and Filter.
type Reader = flat.Reader

// New returns a Reader over db, which needs SELECT on tblclients.
func New(db *gorm.DB, opts Options) *Reader { return flat.New(&table, db, opts) }
