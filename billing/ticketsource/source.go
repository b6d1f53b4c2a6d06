package ticketsource

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// System is BILLING_SYSTEM's word for TicketSource.
const System = "ticketsource"

// DefaultSystemName is the billing_system sent to Ticaga by default.
const DefaultSystemName = "TicketSource"

// CreatedBy is the created_by of the notes ticaga-sync writes.
const CreatedBy = "ticaga-sync"

// Source is the customers of one TicketSource account as a
// ticagasync.ContactSource. With notes on, it is also a
// ticagasync.LinkRecorder: each link gets one note on the customer.
type Source struct {
	client *Client
	notes  bool
}

var (
	_ ticagasync.ContactSource = (*Source)(nil)
	_ ticagasync.LinkRecorder  = (*Source)(nil)
	_ ticagasync.Explainer     = (*Source)(nil)
)

// NewSource reads the customers through c; writeNotes turns the link notes
// on (TICKETSOURCE_WRITE_NOTES).
func NewSource(c *Client, writeNotes bool) *Source { return &Source{client: c, notes: writeNotes} }

// System returns "ticketsource".
func (s *Source) System() string { return System }

// Client returns the API client.
func (s *Source) Client() *Client { return s.client }

// EachContact calls fn for every customer, in the API's order, each id
// once (a customer that a page shift shows twice is passed once). A
// customer without an email is passed with Problem set, so the run reports
// it as invalid_email.
func (s *Source) EachContact(ctx context.Context, fn func(ticagasync.Contact) error) error {
	seen := map[string]bool{}
	return s.client.EachCustomer(ctx, func(c Customer) error {
		if seen[c.ID] {
			return nil
		}
		seen[c.ID] = true
		return fn(contactOf(c))
	})
}

// contactOf is customer c as a contact: every customer is selected (there
// is no status), and one without an email has a Problem.
func contactOf(c Customer) ticagasync.Contact {
	ct := ticagasync.Contact{BillingID: ticagasync.BillingID(c.ID), Email: c.Email, FirstName: c.FirstName,
		LastName: c.LastName, Status: "active"}
	if c.Email == "" {
		ct.Problem = "the TicketSource customer has no email"
	}
	return ct
}

// LookupClient reads customer id (GET /customers/{id}): found, it is
// selected (TicketSource has no filters) with the contact EachContact
// gives; a customer TicketSource does not have, or a numeric id (no
// TicketSource id), is no_such_client. So explain and sync --client name a
// missing customer without a run, and without calling Ticaga.
func (s *Source) LookupClient(ctx context.Context, id ticagasync.BillingID) (ticagasync.ClientLookup, error) {
	noSuch := func(detail string) ticagasync.ClientLookup {
		return ticagasync.ClientLookup{Why: []ticagasync.NotSelected{{Code: ticagasync.NotSelectedNoSuchClient, Detail: detail}}}
	}
	if id.Numeric() {
		return noSuch(fmt.Sprintf("no such client: %s is a number, and TicketSource customer ids are cst-...", id)), nil
	}
	c, found, err := s.client.Customer(ctx, string(id))
	if err != nil {
		return ticagasync.ClientLookup{}, err
	}
	if !found {
		return noSuch(fmt.Sprintf("no such client: TicketSource has no customer %s", id)), nil
	}
	return ticagasync.ClientLookup{Found: true, Contact: contactOf(c)}, nil
}

// Check reads the first page of customers: the key is accepted and the
// answer has the expected shape.
func (s *Source) Check(ctx context.Context) error {
	_, err := s.client.FirstPage(ctx)
	return err
}

// RecordsLinks reports whether links are recorded as notes.
func (s *Source) RecordsLinks() bool { return s.notes }

// NoteText is the note written for pairing p.
func NoteText(p ticagasync.Pairing) string {
	return fmt.Sprintf("Linked to Ticaga user %d (%s) by ticaga-sync: Ticaga carries this customer's id %s as its %s billing id.",
		p.TicagaUserID, p.Email, p.BillingUserID, p.BillingSystem)
}

// RecordLink writes one note on the customer naming the Ticaga user. When
// retry is set (an earlier run may have written it and crashed before
// recording that), it first reads the customer's notes and writes none if
// one by ticaga-sync already names this Ticaga user.
func (s *Source) RecordLink(ctx context.Context, p ticagasync.Pairing, retry bool) error {
	if !s.notes {
		return nil
	}
	id := string(p.BillingUserID)
	if retry {
		notes, err := s.client.Notes(ctx, id)
		if err != nil {
			return err
		}
		mark := "Ticaga user " + strconv.FormatInt(p.TicagaUserID, 10) + " "
		for _, n := range notes {
			if n.CreatedBy == CreatedBy && strings.Contains(n.Description, mark) {
				return nil
			}
		}
	}
	_, err := s.client.AddNote(ctx, id, NoteText(p), CreatedBy)
	return err
}
