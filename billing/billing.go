// Package billing opens the reader of a billing system's database: one
// ticagasync.ContactSource per kind of billing system, each in its own
// subpackage (blesta, whmcs, clientexec, fossbilling), selected by name.
//
// The readers stream end customers only, in ascending id order, in small
// keyset pages on indexed columns; they need nothing but SELECT on the
// tables they read.
package billing

import (
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/clientexec"
	"github.com/ticaga/ticaga-sync/billing/fossbilling"
	"github.com/ticaga/ticaga-sync/billing/whmcs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The kinds of billing system, as configuration names them.
const (
	Blesta      = blesta.System
	WHMCS       = whmcs.System
	ClientExec  = clientexec.System
	FOSSBilling = fossbilling.System
)

// DefaultPageSize is the number of customers read per query when
// Options.PageSize is 0.
const DefaultPageSize = 500

// system is what this package knows of one kind of billing system.
type system struct {
	kind      string
	name      string // Ticaga's billing_system
	companies bool
	valid     func() []string
	defaults  func() []string
}

var systems = []system{
	{Blesta, "Blesta", true, blesta.Statuses, blesta.DefaultStatuses},
	{WHMCS, "WHMCS", false, whmcs.Statuses, whmcs.DefaultStatuses},
	{ClientExec, "ClientExec", true, clientexec.Statuses, clientexec.DefaultStatuses},
	{FOSSBilling, "FOSSBilling", false, fossbilling.Statuses, fossbilling.DefaultStatuses},
}

// Systems returns the kinds of billing system Open knows:
// blesta, whmcs, clientexec, fossbilling.
func Systems() []string {
	kinds := make([]string, len(systems))
	for i, s := range systems {
		kinds[i] = s.kind
	}
	return kinds
}

// HasCompanies reports whether billing system kind has companies that
// Options.CompanyIDs can select (Blesta, ClientExec).
func HasCompanies(kind string) bool {
	s, err := lookup(kind)
	return err == nil && s.companies
}

// lookup finds a kind of billing system, ignoring case and surrounding
// spaces.
func lookup(kind string) (system, error) {
	k := strings.ToLower(strings.TrimSpace(kind))
	for _, s := range systems {
		if s.kind == k {
			return s, nil
		}
	}
	return system{}, fmt.Errorf("unknown billing system %q (valid: %s)", kind, strings.Join(Systems(), ", "))
}

// Options selects the customers a reader streams.
type Options struct {
	// CompanyIDs are the billing companies to read (Blesta companies,
	// ClientExec users.company_id); empty reads every company. WHMCS and
	// FOSSBilling have no companies: there they are ignored (see
	// HasCompanies).
	CompanyIDs []int64
	// Statuses are the billing system's own status words (see
	// ValidStatuses); empty means DefaultStatuses.
	Statuses []string
	// PageSize is the number of customers per query; 0 means
	// DefaultPageSize.
	PageSize int
}

// Open returns the reader of billing system kind (blesta, whmcs,
// clientexec or fossbilling, in any case) over db, such as one from OpenDB.
// It returns an error for an unknown kind, an unknown status or a negative
// page size. It does not touch the database: call Check for that.
func Open(kind string, db *gorm.DB, opts Options) (ticagasync.ContactSource, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
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
	switch s.kind {
	case Blesta:
		return blesta.New(db, blesta.Options{CompanyIDs: opts.CompanyIDs, Statuses: statuses, PageSize: opts.PageSize}), nil
	case WHMCS: // no companies
		return whmcs.New(db, whmcs.Options{Statuses: statuses, PageSize: opts.PageSize}), nil
	case ClientExec:
		numbers := make([]int, len(statuses))
		for i, w := range statuses {
			numbers[i], _ = clientexec.ParseStatus(w) // canonical: always parses
		}
		return clientexec.New(db, clientexec.Options{CompanyIDs: opts.CompanyIDs, Statuses: numbers, PageSize: opts.PageSize}), nil
	default: // FOSSBilling: no companies
		return fossbilling.New(db, fossbilling.Options{Statuses: statuses, PageSize: opts.PageSize}), nil
	}
}
