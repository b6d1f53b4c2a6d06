package blesta

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// A stream first reads client_groups, a small table of settings, to know
// the company of each group and which groups the selected companies own.
// Each page is then read with two queries, each on a single table and by key
// only: the clients (a clients.id range, in order), then the primary
// contacts of exactly those clients (contacts (client_id, contact_type)),
// keeping the lowest contacts.id when a client has two. Joining
// client_groups in the page query instead lets MariaDB turn a company filter
// into a full scan with a filesort on every page; a correlated
// "ct.id = (SELECT MIN(id) ...)" join runs about three times slower.
const (
	selectGroups = "SELECT id, company_id FROM client_groups"

	selectClients = `SELECT id, client_group_id, status
FROM clients
WHERE id > ? AND status IN ?`

	selectPrimaryContacts = `SELECT client_id, id, first_name, last_name, company, email
FROM contacts
WHERE client_id IN ? AND contact_type = 'primary'`
)

// pager holds what one stream knows and reuses from page to page.
type pager struct {
	*Reader
	companyOf map[int64]int64 // client_groups.id → company_id
	groupIDs  []int64         // the selected companies' groups; nil for all

	groupID int64
	status  sql.NullString

	ids, best                []int64
	clientID, contactID      int64
	first, last, firm, email sql.NullString
}

// loadGroups reads the client groups of the selected companies (of every
// company when none are selected).
func (p *pager) loadGroups(ctx context.Context) error {
	q, args := selectGroups, []any(nil)
	if len(p.opts.CompanyIDs) > 0 {
		q, args = q+" WHERE company_id IN ?", []any{p.opts.CompanyIDs}
	}
	rows, err := p.db.WithContext(ctx).Raw(q+" ORDER BY id", args...).Rows()
	if err != nil {
		return fmt.Errorf("%s: read client_groups: %w", System, err)
	}
	defer rows.Close()
	p.companyOf = map[int64]int64{}
	for rows.Next() {
		var id int64
		var company sql.NullInt64
		if err := rows.Scan(&id, &company); err != nil {
			return fmt.Errorf("%s: read client_groups: %w", System, err)
		}
		p.companyOf[id] = company.Int64
		if len(p.opts.CompanyIDs) > 0 {
			p.groupIDs = append(p.groupIDs, id)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: read client_groups: %w", System, err)
	}
	return rows.Close()
}

// page returns the SQL of the page of clients after the given id. Statuses
// and group ids are expanded into placeholder lists by gorm.
func (p *pager) page(after int64, limit int) (string, []any) {
	q := selectClients
	args := []any{after, p.opts.Statuses}
	if len(p.opts.CompanyIDs) > 0 {
		q += " AND client_group_id IN ?"
		args = append(args, p.groupIDs)
	}
	return q + "\nORDER BY id\nLIMIT ?", append(args, limit)
}

// scanClient reads one client row; the contact fields come later from
// addPrimaryContacts.
func (p *pager) scanClient(rows *sql.Rows) (ticagasync.Contact, error) {
	var c ticagasync.Contact
	var id int64
	if err := rows.Scan(&id, &p.groupID, &p.status); err != nil {
		return c, err
	}
	c.BillingID = ticagasync.BillingIDOf(id)
	c.Status = p.status.String
	company, ok := p.companyOf[p.groupID]
	c.CompanyID = company
	if !ok {
		c.Problem = fmt.Sprintf("client group %d does not exist", p.groupID)
	}
	return c, nil
}

// addPrimaryContacts fills in the name, company and email of each client of
// page from its primary contact, or marks it "no primary contact". page is
// in ascending BillingID order.
func (p *pager) addPrimaryContacts(ctx context.Context, page []ticagasync.Contact) error {
	p.ids, p.best = p.ids[:0], p.best[:0]
	for _, c := range page {
		id, _ := c.BillingID.Int()
		p.ids = append(p.ids, id)
		p.best = append(p.best, -1)
	}
	rows, err := p.db.WithContext(ctx).Raw(selectPrimaryContacts, p.ids).Rows()
	if err != nil {
		return p.contactsErr(page, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(&p.clientID, &p.contactID, &p.first, &p.last, &p.firm, &p.email); err != nil {
			return p.contactsErr(page, err)
		}
		i, ok := slices.BinarySearch(p.ids, p.clientID)
		if !ok || (p.best[i] >= 0 && p.best[i] < p.contactID) {
			continue
		}
		p.best[i] = p.contactID
		c := &page[i]
		c.FirstName, c.LastName, c.Company, c.Email = p.first.String, p.last.String, p.firm.String, p.email.String
	}
	if err := rows.Err(); err != nil {
		return p.contactsErr(page, err)
	}
	for i := range page {
		if p.best[i] < 0 {
			page[i].Problem = "no primary contact"
		}
	}
	return rows.Close()
}

func (p *pager) contactsErr(page []ticagasync.Contact, err error) error {
	return fmt.Errorf("%s: read contacts of clients %s to %s: %w",
		System, page[0].BillingID, page[len(page)-1].BillingID, err)
}
