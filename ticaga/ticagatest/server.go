// Package ticagatest is a stateful fake Ticaga server for tests and demos:
// a real net/http server on 127.0.0.1 that implements every documented API
// endpoint over in-memory users, tickets and responses, counts calls, and
// injects the failures a real Ticaga behind a real network shows (latency,
// 5xx, HTML error pages, dropped connections, Laravel's throttle, a random
// FaultMix, malformed or slow answers about one user with SetUserFault, a
// token revoked mid-run, not-found bodies on 401).
//
// It does not import package testing, so programs can use it too. Every
// method is safe for concurrent use, and every knob can be turned while
// requests are being served.
package ticagatest

import (
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// DefaultToken is the bearer token a Server accepts when Options.Token is
// empty.
const DefaultToken = "ticagatest-token"

// Options configures a Server.
type Options struct {
	// Token is the bearer token (and connection api_token) the server
	// accepts at first (default DefaultToken; see SetToken and RevokeToken).
	Token string
	// AdminEmail, when set, is the only email the connection call accepts.
	AdminEmail string
	// NotFoundStatus is the status of the documented not-found bodies
	// (default 200; see SetNotFoundStatus).
	NotFoundStatus int
	// Now gives the time for created_at/updated_at (default time.Now).
	Now func() time.Time
	// Seed seeds the random failures of SetFailureRate and SetFaultMix.
	Seed uint64
}

// Server is the fake Ticaga. Its zero value is not usable: call New.
type Server struct {
	opts Options
	srv  *http.Server
	url  string

	mu          sync.Mutex
	users       map[int64]*User
	nextUser    int64
	tickets     map[int64]*Ticket
	nextTicket  int64
	responses   map[int64]*Response
	nextResp    int64
	assignments []Assignment
	calls       map[string]int
	total       int
	token       string // "" once revoked: no token is accepted
	authFailure authFailure
	faults      faults
	mix         FaultMix
	userFaults  map[int64]UserFault
	throttle    throttle
	hooks       Hooks
	rng         *rand.Rand
}

// New starts a Server on 127.0.0.1 at a free port. It panics when it cannot
// listen, as httptest.NewServer does. Call Close when done.
func New(opts Options) *Server {
	if opts.Token == "" {
		opts.Token = DefaultToken
	}
	if opts.NotFoundStatus == 0 {
		opts.NotFoundStatus = http.StatusOK
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic("ticagatest: listen: " + err.Error())
	}
	s := &Server{
		opts:      opts,
		url:       "http://" + ln.Addr().String(),
		users:     make(map[int64]*User),
		tickets:   make(map[int64]*Ticket),
		responses: make(map[int64]*Response),
		calls:     make(map[string]int),
		token:     opts.Token,
		rng:       rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)),
	}
	s.faults.notFoundStatus = opts.NotFoundStatus
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s
}

// URL returns the server's base URL, e.g. "http://127.0.0.1:41234"; the API
// is under URL()+"/api/".
func (s *Server) URL() string { return s.url }

// Close stops the server and closes every connection.
func (s *Server) Close() { _ = s.srv.Close() }

// Calls returns how many requests reached endpoint, named by its template:
// "connection", "register", "login", "customers/get", "customers/assign",
// "tickets/get", "tickets/get/all", "tickets/close", "responses/get" (or
// "unknown" for other paths). Every request counts, failed ones included.
func (s *Server) Calls(endpoint string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[endpoint]
}

// TotalCalls returns how many requests reached the server.
func (s *Server) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCalls sets the call counters and the throttle's counters (429s,
// windows) to zero.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = make(map[string]int)
	s.total = 0
	s.throttle.served, s.throttle.windows = 0, 0
}

// SetHooks replaces the test hooks.
func (s *Server) SetHooks(h Hooks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = h
}

// Hooks are callbacks for tests. They run without the server's lock held,
// so they may call the Server's methods.
type Hooks struct {
	// BeforeRequest runs first for every request, with its endpoint template.
	BeforeRequest func(endpoint string, r *http.Request)
	// BeforeAssign runs before customers/assign changes anything. A status
	// other than 0 is answered instead, with {"message": "hook"}, and
	// nothing changes.
	BeforeAssign func(a Assignment) (status int)
	// BeforeRegister runs before register creates anything, with the
	// form's email. A message other than "" refuses the request: it is
	// answered as Laravel's validation failure (422) of the email field,
	// and nothing is created.
	BeforeRegister func(email string) (message string)
	// AfterAssign runs after an assignment was applied, before the answer is
	// written.
	AfterAssign func(a Assignment)
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
