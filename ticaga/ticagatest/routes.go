package ticagatest

import (
	"net/http"
	"time"
)

// routes returns the API's handler.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern, endpoint string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(endpoint, w, r, h) })
	}
	handle("POST /api/connection", "connection", s.connection)
	handle("POST /api/register", "register", s.register)
	handle("POST /api/login", "login", s.login)
	handle("GET /api/customers/get/{id}", "customers/get", s.customerGet)
	handle("POST /api/customers/assign", "customers/assign", s.customerAssign)
	handle("GET /api/tickets/get/all/{id}", "tickets/get/all", s.ticketsAll)
	handle("GET /api/tickets/get/{id}/{ticket_id}", "tickets/get", s.ticketGet)
	handle("POST /api/tickets/close", "tickets/close", s.ticketClose)
	handle("GET /api/responses/get/{ticket_id}", "responses/get", s.responsesGet)
	handle("/", "unknown", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "The route " + r.URL.Path + " could not be found."})
	})
	return mux
}

// serve runs the steps every request goes through, in the order a Laravel
// app behind a proxy shows them: counting, latency, maintenance mode,
// dropped connections, authentication, throttle, injected failures (counted
// ones first, then the FaultMix); then h.
func (s *Server) serve(endpoint string, w http.ResponseWriter, r *http.Request, h http.HandlerFunc) {
	s.mu.Lock()
	s.calls[endpoint]++
	s.total++
	latency, hooks := s.faults.latency, s.hooks
	s.mu.Unlock()

	if hooks.BeforeRequest != nil {
		hooks.BeforeRequest(endpoint, r)
	}
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-r.Context().Done():
			t.Stop()
			return
		case <-t.C:
		}
	}

	s.mu.Lock()
	down := s.faults.down
	drop := !down && s.faults.drops > 0
	if drop {
		s.faults.drops--
	}
	s.mu.Unlock()
	switch {
	case down:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"message": "Service Unavailable"})
		return
	case drop:
		dropConnection(w)
		return
	case !s.authorized(r):
		s.refuseAuth(w)
		return
	}

	s.mu.Lock()
	allowed := s.throttle.hit(w, time.Now())
	f, status, retryAfter := faultNone, 0, 0
	if allowed {
		f, status = s.takeFault(endpoint)
	}
	if allowed && f == faultNone {
		f, status, retryAfter = s.drawMix()
	}
	s.mu.Unlock()
	switch {
	case !allowed:
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
	case f == faultDrop:
		dropConnection(w)
	case f == faultTooMany:
		writeTooMany(w, retryAfter)
	case f == faultHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(badGatewayPage))
	case f == faultStatus:
		writeJSON(w, status, map[string]string{"message": "Server Error"})
	default:
		h(&remainingWriter{ResponseWriter: w, s: s}, r)
	}
}

// remainingWriter sets X-RateLimit-Remaining when the handler writes its
// answer (ThrottleOptions.RemainingAfterHandler).
type remainingWriter struct {
	http.ResponseWriter
	s     *Server
	wrote bool
}

func (w *remainingWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote = true
	w.s.mu.Lock()
	w.s.throttle.remaining(w.Header(), time.Now())
	w.s.mu.Unlock()
	w.ResponseWriter.WriteHeader(status)
}

func (w *remainingWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.ResponseWriter.Write(p)
}

// notFound answers one of Ticaga's documented not-found bodies.
func (s *Server) notFound(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	status := s.faults.notFoundStatus
	s.mu.Unlock()
	writeJSON(w, status, map[string]string{"error": msg})
}

// invalid answers a Laravel validation failure (422) for field.
func invalid(w http.ResponseWriter, field, msg string) {
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
		"message": msg,
		"errors":  map[string][]string{field: {msg}},
	})
}
