// Package ticketsourcetest is a stateful fake TicketSource API server for
// tests and demos, written from TicketSource's OpenAPI description (v1.1)
// and its "Working with Customers" page: a real net/http server on
// 127.0.0.1 serving GET /customers (paginated with links and meta,
// per_page capped at 100), GET /customers/{id}, and GET and POST
// /customers/{id}/notes, over in-memory customers and notes. It answers a
// wrong bearer key with 401, and injects faults: 429 with Retry-After,
// 5xx, HTML pages, garbled JSON, dropped connections.
//
// It does not import package testing, so programs can use it too. Every
// method is safe for concurrent use.
package ticketsourcetest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultKey is the API key a Server accepts when Options.Key is empty.
const DefaultKey = "skl-ticketsourcetest"

// MaxPerPage is the largest per_page the server honours (the spec's
// maximum); larger values are capped.
const MaxPerPage = 100

// Customer is one customer record.
type Customer struct {
	ID        string
	FirstName string
	LastName  string
	// Email is nil for a customer without one (the spec allows null).
	Email *string
}

// Note is one customer note.
type Note struct {
	ID          string
	CustomerID  string
	Description string
	CreatedBy   string
	CreatedAt   time.Time
}

// Options configures a Server.
type Options struct {
	// Key is the bearer key accepted (default DefaultKey).
	Key string
	// Now gives created_at (default time.Now).
	Now func() time.Time
}

// Fault is an injected answer.
type Fault struct {
	// Status is the HTTP status to answer (0 with Drop).
	Status int
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Body is the raw body; empty means a JSON:API error body for Status.
	Body string
	// ContentType defaults to application/json.
	ContentType string
	// Drop closes the connection without an answer.
	Drop bool
}

// Server is the fake TicketSource.
type Server struct {
	opts Options
	srv  *http.Server
	url  string

	mu        sync.Mutex
	customers []*Customer
	byID      map[string]*Customer
	notes     map[string][]*Note
	nextNote  int
	calls     map[string]int
	faults    map[string][]Fault // by endpoint ("GET /customers", "POST /customers/{id}/notes", "*")
	pageFault map[int][]Fault    // GET /customers by page number
	key       string
	pageHook  func(page int) // called before a customers page is answered
}

// New starts a server on a loopback port. Close stops it.
func New(opts Options) (*Server, error) {
	if opts.Key == "" {
		opts.Key = DefaultKey
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, url: "http://" + ln.Addr().String(), byID: map[string]*Customer{}, notes: map[string][]*Note{},
		calls: map[string]int{}, faults: map[string][]Fault{}, pageFault: map[int][]Fault{}, key: opts.Key}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the server's base URL (TICKETSOURCE_URL).
func (s *Server) URL() string { return s.url }

// Close stops the server.
func (s *Server) Close() error { return s.srv.Close() }

// AddCustomer adds a customer (in list order).
func (s *Server) AddCustomer(c Customer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cp := c
	s.customers = append(s.customers, &cp)
	s.byID[c.ID] = &cp
}

// SetKey changes the accepted key ("" accepts none).
func (s *Server) SetKey(k string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.key = k
}

// Fail queues faults for endpoint ("GET /customers", "GET
// /customers/{id}/notes", "POST /customers/{id}/notes", or "*" for any),
// answered in order by the next requests to it.
func (s *Server) Fail(endpoint string, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[endpoint] = append(s.faults[endpoint], faults...)
}

// FailPage queues faults for GET /customers of one page number.
func (s *Server) FailPage(page int, faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageFault[page] = append(s.pageFault[page], faults...)
}

// OnPage sets a function called before each customers page is answered
// (e.g. to add customers mid-read).
func (s *Server) OnPage(fn func(page int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pageHook = fn
}

// Calls returns how many requests endpoint answered (faults included).
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// Notes returns the notes of a customer, oldest first.
func (s *Server) Notes(customerID string) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Note
	for _, n := range s.notes[customerID] {
		out = append(out, *n)
	}
	return out
}

// DeleteNotes removes every note of a customer (as a person can in
// TicketSource).
func (s *Server) DeleteNotes(customerID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.notes, customerID)
}

// AllNotes returns the number of notes of every customer, by customer id.
func (s *Server) AllNotes() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, ns := range s.notes {
		out[id] = len(ns)
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	endpoint := r.Method + " /" + r.URL.Path[1:]
	switch {
	case len(parts) == 2 && parts[0] == "customers":
		endpoint = r.Method + " /customers/{id}"
	case len(parts) == 3 && parts[0] == "customers" && parts[2] == "notes":
		endpoint = r.Method + " /customers/{id}/notes"
	}
	page := 1
	if v := r.URL.Query().Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}

	s.mu.Lock()
	s.calls[endpoint]++
	f, faulted := s.takeFault(endpoint, page)
	key := s.key
	hook := s.pageHook
	s.mu.Unlock()

	if faulted {
		answerFault(w, f)
		return
	}
	if auth := r.Header.Get("Authorization"); key == "" || auth != "Bearer "+key {
		writeErrors(w, http.StatusUnauthorized, "unauthenticated", "Unauthenticated", "Invalid or missing API key.")
		return
	}
	switch endpoint {
	case "GET /customers":
		if hook != nil {
			hook(page)
		}
		s.listCustomers(w, r, page)
	case "GET /customers/{id}":
		s.getCustomer(w, parts[1])
	case "GET /customers/{id}/notes":
		s.listNotes(w, r, parts[1], page)
	case "POST /customers/{id}/notes":
		s.addNote(w, r, parts[1])
	default:
		writeErrors(w, http.StatusNotFound, "not_found", "Not Found", "The item you are looking for can't be found.")
	}
}

// takeFault pops a queued fault; s.mu is held.
func (s *Server) takeFault(endpoint string, page int) (Fault, bool) {
	if endpoint == "GET /customers" && len(s.pageFault[page]) > 0 {
		f := s.pageFault[page][0]
		s.pageFault[page] = s.pageFault[page][1:]
		return f, true
	}
	for _, k := range []string{endpoint, "*"} {
		if len(s.faults[k]) > 0 {
			f := s.faults[k][0]
			s.faults[k] = s.faults[k][1:]
			return f, true
		}
	}
	return Fault{}, false
}

func answerFault(w http.ResponseWriter, f Fault) {
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Body == "" {
		code := map[int]string{429: "rate_limit", 401: "unauthenticated", 404: "not_found", 400: "validation_failed"}[f.Status]
		if code == "" {
			code = "server_error"
		}
		writeErrors(w, f.Status, code, http.StatusText(f.Status), http.StatusText(f.Status))
		return
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/json"
	}
	w.Header().Set("Content-Type", ct)
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}

// writeErrors answers the spec's error shape: {"errors": [{status, code, title, detail}]}.
func writeErrors(w http.ResponseWriter, status int, code, title, detail string) {
	writeJSON(w, status, map[string]any{"errors": []map[string]any{{"status": status, "code": code, "title": title, "detail": detail}}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// perPage reads per_page: default 10, at most MaxPerPage.
func perPage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("per_page"))
	if err != nil || n < 1 {
		return 10
	}
	return min(n, MaxPerPage)
}

func (s *Server) customerJSON(c *Customer) map[string]any {
	var email any
	if c.Email != nil {
		email = *c.Email
	}
	self := s.url + "/customers/" + c.ID
	return map[string]any{
		"id": c.ID, "type": "customer",
		"attributes": map[string]any{
			"title": nil, "first_name": c.FirstName, "last_name": c.LastName, "address": nil,
			"telephone": nil, "email": email, "membership": nil,
			"consent":    map[string]any{"email": false, "post": false, "sms": false},
			"created_at": "2019-02-12T10:58:34+00:00", "updated_at": nil,
		},
		"links": map[string]any{"self": self, "bookings": self + "/bookings", "notes": self + "/notes"},
	}
}

// paginate answers one page of n items in the spec's shape.
func (s *Server) paginate(w http.ResponseWriter, r *http.Request, path string, page, n int, item func(i int) any) {
	per := perPage(r)
	if page < 1 {
		writeErrors(w, http.StatusBadRequest, "validation_failed", "Bad Request", "The page must be at least 1.")
		return
	}
	from := (page - 1) * per
	data := []any{}
	for i := from; i < min(from+per, n); i++ {
		data = append(data, item(i))
	}
	link := func(p int) string { return fmt.Sprintf("%s%s?page=%d&per_page=%d", s.url, path, p, per) }
	links := map[string]any{"first": link(1), "last": nil, "prev": nil, "next": nil}
	if page > 1 {
		links["prev"] = link(page - 1)
	}
	if from+per < n {
		links["next"] = link(page + 1)
	}
	meta := map[string]any{"current_page": page, "from": nil, "path": s.url + path, "per_page": per, "to": nil}
	if len(data) > 0 {
		meta["from"], meta["to"] = from+1, from+len(data)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": links, "meta": meta})
}

func (s *Server) listCustomers(w http.ResponseWriter, r *http.Request, page int) {
	s.mu.Lock()
	list := append([]*Customer(nil), s.customers...)
	s.mu.Unlock()
	s.paginate(w, r, "/customers", page, len(list), func(i int) any { return s.customerJSON(list[i]) })
}

func (s *Server) getCustomer(w http.ResponseWriter, id string) {
	s.mu.Lock()
	c, ok := s.byID[id]
	s.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusNotFound, "not_found", "Not Found", "The item you are looking for can't be found.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": s.customerJSON(c)})
}

func (s *Server) noteJSON(n *Note) map[string]any {
	return map[string]any{
		"id": n.ID, "type": "customer_note",
		"attributes": map[string]any{"description": n.Description, "created_by": n.CreatedBy,
			"created_at": n.CreatedAt.UTC().Format(time.RFC3339), "updated_at": nil},
		"links": map[string]any{"self": s.url + "/customers/" + n.CustomerID + "/notes/" + n.ID, "customer": s.url + "/customers/" + n.CustomerID},
	}
}

func (s *Server) listNotes(w http.ResponseWriter, r *http.Request, id string, page int) {
	s.mu.Lock()
	_, ok := s.byID[id]
	list := append([]*Note(nil), s.notes[id]...)
	s.mu.Unlock()
	if !ok {
		writeErrors(w, http.StatusNotFound, "not_found", "Not Found", "The item you are looking for can't be found.")
		return
	}
	s.paginate(w, r, "/customers/"+id+"/notes", page, len(list), func(i int) any { return s.noteJSON(list[i]) })
}

func (s *Server) addNote(w http.ResponseWriter, r *http.Request, id string) {
	var body struct {
		Data struct {
			Type       string `json:"type"`
			Attributes struct {
				Description string `json:"description"`
				CreatedBy   string `json:"created_by"`
			} `json:"attributes"`
		} `json:"data"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
		writeErrors(w, http.StatusBadRequest, "validation_failed", "Bad Request", "The body is not JSON: "+err.Error())
		return
	}
	a := body.Data.Attributes
	switch {
	case body.Data.Type != "customer_note":
		writeErrors(w, http.StatusBadRequest, "validation_failed", "Bad Request", "The data.type must be customer_note.")
		return
	case strings.TrimSpace(a.Description) == "" || strings.TrimSpace(a.CreatedBy) == "":
		writeErrors(w, http.StatusBadRequest, "validation_failed", "Bad Request", "The description and created_by fields are required.")
		return
	}
	s.mu.Lock()
	if _, ok := s.byID[id]; !ok {
		s.mu.Unlock()
		writeErrors(w, http.StatusNotFound, "not_found", "Not Found", "The item you are looking for can't be found.")
		return
	}
	s.nextNote++
	n := &Note{ID: fmt.Sprintf("csn-%08d", s.nextNote), CustomerID: id, Description: a.Description, CreatedBy: a.CreatedBy, CreatedAt: s.opts.Now()}
	s.notes[id] = append(s.notes[id], n)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, map[string]any{"data": s.noteJSON(n)})
}
