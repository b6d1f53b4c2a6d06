package clientexec

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// LookupClient reads user id whatever the selected companies and statuses
// and says why the filters drop it: a staff member (an admin group), its
// status or its company. It implements ticagasync.Explainer.
func (r *Reader) LookupClient(ctx context.Context, billingID ticagasync.BillingID) (ticagasync.ClientLookup, error) {
	id, numeric := billingID.Int()
	if !numeric {
		return keyset.NoSuchClient("users", billingID), nil
	}
	var w row
	var isAdmin sql.NullBool
	var c ticagasync.Contact
	var rowID int64
	err := r.db.WithContext(ctx).Raw("SELECT u.id, u.company_id, u.status, u.firstname, u.lastname, u.organization, u.email, u.groupid, g.id, g.isadmin\n"+
		fromCustomers+"WHERE u.id = ?", id).Row().
		Scan(&rowID, &w.company, &w.status, &w.first, &w.last, &w.org, &w.email, &w.groupID, &w.groupFound, &isAdmin)
	if errors.Is(err, sql.ErrNoRows) {
		return keyset.NoSuchClient("users", billingID), nil
	}
	if err != nil {
		return ticagasync.ClientLookup{}, fmt.Errorf("%s: read user %d: %w", System, id, err)
	}
	c.BillingID = ticagasync.BillingIDOf(rowID)
	c.CompanyID = w.company.Int64
	c.Status = strconv.FormatInt(w.status.Int64, 10)
	c.FirstName, c.LastName, c.Company, c.Email = w.first.String, w.last.String, w.org.String, w.email.String
	if !w.groupFound.Valid {
		c.Problem = fmt.Sprintf("group %d does not exist: cannot tell a customer from staff", w.groupID.Int64)
	}
	l := ticagasync.ClientLookup{Found: true, Contact: c}
	if isAdmin.Bool {
		l.Why = append(l.Why, ticagasync.NotSelected{Code: ticagasync.NotSelectedStaff,
			Detail: fmt.Sprintf("it is staff (group %d is an admin group): staff are never read", w.groupID.Int64)})
	}
	statuses := make([]string, len(r.opts.Statuses))
	for i, n := range r.opts.Statuses {
		statuses[i] = strconv.Itoa(n)
	}
	l.Why = append(l.Why, keyset.WhyStatus(c.Status, statuses, "users.status", func(s string) string {
		n, _ := strconv.Atoi(s)
		return StatusName(n)
	})...)
	l.Why = append(l.Why, keyset.WhyCompany(c.CompanyID, r.opts.CompanyIDs, "users.company_id")...)
	return l, nil
}

var _ ticagasync.Explainer = (*Reader)(nil)
