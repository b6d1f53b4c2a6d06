package blesta

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// LookupClient reads client id whatever the selected companies and
// statuses, with its primary contact (the lowest contacts.id), and says
// why the filters drop it. It implements ticagasync.Explainer.
func (r *Reader) LookupClient(ctx context.Context, billingID ticagasync.BillingID) (ticagasync.ClientLookup, error) {
	id, numeric := billingID.Int()
	if !numeric {
		return keyset.NoSuchClient("clients", billingID), nil
	}
	var groupID int64
	var status sql.NullString
	var company, groupFound sql.NullInt64
	err := r.db.WithContext(ctx).Raw("SELECT c.client_group_id, c.status, g.company_id, g.id FROM clients c "+
		"LEFT JOIN client_groups g ON g.id = c.client_group_id WHERE c.id = ?", id).Row().Scan(&groupID, &status, &company, &groupFound)
	if errors.Is(err, sql.ErrNoRows) {
		return keyset.NoSuchClient("clients", billingID), nil
	}
	if err != nil {
		return ticagasync.ClientLookup{}, fmt.Errorf("%s: read client %d: %w", System, id, err)
	}
	l := ticagasync.ClientLookup{Found: true, Contact: ticagasync.Contact{BillingID: billingID, CompanyID: company.Int64, Status: status.String}}
	l.Why = keyset.WhyStatus(status.String, r.opts.Statuses, "clients.status", nil)
	switch {
	case !groupFound.Valid && len(r.opts.CompanyIDs) > 0:
		l.Why = append(l.Why, ticagasync.NotSelected{Code: ticagasync.NotSelectedCompany,
			Detail: fmt.Sprintf("its client group %d does not exist, so it belongs to no company %s selects", groupID,
				keyset.CompanyFilter(r.opts.CompanyIDs, "client_groups.company_id"))})
	case !groupFound.Valid:
		l.Contact.Problem = fmt.Sprintf("client group %d does not exist", groupID)
	default:
		l.Why = append(l.Why, keyset.WhyCompany(company.Int64, r.opts.CompanyIDs, "client_groups.company_id")...)
	}

	var first, last, firm, email sql.NullString
	err = r.db.WithContext(ctx).Raw("SELECT first_name, last_name, company, email FROM contacts "+
		"WHERE client_id = ? AND contact_type = 'primary' ORDER BY id LIMIT 1", id).Row().Scan(&first, &last, &firm, &email)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if l.Contact.Problem == "" {
			l.Contact.Problem = "no primary contact"
		}
	case err != nil:
		return ticagasync.ClientLookup{}, fmt.Errorf("%s: read the primary contact of client %d: %w", System, id, err)
	default:
		c := &l.Contact
		c.FirstName, c.LastName, c.Company, c.Email = first.String, last.String, firm.String, email.String
	}
	return l, nil
}

var _ ticagasync.Explainer = (*Reader)(nil)
