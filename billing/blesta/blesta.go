// Package blesta reads the customers of a Blesta database: the primary
// contact of every client of the selected companies.
package blesta

import (
	"context"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// System is the kind of billing system this package reads.
const System = "blesta"

// Statuses returns Blesta's client statuses (clients.status).
func Statuses() []string { return []string{"active", "inactive", "fraud"} }

// DefaultStatuses returns the statuses read when none are selected.
func DefaultStatuses() []string { return []string{"active"} }

// Options selects the clients to read.
type Options struct {
	// CompanyIDs are the Blesta companies (client_groups.company_id) to
	// read; empty reads every company.
	CompanyIDs []int64
	// Statuses are the clients.status values to read; empty means
	// DefaultStatuses. They are not validated here.
	Statuses []string
	// PageSize is the number of clients per query; 500 when <= 0.
	PageSize int
}

// Reader streams the customers of one Blesta database. It implements
// ticagasync.ContactSource.
type Reader struct {
	db   *gorm.DB
	opts Options
}

// New returns a Reader over db, which needs SELECT on clients,
// client_groups and contacts.
func New(db *gorm.DB, opts Options) *Reader {
	if len(opts.Statuses) == 0 {
		opts.Statuses = DefaultStatuses()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = keyset.DefaultPageSize
	}
	return &Reader{db: db, opts: opts}
}

// System returns "blesta".
func (r *Reader) System() string { return System }

// EachContact calls fn for the primary contact of every selected client, in
// ascending clients.id order. A client without a primary contact is passed
// with Problem "no primary contact"; one whose client group is missing (only
// possible when every company is read) with a Problem naming the group.
// Client groups are read once, at the start.
func (r *Reader) EachContact(ctx context.Context, fn func(ticagasync.Contact) error) error {
	p := pager{Reader: r}
	if err := p.loadGroups(ctx); err != nil {
		return err
	}
	if len(r.opts.CompanyIDs) > 0 && len(p.groupIDs) == 0 {
		return nil // the selected companies have no client groups
	}
	return keyset.Stream{
		System:   System,
		Table:    "clients",
		DB:       r.db,
		PageSize: r.opts.PageSize,
		Page:     p.page,
		Scan:     p.scanClient,
		Complete: p.addPrimaryContacts,
	}.Each(ctx, fn)
}

// Check verifies that clients, client_groups and contacts exist and that the
// columns the reader uses are readable.
func (r *Reader) Check(ctx context.Context) error {
	return keyset.Check(ctx, r.db, System,
		keyset.Probe{Table: "clients", SQL: "SELECT id, client_group_id, status FROM clients LIMIT 0"},
		keyset.Probe{Table: "client_groups", SQL: "SELECT id, company_id FROM client_groups LIMIT 0"},
		keyset.Probe{Table: "contacts", SQL: "SELECT id, client_id, contact_type, first_name, last_name, company, email FROM contacts LIMIT 0"},
	)
}

// CountAll returns the number of clients whatever their company and
// status.
func (r *Reader) CountAll(ctx context.Context) (int64, error) {
	return keyset.Count(ctx, r.db, System, "clients", "SELECT COUNT(*) FROM clients")
}

// Filter describes the selection: "BILLING_COMPANY_ID=1
// (client_groups.company_id), BILLING_STATUSES=active (clients.status)",
// without the company when every company is read.
func (r *Reader) Filter() string {
	status := keyset.StatusFilter(r.opts.Statuses, "clients.status")
	if len(r.opts.CompanyIDs) == 0 {
		return status
	}
	return keyset.Filters(keyset.CompanyFilter(r.opts.CompanyIDs, "client_groups.company_id"), status)
}

var _ ticagasync.ContactSource = (*Reader)(nil)
