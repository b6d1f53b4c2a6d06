// Package flat reads the billing systems whose customers are the rows of
// one table, each row holding the customer's names, company, email and a
// status word: WHMCS (tblclients) and FOSSBilling (client). Such systems
// differ only in the table, its columns and their status words: a System
// says those, and Reader does the rest.
package flat

import (
	"context"
	"database/sql"
	"slices"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// System is what differs between two billing systems that keep their
// customers in one table.
type System struct {
	// Kind is the billing system's kind ("whmcs"): Reader.System returns
	// it and errors start with it.
	Kind string
	// Table is the table of customers ("tblclients").
	Table string
	// Columns is the select list, in the order Reader scans it: the
	// id, first name, last name, company, email and status columns
	// ("id, firstname, lastname, companyname, email, status").
	Columns string
	// ID and Status name the primary key and the status column: the page
	// query is "WHERE ID > ? AND Status IN ? ORDER BY ID".
	ID, Status string
	// Customers, when set, is the SQL condition that tells customers from
	// the other rows of Table ("role = 'client'"); "" when every row is a
	// customer (staff live in another table).
	Customers string
	// Statuses are the status words as the Status column stores them;
	// Defaults are those read when none are selected.
	Statuses, Defaults []string
}

// Options selects the customers to read. Such systems have no companies:
// every Contact's CompanyID is 0.
type Options struct {
	// Statuses are the status words to read; empty means the System's
	// Defaults. They are not validated here.
	Statuses []string
	// PageSize is the number of customers per query; 500 when <= 0.
	PageSize int
}

// Reader streams the customers of one database of a System. It implements
// ticagasync.ContactSource.
type Reader struct {
	sys  *System
	db   *gorm.DB
	opts Options
}

// New returns a Reader of sys over db, which needs SELECT on sys.Table.
func New(sys *System, db *gorm.DB, opts Options) *Reader {
	if len(opts.Statuses) == 0 {
		opts.Statuses = slices.Clone(sys.Defaults)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = keyset.DefaultPageSize
	}
	return &Reader{sys: sys, db: db, opts: opts}
}

// System returns the System's Kind.
func (r *Reader) System() string { return r.sys.Kind }

// customers returns " AND " + the Customers condition, or "".
func (s *System) customers() string {
	if s.Customers == "" {
		return ""
	}
	return " AND " + s.Customers
}

// page reads one page of customers by primary key.
func (r *Reader) page(after int64, limit int) (string, []any) {
	s := r.sys
	q := "SELECT " + s.Columns + "\nFROM " + s.Table +
		"\nWHERE " + s.ID + " > ?" + s.customers() + " AND " + s.Status + " IN ?" +
		"\nORDER BY " + s.ID + "\nLIMIT ?"
	return q, []any{after, r.opts.Statuses, limit}
}

// row holds the scan targets of one stream, reused from row to row.
type row struct {
	id                                  int64
	first, last, company, email, status sql.NullString
}

func (w *row) scan(rows *sql.Rows) (ticagasync.Contact, error) {
	var c ticagasync.Contact
	if err := rows.Scan(&w.id, &w.first, &w.last, &w.company, &w.email, &w.status); err != nil {
		return c, err
	}
	c.BillingID = ticagasync.BillingIDOf(w.id)
	c.FirstName, c.LastName, c.Company = w.first.String, w.last.String, w.company.String
	c.Email, c.Status = w.email.String, w.status.String
	return c, nil
}

// EachContact calls fn for every selected customer in ascending id order.
func (r *Reader) EachContact(ctx context.Context, fn func(ticagasync.Contact) error) error {
	var w row
	return keyset.Stream{
		System:   r.sys.Kind,
		Table:    r.sys.Table,
		DB:       r.db,
		PageSize: r.opts.PageSize,
		Page:     r.page,
		Scan:     w.scan,
	}.Each(ctx, fn)
}

// Check verifies that the table exists and that the columns the reader
// uses, those of the Customers condition included, are readable.
func (r *Reader) Check(ctx context.Context) error {
	s := r.sys
	q := "SELECT " + s.Columns + " FROM " + s.Table
	if s.Customers != "" {
		q += " WHERE " + s.Customers
	}
	return keyset.Check(ctx, r.db, s.Kind, keyset.Probe{Table: s.Table, SQL: q + " LIMIT 0"})
}

// CountAll returns the number of customers in the table whatever their
// status: the rows the Customers condition keeps, or every row.
func (r *Reader) CountAll(ctx context.Context) (int64, error) {
	s := r.sys
	q := "SELECT COUNT(*) FROM " + s.Table
	if s.Customers != "" {
		q += " WHERE " + s.Customers
	}
	return keyset.Count(ctx, r.db, s.Kind, s.Table, q)
}

// Filter describes the selection: "BILLING_STATUSES=Active
// (tblclients.status)".
func (r *Reader) Filter() string {
	return keyset.StatusFilter(r.opts.Statuses, r.sys.Table+"."+r.sys.Status)
}

var _ ticagasync.ContactSource = (*Reader)(nil)
