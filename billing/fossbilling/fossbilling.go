// Package fossbilling reads the customers of a FOSSBilling (or BoxBilling)
// database: the rows of client whose role is 'client' (staff live in admin
// and are never read).
package fossbilling

import (
	"context"
	"database/sql"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// System is the kind of billing system this package reads.
const System = "fossbilling"

// Statuses returns FOSSBilling's client statuses (client.status).
func Statuses() []string { return []string{"active", "suspended", "canceled"} }

// DefaultStatuses returns the statuses read when none are selected.
func DefaultStatuses() []string { return []string{"active"} }

// Options selects the clients to read. FOSSBilling has no companies: every
// Contact's CompanyID is 0.
type Options struct {
	// Statuses are the client.status values to read; empty means
	// DefaultStatuses. They are not validated here.
	Statuses []string
	// PageSize is the number of clients per query; 500 when <= 0.
	PageSize int
}

// Reader streams the customers of one FOSSBilling database. It implements
// ticagasync.ContactSource.
type Reader struct {
	db   *gorm.DB
	opts Options
}

// New returns a Reader over db, which needs SELECT on client.
func New(db *gorm.DB, opts Options) *Reader {
	if len(opts.Statuses) == 0 {
		opts.Statuses = DefaultStatuses()
	}
	if opts.PageSize <= 0 {
		opts.PageSize = keyset.DefaultPageSize
	}
	return &Reader{db: db, opts: opts}
}

// System returns "fossbilling".
func (r *Reader) System() string { return System }

// selectClients reads one page of clients by primary key (a bigint).
const selectClients = `SELECT id, first_name, last_name, company, email, status
FROM client
WHERE id > ? AND role = 'client' AND status IN ?
ORDER BY id
LIMIT ?`

func (r *Reader) page(after int64, limit int) (string, []any) {
	return selectClients, []any{after, r.opts.Statuses, limit}
}

// row holds the scan targets of one stream, reused from row to row.
type row struct {
	first, last, company, email, status sql.NullString
}

func (w *row) scan(rows *sql.Rows) (ticagasync.Contact, error) {
	var c ticagasync.Contact
	if err := rows.Scan(&c.BillingID, &w.first, &w.last, &w.company, &w.email, &w.status); err != nil {
		return c, err
	}
	c.FirstName, c.LastName, c.Company = w.first.String, w.last.String, w.company.String
	c.Email, c.Status = w.email.String, w.status.String
	return c, nil
}

// EachContact calls fn for every selected client in ascending client.id
// order.
func (r *Reader) EachContact(ctx context.Context, fn func(ticagasync.Contact) error) error {
	var w row
	return keyset.Stream{
		System:   System,
		Table:    "client",
		DB:       r.db,
		PageSize: r.opts.PageSize,
		Page:     r.page,
		Scan:     w.scan,
	}.Each(ctx, fn)
}

// Check verifies that client exists and that the columns the reader uses
// are readable.
func (r *Reader) Check(ctx context.Context) error {
	return keyset.Check(ctx, r.db, System, keyset.Probe{Table: "client",
		SQL: "SELECT id, role, status, first_name, last_name, company, email FROM client LIMIT 0"})
}

var _ ticagasync.ContactSource = (*Reader)(nil)
