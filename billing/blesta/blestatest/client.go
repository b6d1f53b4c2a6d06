package blestatest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ticaga/ticaga-sync/billing/internal/multirow"
)

// Client is one Blesta client to insert with its contacts.
type Client struct {
	// ID is clients.id; 0 takes the next id after every existing and
	// explicitly given one. clients.user_id and id_value are set to it.
	ID int64
	// CompanyID is the Blesta company; 0 means company 1.
	CompanyID int64
	// GroupID is clients.client_group_id; 0 means the company's first
	// client group. A group that does not exist is created in CompanyID.
	GroupID int64
	// Status is clients.status; "" means "active".
	Status string
	// FirstName, LastName, Company and Email make the primary contact
	// (an empty Company is stored as NULL).
	FirstName, LastName, Company, Email string
	// DateAdded is contacts.date_added as SQL text, such as
	// "0000-00-00 00:00:00"; "" means now.
	DateAdded string
	// NoPrimaryContact leaves the client without its primary contact.
	NoPrimaryContact bool
	// ExtraContacts are inserted after the primary contact, in order.
	ExtraContacts []Contact
}

// Contact is a further contact of a client.
type Contact struct {
	// Type is contacts.contact_type: "primary", "billing" or "other"
	// ("" means "other").
	Type string
	// FirstName, LastName, Company and Email are stored as given (an
	// empty Company as NULL).
	FirstName, LastName, Company, Email string
}

// AddClient inserts one client, its client group when needed and its
// contacts, and returns the client's id.
func AddClient(ctx context.Context, db *sql.DB, c Client) (int64, error) {
	ids, err := addClients(ctx, db, []Client{c})
	if err != nil {
		return 0, err
	}
	return ids[0], nil
}

// AddClients inserts many clients with multi-row INSERTs (a thousand rows a
// statement), fast enough to seed a hundred thousand clients.
func AddClients(ctx context.Context, db *sql.DB, cs []Client) error {
	_, err := addClients(ctx, db, cs)
	return err
}

func addClients(ctx context.Context, db *sql.DB, cs []Client) ([]int64, error) {
	ids, err := assignIDs(ctx, db, cs)
	if err != nil {
		return nil, err
	}
	g := groups{db: db, byCompany: map[int64]int64{}, known: map[int64]bool{}}
	now := time.Now().UTC().Format(time.DateTime)
	clients := make([][]any, 0, len(cs))
	contacts := make([][]any, 0, len(cs))
	for i, c := range cs {
		group, err := g.resolve(ctx, c)
		if err != nil {
			return nil, err
		}
		status := c.Status
		if status == "" {
			status = "active"
		}
		clients = append(clients, []any{ids[i], "{num}", ids[i], ids[i], group, status})
		added := c.DateAdded
		if added == "" {
			added = now
		}
		if !c.NoPrimaryContact {
			contacts = append(contacts, []any{ids[i], "primary", c.FirstName, c.LastName,
				multirow.NullIfEmpty(c.Company), c.Email, added})
		}
		for _, x := range c.ExtraContacts {
			typ := x.Type
			if typ == "" {
				typ = "other"
			}
			contacts = append(contacts, []any{ids[i], typ, x.FirstName, x.LastName,
				multirow.NullIfEmpty(x.Company), x.Email, added})
		}
	}
	if err := multirow.Insert(ctx, db, "INSERT INTO clients (id, id_format, id_value, user_id, client_group_id, status) VALUES", clients); err != nil {
		return nil, fmt.Errorf("blestatest: insert clients: %w", err)
	}
	if err := multirow.Insert(ctx, db, "INSERT INTO contacts (client_id, contact_type, first_name, last_name, company, email, date_added) VALUES", contacts); err != nil {
		return nil, fmt.Errorf("blestatest: insert contacts: %w", err)
	}
	return ids, nil
}

// assignIDs gives every client without an ID the next free one.
func assignIDs(ctx context.Context, db *sql.DB, cs []Client) ([]int64, error) {
	// No MAX(): go-mysql-server answers an aggregate over an empty table
	// with no row at all.
	next, err := firstID(ctx, db, "SELECT id FROM clients ORDER BY id DESC LIMIT 1")
	if err != nil {
		return nil, fmt.Errorf("blestatest: read client ids: %w", err)
	}
	for _, c := range cs {
		next = max(next, c.ID)
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		if ids[i] = c.ID; ids[i] == 0 {
			next++
			ids[i] = next
		}
	}
	return ids, nil
}

// groups finds or creates client groups, remembering what it has seen.
type groups struct {
	db        *sql.DB
	byCompany map[int64]int64
	known     map[int64]bool
}

func (g *groups) resolve(ctx context.Context, c Client) (int64, error) {
	company := c.CompanyID
	if company == 0 {
		company = 1
	}
	if c.GroupID != 0 {
		if g.known[c.GroupID] {
			return c.GroupID, nil
		}
		found, err := firstID(ctx, g.db, "SELECT id FROM client_groups WHERE id = ?", c.GroupID)
		if err != nil {
			return 0, fmt.Errorf("blestatest: read client group: %w", err)
		}
		if found == 0 {
			if _, err := g.db.ExecContext(ctx, "INSERT INTO client_groups (id, name, company_id) VALUES (?, ?, ?)",
				c.GroupID, fmt.Sprintf("Group %d", c.GroupID), company); err != nil {
				return 0, fmt.Errorf("blestatest: insert client group: %w", err)
			}
		}
		g.known[c.GroupID] = true
		return c.GroupID, nil
	}
	if id, ok := g.byCompany[company]; ok {
		return id, nil
	}
	id, err := firstID(ctx, g.db, "SELECT id FROM client_groups WHERE company_id = ? ORDER BY id LIMIT 1", company)
	if err != nil {
		return 0, fmt.Errorf("blestatest: read client group: %w", err)
	}
	if id == 0 {
		res, err := g.db.ExecContext(ctx, "INSERT INTO client_groups (name, company_id) VALUES (?, ?)", "General", company)
		if err != nil {
			return 0, fmt.Errorf("blestatest: insert client group: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("blestatest: insert client group: %w", err)
		}
	}
	g.byCompany[company] = id
	return id, nil
}

// firstID returns the id the query selects, or 0 when it selects no row.
func firstID(ctx context.Context, db *sql.DB, query string, args ...any) (int64, error) {
	var id int64
	err := db.QueryRowContext(ctx, query, args...).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}
