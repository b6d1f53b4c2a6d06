package ticaga

import (
	"errors"
	"net/url"
	"testing"
)

func TestTicket(t *testing.T) {
	s := jsonStub(t, 200, seedTicket)
	c := newClient(t, s.URL)
	tk, err := c.Ticket(t.Context(), 2, 2)
	if err != nil {
		t.Fatalf("Ticket: %v", err)
	}
	checkRequest(t, s.requests()[0], "GET", "/api/tickets/get/2/2", nil)
	if tk.ID != 2 || tk.UserID != 2 || tk.Status != "open" || tk.Rating != 0 || tk.DepartmentID != 2 ||
		tk.PublicName != "" || tk.UpdatedByClientAt != "2025-07-17 18:00:13" || tk.DepartmentName != "Support" ||
		tk.IsPublic != 2 || tk.AllowsHighPriority != 1 || tk.ClientName != "Prof. Christelle Bechtelar" ||
		tk.TicketID != 2 || tk.DepartmentUniqueID != 2 || tk.CompanyName != "Olson, Hintz and Mueller" {
		t.Errorf("Ticket = %+v", tk)
	}
	if ts, ok := ParseTimestamp(tk.TicketCreated); !ok || ts.Hour() != 18 {
		t.Errorf("ParseTimestamp(%q) = %v, %v", tk.TicketCreated, ts, ok)
	}
	for _, status := range []int{200, 404, 410, 401, 403} {
		_, err := newClient(t, jsonStub(t, status, seedNoTickets).URL).Ticket(t.Context(), 2, 99)
		auth := status == 401 || status == 403
		if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrAuthUnproven) != auth || errors.Is(err, ErrUnauthorized) {
			t.Errorf("status %d: Ticket = %v, want ErrNotFound (ErrAuthUnproven: %v)", status, err, auth)
		}
	}
	for _, status := range []int{401, 403} {
		c := newClient(t, jsonStub(t, status, seedUserNotFound).URL)
		if _, err := c.Tickets(t.Context(), 2); !errors.Is(err, ErrAuthUnproven) {
			t.Errorf("status %d: Tickets = %v, want ErrAuthUnproven", status, err)
		}
		if _, err := c.CloseTicket(t.Context(), 2, 8); !errors.Is(err, ErrAuthUnproven) {
			t.Errorf("status %d: CloseTicket = %v, want ErrAuthUnproven", status, err)
		}
	}
}

func TestTickets(t *testing.T) {
	s := jsonStub(t, 200, seedTickets)
	c := newClient(t, s.URL)
	ts, err := c.Tickets(t.Context(), 2)
	if err != nil {
		t.Fatalf("Tickets: %v", err)
	}
	checkRequest(t, s.requests()[0], "GET", "/api/tickets/get/all/2", nil)
	if len(ts) != 1 || ts[0].ID != 2 || ts[0].Subject != "Vitae provident aspernatur minima eum sunt." {
		t.Errorf("Tickets = %+v", ts)
	}
	empty, err := newClient(t, jsonStub(t, 200, seedTicketsEmpty).URL).Tickets(t.Context(), 3)
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("Tickets (none) = %#v, %v; want empty, nil", empty, err)
	}
	for _, body := range []string{`{"tickets": null}`, `{"tickets": {}}`, `{"tickets": [1]}`, `{"tickets": [{"subject": "no id"}]}`} {
		if _, err := newClient(t, jsonStub(t, 200, body).URL).Tickets(t.Context(), 3); err == nil {
			t.Errorf("Tickets(%s) = nil error", body)
		}
	}
}

func TestCloseTicket(t *testing.T) {
	s := jsonStub(t, 200, seedClose)
	c := newClient(t, s.URL)
	id, err := c.CloseTicket(t.Context(), 2, 8)
	if err != nil || id != 8 {
		t.Fatalf("CloseTicket = %d, %v", id, err)
	}
	checkRequest(t, s.requests()[0], "POST", "/api/tickets/close", url.Values{"customer_id": {"2"}, "ticket_id": {"8"}})
	id, err = newClient(t, jsonStub(t, 200, `{"id": "8"}`).URL).CloseTicket(t.Context(), 2, 8)
	if err != nil || id != 8 {
		t.Errorf("CloseTicket (string id) = %d, %v", id, err)
	}
	if _, err := newClient(t, jsonStub(t, 200, `{"ok": 1}`).URL).CloseTicket(t.Context(), 2, 8); err == nil {
		t.Error("CloseTicket without id = nil error")
	}
}

func TestResponses(t *testing.T) {
	s := jsonStub(t, 200, seedResponses)
	c := newClient(t, s.URL)
	rs, err := c.Responses(t.Context(), 2)
	if err != nil {
		t.Fatalf("Responses: %v", err)
	}
	checkRequest(t, s.requests()[0], "GET", "/api/responses/get/2", nil)
	if len(rs) != 2 || rs[0].ID != 4 || rs[0].EmployeeResponse != 1 || rs[1].UserEmail != "briana56@example.net" ||
		rs[1].TicketNumber != 2 || rs[1].UpdatedAt != "" {
		t.Errorf("Responses = %+v", rs)
	}
	for _, status := range []int{401, 403} {
		_, err := newClient(t, jsonStub(t, status, seedTicketNotFound).URL).Responses(t.Context(), 2)
		if !errors.Is(err, ErrAuthUnproven) || !errors.Is(err, ErrNotFound) {
			t.Errorf("status %d: Responses (no ticket) = %v, want ErrAuthUnproven", status, err)
		}
		// "No responses" on an auth status is not an empty list.
		rs, err := newClient(t, jsonStub(t, status, seedNoResponses).URL).Responses(t.Context(), 2)
		if rs != nil || !errors.Is(err, ErrUnauthorized) {
			t.Errorf("status %d: Responses (none) = %v, %v; want ErrUnauthorized", status, rs, err)
		}
	}
	for _, status := range []int{200, 404, 410} {
		rs, err := newClient(t, jsonStub(t, status, seedNoResponses).URL).Responses(t.Context(), 2)
		if err != nil || rs == nil || len(rs) != 0 {
			t.Errorf("status %d: Responses (none) = %#v, %v; want empty, nil", status, rs, err)
		}
		_, err = newClient(t, jsonStub(t, status, seedTicketNotFound).URL).Responses(t.Context(), 2)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("status %d: Responses (no ticket) = %v, want ErrNotFound", status, err)
		}
	}
}
