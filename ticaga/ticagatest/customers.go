package ticagatest

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
)

// Not-found bodies, as documented.
const (
	msgUserNotFound   = "User not authenticated"
	msgNoTickets      = "No tickets found for this user."
	msgTicketNotFound = "Ticket not found"
	msgNoResponses    = "No responses found for this ticket."
)

// connection answers {"result": "true"} when api_token is the current
// token (and email the admin email, when Options.AdminEmail is set), else
// {"result": "false"} (a revoked token included).
func (s *Server) connection(w http.ResponseWriter, r *http.Request) {
	ok := s.tokenIs(r.PostFormValue("api_token")) &&
		(s.opts.AdminEmail == "" || strings.EqualFold(r.PostFormValue("email"), s.opts.AdminEmail))
	writeJSON(w, http.StatusOK, map[string]string{"result": strconv.FormatBool(ok)})
}

// register creates a user from the form; 422 when name, email or password
// is missing or the email is taken.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	for _, f := range []string{"name", "email", "password"} {
		if strings.TrimSpace(r.PostFormValue(f)) == "" {
			invalid(w, f, "The "+f+" field is required.")
			return
		}
	}
	email := strings.TrimSpace(r.PostFormValue("email"))
	manager, _ := strconv.ParseInt(r.PostFormValue("account_manager"), 10, 64)
	s.mu.Lock()
	hooks := s.hooks
	s.mu.Unlock()
	if hooks.BeforeRegister != nil {
		if msg := hooks.BeforeRegister(email); msg != "" {
			invalid(w, "email", msg)
			return
		}
	}
	s.mu.Lock()
	if s.userByEmailLocked(email) != nil {
		s.mu.Unlock()
		invalid(w, "email", "The email has already been taken.")
		return
	}
	id := s.addUserLocked(User{
		Name:           r.PostFormValue("name"),
		Email:          email,
		Password:       r.PostFormValue("password"),
		Company:        r.PostFormValue("company"),
		BillingID:      r.PostFormValue("billing_id"),
		BillingSystem:  r.PostFormValue("billing_system"),
		AccountManager: manager,
		Biography:      r.PostFormValue("biography"),
	})
	u := *s.users[id]
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"user": registeredJSON(u)})
}

// login answers the user whose email and password match, else 401.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u := s.userByEmailLocked(r.PostFormValue("email"))
	var found User
	ok := u != nil && subtle.ConstantTimeCompare([]byte(u.Password), []byte(r.PostFormValue("password"))) == 1
	if ok {
		found = *u
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Invalid credentials."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(found)})
}

// userByEmailLocked finds a user by email, ignoring case. s.mu is held.
func (s *Server) userByEmailLocked(email string) *User {
	email = strings.TrimSpace(email)
	for _, u := range s.users {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	return nil
}

// customerGet answers {"user": {...}} or the not-found body, unless a
// UserFault of the id answers.
func (s *Server) customerGet(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if s.userFault(w, r, id) {
		return
	}
	u, ok := s.User(id)
	if !ok {
		s.notFound(w, msgUserNotFound)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": userJSON(u)})
}

// customerAssign sets a user's billing id and system: {"user": true}, the
// not-found body, or 422 for a malformed form, unless a UserFault of the
// ticaga_id answers.
func (s *Server) customerAssign(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PostFormValue("ticaga_id"), 10, 64)
	if err != nil || id <= 0 {
		invalid(w, "ticaga_id", "The ticaga id field must be an integer.")
		return
	}
	if s.userFault(w, r, id) {
		return
	}
	a := Assignment{TicagaID: id, BillingID: r.PostFormValue("billing_id"), BillingSystem: r.PostFormValue("billing_system")}
	if a.BillingID == "" {
		invalid(w, "billing_id", "The billing id field is required.")
		return
	}
	s.mu.Lock()
	hooks := s.hooks
	s.mu.Unlock()
	if hooks.BeforeAssign != nil {
		if status := hooks.BeforeAssign(a); status != 0 {
			writeJSON(w, status, map[string]string{"message": "hook"})
			return
		}
	}
	s.mu.Lock()
	u, ok := s.users[id]
	if ok {
		u.BillingID, u.BillingSystem, u.UpdatedAt = a.BillingID, a.BillingSystem, s.opts.Now()
		s.assignments = append(s.assignments, a)
	}
	s.mu.Unlock()
	if !ok {
		s.notFound(w, msgUserNotFound)
		return
	}
	if hooks.AfterAssign != nil {
		hooks.AfterAssign(a)
	}
	writeJSON(w, http.StatusOK, map[string]bool{"user": true})
}
