package billing

import (
	"fmt"
	"strconv"
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
	// TicketSource is read over its HTTP API, not a database (package
	// billing/ticketsource; the daemon wires it).
	TicketSource = "ticketsource"
)

// DefaultSystem is the kind of billing system read when none is
// configured.
const DefaultSystem = Blesta

// system is what this package knows of one kind of billing system: the
// registry every exported function of the package reads.
type system struct {
	kind string
	name string // Ticaga's billing_system
	// companies says Options.CompanyIDs select customers; defaultCompanies
	// that they do even when they are the configuration's default.
	companies, defaultCompanies bool
	valid, defaults             func() []string
	// canonical spells a configured status word as the database stores it;
	// nil: the valid word it equals, ignoring case.
	canonical func(word string) (string, bool)
	// label shows a valid word in an error's list; nil: as is.
	label func(valid string) string
	// open makes the reader.
	open func(db *gorm.DB, sel selection) ticagasync.ContactSource
	// api marks a system read over an HTTP API: no database, open is nil.
	api bool
}

// selection is what Open passes to a reader: the companies it reads (nil:
// all), canonical statuses (nil: the defaults) and the page size.
type selection struct {
	companies []int64
	statuses  []string
	pageSize  int
}

var systems = []system{
	{
		kind: Blesta, name: "Blesta", companies: true, defaultCompanies: true,
		valid: blesta.Statuses, defaults: blesta.DefaultStatuses,
		open: func(db *gorm.DB, sel selection) ticagasync.ContactSource {
			return blesta.New(db, blesta.Options{CompanyIDs: sel.companies, Statuses: sel.statuses, PageSize: sel.pageSize})
		},
	},
	{
		kind: WHMCS, name: "WHMCS",
		valid: whmcs.Statuses, defaults: whmcs.DefaultStatuses,
		open: func(db *gorm.DB, sel selection) ticagasync.ContactSource {
			return whmcs.New(db, whmcs.Options{Statuses: sel.statuses, PageSize: sel.pageSize})
		},
	},
	{
		// ClientExec keeps statuses as numbers; names are accepted too.
		kind: ClientExec, name: "ClientExec", companies: true,
		valid: clientexec.Statuses, defaults: clientexec.DefaultStatuses,
		canonical: func(word string) (string, bool) {
			n, ok := clientexec.ParseStatus(word)
			return strconv.Itoa(n), ok
		},
		label: func(valid string) string {
			n, _ := strconv.Atoi(valid)
			return valid + "/" + clientexec.StatusName(n)
		},
		open: func(db *gorm.DB, sel selection) ticagasync.ContactSource {
			numbers := make([]int, len(sel.statuses))
			for i, w := range sel.statuses {
				numbers[i], _ = clientexec.ParseStatus(w) // canonical: always parses
			}
			return clientexec.New(db, clientexec.Options{CompanyIDs: sel.companies, Statuses: numbers, PageSize: sel.pageSize})
		},
	},
	{
		kind: FOSSBilling, name: "FOSSBilling",
		valid: fossbilling.Statuses, defaults: fossbilling.DefaultStatuses,
		open: func(db *gorm.DB, sel selection) ticagasync.ContactSource {
			return fossbilling.New(db, fossbilling.Options{Statuses: sel.statuses, PageSize: sel.pageSize})
		},
	},
	{
		kind: TicketSource, name: "TicketSource", api: true,
		valid: func() []string { return []string{"active"} }, defaults: func() []string { return []string{"active"} },
	},
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

// Known reports whether kind is a kind of billing system Open knows, in
// any case and with surrounding spaces.
func Known(kind string) bool {
	_, err := lookup(kind)
	return err == nil
}

// HasCompanies reports whether billing system kind has companies that
// Options.CompanyIDs can select (Blesta, ClientExec).
func HasCompanies(kind string) bool {
	s, err := lookup(kind)
	return err == nil && s.companies
}

// IsAPI reports whether billing system kind is read over an HTTP API
// (TicketSource) rather than a database: it has no BILLING_DSN.
func IsAPI(kind string) bool {
	s, err := lookup(kind)
	return err == nil && s.api
}

// DefaultBillingSystemName returns the billing_system name sent to Ticaga
// for kind: "Blesta", "WHMCS", "ClientExec" or "FOSSBilling"; "" for an
// unknown kind.
func DefaultBillingSystemName(kind string) string {
	s, err := lookup(kind)
	if err != nil {
		return ""
	}
	return s.name
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

// selectedCompanies returns the companies a reader of s reads for opts;
// nil for all.
func (s system) selectedCompanies(opts Options) []int64 {
	if !s.companies || len(opts.CompanyIDs) == 0 || (opts.CompanyIDsDefault && !s.defaultCompanies) {
		return nil
	}
	return opts.CompanyIDs
}
