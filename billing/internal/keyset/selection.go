package keyset

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The settings that select customers, as a reader's Filter names them.
const (
	CompanySetting = "BILLING_COMPANY_ID"
	StatusSetting  = "BILLING_STATUSES"
)

// Count runs query, such as "SELECT COUNT(*) FROM clients", and returns its
// one number; an error names the table ("whmcs: count tblclients: ...").
func Count(ctx context.Context, db *gorm.DB, system, table, query string) (int64, error) {
	if db == nil {
		return 0, errors.New(system + ": no database")
	}
	var n int64
	if err := db.WithContext(ctx).Raw(query).Row().Scan(&n); err != nil {
		return 0, fmt.Errorf("%s: count %s: %w", system, table, err)
	}
	return n, nil
}

// StatusFilter describes a status filter for a reader's Filter:
// "BILLING_STATUSES=active,fraud (clients.status)".
func StatusFilter(words []string, column string) string {
	return StatusSetting + "=" + strings.Join(words, ",") + " (" + column + ")"
}

// CompanyFilter describes a company filter for a reader's Filter:
// "BILLING_COMPANY_ID=1,2 (client_groups.company_id)".
func CompanyFilter(ids []int64, column string) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return CompanySetting + "=" + strings.Join(s, ",") + " (" + column + ")"
}

// Filters joins the descriptions of a selection's filters.
func Filters(filters ...string) string { return strings.Join(filters, ", ") }

// NoSuchClient is the lookup of a customer the table does not hold.
func NoSuchClient(table string, id ticagasync.BillingID) ticagasync.ClientLookup {
	return ticagasync.ClientLookup{Why: []ticagasync.NotSelected{{Code: ticagasync.NotSelectedNoSuchClient,
		Detail: fmt.Sprintf("no such client: %s has no row with id %s", table, id)}}}
}

// WhyStatus is the reason a status filter drops a customer with status, or
// nil when statuses hold it. label, when set, names a status word
// ("1" is "active" in ClientExec).
func WhyStatus(status string, statuses []string, column string, label func(string) string) []ticagasync.NotSelected {
	if slices.Contains(statuses, status) {
		return nil
	}
	shown := status
	if label != nil && label(status) != "" {
		shown = fmt.Sprintf("%s (%s)", status, label(status))
	}
	return []ticagasync.NotSelected{{Code: ticagasync.NotSelectedStatus,
		Detail: fmt.Sprintf("its status is %s, and %s selects other statuses", shown, StatusFilter(statuses, column))}}
}

// WhyCompany is the reason a company filter drops a customer of company,
// or nil when there is no filter or companies hold it.
func WhyCompany(company int64, companies []int64, column string) []ticagasync.NotSelected {
	if len(companies) == 0 || slices.Contains(companies, company) {
		return nil
	}
	return []ticagasync.NotSelected{{Code: ticagasync.NotSelectedCompany,
		Detail: fmt.Sprintf("it belongs to billing company %d, and %s selects other companies", company, CompanyFilter(companies, column))}}
}
