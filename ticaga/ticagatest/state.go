package ticagatest

import (
	"cmp"
	"slices"
	"time"
)

// User is a Ticaga user as the fake stores it.
type User struct {
	// ID is the Ticaga id; 0 in AddUser means "the next free id".
	ID    int64
	Name  string
	Email string
	// Password is what login checks.
	Password    string
	Company     string
	PhoneNumber string
	// BillingID is stored as Ticaga stores it: "" becomes "0" (none).
	BillingID      string
	BillingSystem  string
	AccountManager int64
	Biography      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Assignment is one customers/assign call the fake applied (or was asked to
// apply, for BeforeAssign).
type Assignment struct {
	TicagaID      int64
	BillingID     string
	BillingSystem string
}

// Ticket is a support ticket of the fake.
type Ticket struct {
	// ID is the ticket id; 0 in AddTicket means "the next free id".
	ID       int64
	UserID   int64
	Subject  string
	Message  string
	Status   string // default "open"; tickets/close sets "closed"
	Priority string // default "medium"
	// ClosedAt is set by tickets/close.
	ClosedAt  time.Time
	CreatedAt time.Time
}

// Response is one answer on a ticket of the fake.
type Response struct {
	// ID is the response id; 0 in AddResponse means "the next free id".
	ID       int64
	TicketID int64
	UserID   int64
	Content  string
	// Employee marks a staff answer (employee_response 1).
	Employee  bool
	IsNote    bool
	CreatedAt time.Time
}

// AddUser stores u and returns its id: u.ID when set (ids may have gaps; an
// existing user with that id is replaced), else one above the highest id.
// Zero CreatedAt/UpdatedAt are set to now.
func (s *Server) AddUser(u User) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addUserLocked(u)
}

// addUserLocked is AddUser with s.mu held.
func (s *Server) addUserLocked(u User) int64 {
	if u.ID <= 0 {
		s.nextUser++
		u.ID = s.nextUser
	}
	s.nextUser = max(s.nextUser, u.ID)
	if u.BillingID == "" {
		u.BillingID = "0"
	}
	now := s.opts.Now()
	if u.CreatedAt.IsZero() {
		u.CreatedAt = now
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = now
	}
	s.users[u.ID] = &u
	return u.ID
}

// User returns user id and whether it exists.
func (s *Server) User(id int64) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Users returns every user, by id.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		out = append(out, *u)
	}
	slices.SortFunc(out, func(a, b User) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// DeleteUser removes user id; later calls about it get the not-found body.
func (s *Server) DeleteUser(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.users, id)
}

// Assignments returns every customers/assign the fake applied, in order.
func (s *Server) Assignments() []Assignment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.assignments)
}

// AddTicket stores t and returns its id (see AddUser for ids and times).
func (s *Server) AddTicket(t Ticket) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t.ID <= 0 {
		s.nextTicket++
		t.ID = s.nextTicket
	}
	s.nextTicket = max(s.nextTicket, t.ID)
	if t.Status == "" {
		t.Status = "open"
	}
	if t.Priority == "" {
		t.Priority = "medium"
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.opts.Now()
	}
	s.tickets[t.ID] = &t
	return t.ID
}

// Ticket returns ticket id and whether it exists.
func (s *Server) Ticket(id int64) (Ticket, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tickets[id]
	if !ok {
		return Ticket{}, false
	}
	return *t, true
}

// AddResponse stores r and returns its id (see AddUser for ids and times).
func (s *Server) AddResponse(r Response) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID <= 0 {
		s.nextResp++
		r.ID = s.nextResp
	}
	s.nextResp = max(s.nextResp, r.ID)
	if r.CreatedAt.IsZero() {
		r.CreatedAt = s.opts.Now()
	}
	s.responses[r.ID] = &r
	return r.ID
}
