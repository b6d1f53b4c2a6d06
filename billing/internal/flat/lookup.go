package flat

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// LookupClient reads customer id whatever the selected statuses and says
// why the filters drop it: its status, or (FOSSBilling) a row that is no
// customer. It implements ticagasync.Explainer.
func (r *Reader) LookupClient(ctx context.Context, billingID ticagasync.BillingID) (ticagasync.ClientLookup, error) {
	id, numeric := billingID.Int()
	if !numeric {
		return keyset.NoSuchClient(r.sys.Table, billingID), nil
	}
	s := r.sys
	customer := "1"
	if s.Customers != "" {
		customer = "(" + s.Customers + ")"
	}
	rows, err := r.db.WithContext(ctx).Raw("SELECT "+s.Columns+", "+customer+" FROM "+s.Table+" WHERE "+s.ID+" = ?", id).Rows()
	if err != nil {
		return ticagasync.ClientLookup{}, fmt.Errorf("%s: read %s %d: %w", s.Kind, s.Table, id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return ticagasync.ClientLookup{}, fmt.Errorf("%s: read %s %d: %w", s.Kind, s.Table, id, err)
		}
		return keyset.NoSuchClient(s.Table, billingID), nil
	}
	var w row
	var c ticagasync.Contact
	var isCustomer sql.NullBool
	var rowID int64
	err = rows.Scan(&rowID, &w.first, &w.last, &w.company, &w.email, &w.status, &isCustomer)
	if err != nil {
		return ticagasync.ClientLookup{}, fmt.Errorf("%s: read %s %d: %w", s.Kind, s.Table, id, err)
	}
	c.BillingID = ticagasync.BillingIDOf(rowID)
	c.FirstName, c.LastName, c.Company = w.first.String, w.last.String, w.company.String
	c.Email, c.Status = w.email.String, w.status.String
	l := ticagasync.ClientLookup{Found: true, Contact: c}
	if !isCustomer.Bool {
		l.Why = append(l.Why, ticagasync.NotSelected{Code: ticagasync.NotSelectedStaff,
			Detail: fmt.Sprintf("it is not a customer (%s.%s does not hold): staff are never read", s.Table, s.Customers)})
	}
	l.Why = append(l.Why, keyset.WhyStatus(c.Status, r.opts.Statuses, s.Table+"."+s.Status, nil)...)
	return l, errors.Join(rows.Close())
}

var _ ticagasync.Explainer = (*Reader)(nil)
