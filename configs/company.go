package configs

import (
	"context"
	"strconv"
	"strings"
)

// CompanyIDs are the billing companies to sync, from BILLING_COMPANY_ID.
// nil means every company ("all"); otherwise each id is positive. The
// underlying type is []int64, so it ranges, compares to nil and passes to a
// []int64 parameter like a plain slice.
type CompanyIDs []int64

// All reports whether every company is synced (BILLING_COMPANY_ID=all).
func (c CompanyIDs) All() bool { return c == nil }

// String returns "all" or the ids separated by commas, as they would be
// written in BILLING_COMPANY_ID.
func (c CompanyIDs) String() string {
	if c == nil {
		return "all"
	}
	parts := make([]string, len(c))
	for i, id := range c {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// EnvDecode parses BILLING_COMPANY_ID for go-envconfig: "all" (any case),
// or positive integers separated by commas. An empty value leaves the
// current (default) value. A bad value is an *Error naming the variable.
func (c *CompanyIDs) EnvDecode(_ context.Context, v string) error {
	ids, err := parseCompanyIDs(v)
	if err != nil {
		return err
	}
	if strings.TrimSpace(v) != "" {
		*c = ids
	}
	return nil
}

// parseCompanyIDs parses a BILLING_COMPANY_ID value: "all" gives nil, a
// comma list of positive integers gives those ids, and "" gives nil with no
// error (the caller decides what empty means). Any other value is an *Error
// for BILLING_COMPANY_ID that quotes the offending element.
func parseCompanyIDs(v string) (CompanyIDs, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "all") {
		return nil, nil
	}
	parts := strings.Split(v, ",")
	ids := make(CompanyIDs, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return nil, companyIDError(strconv.Quote(p))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// companyIDError is the one message for a bad company id; shown is the id
// as it should appear (quoted text, or a number).
func companyIDError(shown string) *Error {
	return &Error{Var: "BILLING_COMPANY_ID", Msg: shown + " is not a company id (use numbers separated by commas, or all)"}
}
