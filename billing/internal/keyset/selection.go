package keyset

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
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
