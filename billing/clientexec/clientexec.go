// Package clientexec reads the customers of a ClientExec database: the users
// whose group is not an admin group (staff share the users table).
package clientexec

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// System is the kind of billing system this package reads.
const System = "clientexec"

// Options selects the users to read.
type Options struct {
	// CompanyIDs are the users.company_id values to read; empty reads
	// every company.
	CompanyIDs []int64
	// Statuses are the users.status numbers to read; empty means
	// StatusActive.
	Statuses []int
	// PageSize is the number of users per query; 500 when <= 0.
	PageSize int
}

// Reader streams the customers of one ClientExec database. It implements
// ticagasync.ContactSource.
type Reader struct {
	db   *gorm.DB
	opts Options
}

// New returns a Reader over db, which needs SELECT on users and groups.
func New(db *gorm.DB, opts Options) *Reader {
	if len(opts.Statuses) == 0 {
		opts.Statuses = []int{StatusActive}
	}
	if opts.PageSize <= 0 {
		opts.PageSize = keyset.DefaultPageSize
	}
	return &Reader{db: db, opts: opts}
}

// System returns "clientexec".
func (r *Reader) System() string { return System }

// The users of a group that is not an admin group are customers. A user
// whose group does not exist cannot be told from staff: it is read, and
// passed with a Problem so that it is reported but never linked. `groups` is
// quoted: it is a reserved word in MySQL 8.
const (
	fromCustomers = "FROM users u\n" +
		"LEFT JOIN `groups` g ON g.id = u.groupid\n"
	notStaff = "(g.isadmin = 0 OR g.id IS NULL)"

	// selectUsers reads one page of customers by primary key with their
	// group (groups.id).
	selectUsers = "SELECT u.id, u.company_id, u.status, u.firstname, u.lastname, u.organization, u.email, u.groupid, g.id\n" +
		fromCustomers +
		"WHERE u.id > ? AND u.status IN ? AND " + notStaff

	// countCustomers counts the customers, whatever their company and
	// status.
	countCustomers = "SELECT COUNT(*)\n" + fromCustomers + "WHERE " + notStaff
)

func (r *Reader) page(after int64, limit int) (string, []any) {
	q := selectUsers
	args := []any{after, r.opts.Statuses}
	if len(r.opts.CompanyIDs) > 0 {
		q += " AND u.company_id IN ?"
		args = append(args, r.opts.CompanyIDs)
	}
	return q + "\nORDER BY u.id\nLIMIT ?", append(args, limit)
}

// row holds the scan targets of one stream, reused from row to row.
type row struct {
	id                                   int64
	company, status, groupID, groupFound sql.NullInt64
	first, last, org, email              sql.NullString
}

func (w *row) scan(rows *sql.Rows) (ticagasync.Contact, error) {
	var c ticagasync.Contact
	err := rows.Scan(&w.id, &w.company, &w.status, &w.first, &w.last, &w.org, &w.email, &w.groupID, &w.groupFound)
	if err != nil {
		return c, err
	}
	c.BillingID, c.CompanyID = ticagasync.BillingIDOf(w.id), w.company.Int64
	c.Status = strconv.FormatInt(w.status.Int64, 10)
	c.FirstName, c.LastName, c.Company, c.Email = w.first.String, w.last.String, w.org.String, w.email.String
	if !w.groupFound.Valid {
		c.Problem = fmt.Sprintf("group %d does not exist: cannot tell a customer from staff", w.groupID.Int64)
	}
	return c, nil
}

// EachContact calls fn for every selected customer in ascending users.id
// order. Contact.Status is the numeric status as a string ("1").
func (r *Reader) EachContact(ctx context.Context, fn func(ticagasync.Contact) error) error {
	var w row
	return keyset.Stream{
		System:   System,
		Table:    "users",
		DB:       r.db,
		PageSize: r.opts.PageSize,
		Page:     r.page,
		Scan:     w.scan,
	}.Each(ctx, fn)
}

// Check verifies that users and groups exist and that the columns the
// reader uses are readable.
func (r *Reader) Check(ctx context.Context) error {
	return keyset.Check(ctx, r.db, System,
		keyset.Probe{Table: "users", SQL: "SELECT id, company_id, groupid, status, firstname, lastname, organization, email FROM users LIMIT 0"},
		keyset.Probe{Table: "groups", SQL: "SELECT id, isadmin FROM `groups` LIMIT 0"},
	)
}

// CountAll returns the number of customers (users outside admin groups)
// whatever their company and status.
func (r *Reader) CountAll(ctx context.Context) (int64, error) {
	return keyset.Count(ctx, r.db, System, "users", countCustomers)
}

// Filter describes the selection: "BILLING_COMPANY_ID=1 (users.company_id),
// BILLING_STATUSES=1 (users.status)", without the company when every
// company is read. Staff are never read and never counted by CountAll: they
// are no filter.
func (r *Reader) Filter() string {
	statuses := make([]string, len(r.opts.Statuses))
	for i, n := range r.opts.Statuses {
		statuses[i] = strconv.Itoa(n)
	}
	status := keyset.StatusFilter(statuses, "users.status")
	if len(r.opts.CompanyIDs) == 0 {
		return status
	}
	return keyset.Filters(keyset.CompanyFilter(r.opts.CompanyIDs, "users.company_id"), status)
}

var _ ticagasync.ContactSource = (*Reader)(nil)
