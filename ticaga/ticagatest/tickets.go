package ticagatest

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
)

// ticketsAll answers {"tickets": [...]} for a user ([] when none), or the
// user not-found body for an unknown user.
func (s *Server) ticketsAll(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	_, known := s.users[id]
	list := []map[string]any{}
	var ts []Ticket
	for _, t := range s.tickets {
		if t.UserID == id {
			ts = append(ts, *t)
		}
	}
	s.mu.Unlock()
	if !known {
		s.notFound(w, msgUserNotFound)
		return
	}
	slices.SortFunc(ts, func(a, b Ticket) int { return cmp.Compare(a.ID, b.ID) })
	for _, t := range ts {
		list = append(list, ticketJSON(t))
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": list})
}

// ticketGet answers {"tickets": {...}} for a ticket of the user, or "No
// tickets found for this user.".
func (s *Server) ticketGet(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	tid, _ := strconv.ParseInt(r.PathValue("ticket_id"), 10, 64)
	s.mu.Lock()
	t, ok := s.tickets[tid]
	u, known := s.users[id]
	var tc Ticket
	var uc User
	if ok && known && t.UserID == id {
		tc, uc = *t, *u
	} else {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, msgNoTickets)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"tickets": ticketDetailJSON(tc, uc)})
}

// ticketClose closes a ticket of customer_id: {"id": ticket_id}, or "No
// tickets found for this user.".
func (s *Server) ticketClose(w http.ResponseWriter, r *http.Request) {
	cid, _ := strconv.ParseInt(r.PostFormValue("customer_id"), 10, 64)
	tid, _ := strconv.ParseInt(r.PostFormValue("ticket_id"), 10, 64)
	s.mu.Lock()
	t, ok := s.tickets[tid]
	if ok && t.UserID == cid {
		t.Status = "closed"
		if t.ClosedAt.IsZero() {
			t.ClosedAt = s.opts.Now()
		}
	} else {
		ok = false
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, msgNoTickets)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int64{"id": tid})
}

// responsesGet answers {"responses": [...]} for a ticket, "Ticket not
// found", or "No responses found for this ticket.".
func (s *Server) responsesGet(w http.ResponseWriter, r *http.Request) {
	tid, _ := strconv.ParseInt(r.PathValue("ticket_id"), 10, 64)
	s.mu.Lock()
	_, ok := s.tickets[tid]
	var list []map[string]any
	var rs []Response
	for _, resp := range s.responses {
		if resp.TicketID == tid {
			rs = append(rs, *resp)
		}
	}
	slices.SortFunc(rs, func(a, b Response) int { return cmp.Compare(a.ID, b.ID) })
	for _, resp := range rs {
		var u User
		if p := s.users[resp.UserID]; p != nil {
			u = *p
		}
		list = append(list, responseJSON(resp, u))
	}
	s.mu.Unlock()
	switch {
	case !ok:
		s.notFound(w, msgTicketNotFound)
	case len(list) == 0:
		s.notFound(w, msgNoResponses)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"responses": list})
	}
}
