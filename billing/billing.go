// Package billing opens the reader of a billing system's database: one
// ticagasync.ContactSource per kind of billing system, each in its own
// subpackage (blesta, whmcs, clientexec, fossbilling), selected by name.
//
// The readers stream end customers only, in ascending id order, in small
// keyset pages on indexed columns; they need nothing but SELECT on the
// tables they read. Besides the ContactSource methods, each reader has
// CountAll and Filter (see Selection), to tell a selection that reads no
// customer from a database that has none.
package billing

import (
	"errors"
	"fmt"

	"gorm.io/gorm"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// DefaultPageSize is the number of customers read per query when
// Options.PageSize is 0.
const DefaultPageSize = 500

// Options selects the customers a reader streams.
type Options struct {
	// CompanyIDs are the billing companies to read (Blesta companies,
	// ClientExec users.company_id); empty reads every company. WHMCS and
	// FOSSBilling have no companies: there they are ignored (see
	// HasCompanies).
	CompanyIDs []int64
	// CompanyIDsDefault says that CompanyIDs are the configuration's
	// default (BILLING_COMPANY_ID not set) rather than chosen. Blesta reads
	// the default companies (a Blesta install's first company is 1);
	// ClientExec ignores them and reads every company, since its
	// users.company_id is 0 on an install without companies. See
	// SelectedCompanies.
	CompanyIDsDefault bool
	// Statuses are the billing system's own status words (see
	// ValidStatuses); empty means DefaultStatuses.
	Statuses []string
	// PageSize is the number of customers per query; 0 means
	// DefaultPageSize.
	PageSize int
}

// Selection is what every reader Open returns has besides the
// ContactSource methods (ticagasync.Selection): its CountAll counts the
// customer table with one COUNT(*) whatever the companies and statuses,
// staff aside (ClientExec's admin groups, FOSSBilling's rows whose role is
// not 'client'), and its Filter names the filters by setting and column.
type Selection = ticagasync.Selection

// Open returns the reader of billing system kind (blesta, whmcs,
// clientexec or fossbilling, in any case) over db, such as one from OpenDB.
// The reader also implements Selection. It returns an error for an unknown
// kind, an unknown status or a negative page size. It does not touch the
// database: call Check for that.
func Open(kind string, db *gorm.DB, opts Options) (ticagasync.ContactSource, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	if s.api {
		return nil, fmt.Errorf("billing: %s is read over its API, not a database", s.kind)
	}
	if db == nil {
		return nil, errors.New("billing: no database")
	}
	if opts.PageSize < 0 {
		return nil, fmt.Errorf("billing: page size %d: must be positive (0 means %d)", opts.PageSize, DefaultPageSize)
	}
	if opts.PageSize == 0 {
		opts.PageSize = DefaultPageSize
	}
	statuses, err := canonicalStatuses(s, opts.Statuses)
	if err != nil {
		return nil, err
	}
	return s.open(db, selection{companies: s.selectedCompanies(opts), statuses: statuses, pageSize: opts.PageSize}), nil
}

// SelectedCompanies returns the companies a reader that Open gives for
// kind and opts reads; nil means every company. It is opts.CompanyIDs for
// Blesta, and for ClientExec unless opts.CompanyIDsDefault; nil for a
// system without companies (WHMCS, FOSSBilling) and for an unknown kind.
// A source's pairings belong to it when their company is one of these.
func SelectedCompanies(kind string, opts Options) []int64 {
	s, err := lookup(kind)
	if err != nil {
		return nil
	}
	return s.selectedCompanies(opts)
}
