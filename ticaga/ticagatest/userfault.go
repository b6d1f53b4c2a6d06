package ticagatest

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// UserFault is how the fake answers calls about one user: customers/get
// for its id and customers/assign for its ticaga_id. It applies after
// authentication, the throttle and the other injected faults, to every such
// call until ClearUserFault. A customers/assign it answers changes nothing.
type UserFault struct {
	// Delay holds the answer back this long first (or until the client
	// gives up), e.g. longer than the client's Timeout.
	Delay time.Duration
	// Drop then closes the connection with no answer.
	Drop bool
	// Status, when not 0, is answered with Body and Header instead of the
	// real answer. Body is sent byte for byte: broken JSON, NUL bytes, an
	// HTML page, {"user": null}, an answer about another id...
	Status int
	// Body is the body of a Status answer.
	Body []byte
	// Header is added to a Status answer; its Content-Type defaults to
	// application/json.
	Header http.Header
}

// SetUserFault makes every later customers/get of id, and customers/assign
// with ticaga_id id, answer as f says; it replaces an earlier fault of id.
// The user need not exist. f is copied, so the caller may reuse its Body.
func (s *Server) SetUserFault(id int64, f UserFault) {
	f.Body = bytes.Clone(f.Body)
	f.Header = f.Header.Clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.userFaults == nil {
		s.userFaults = make(map[int64]UserFault)
	}
	s.userFaults[id] = f
}

// ClearUserFault makes calls about user id answered normally again.
func (s *Server) ClearUserFault(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.userFaults, id)
}

// BigBody returns a valid customers/get answer for id whose biography is
// n bytes of "x", for a UserFault.Body larger than the client's
// MaxBodyBytes.
func BigBody(id int64, n int) []byte {
	head := `{"user": {"id": ` + strconv.FormatInt(id, 10) + `, "email": "big@example.com", "biography": "`
	b := make([]byte, 0, len(head)+n+3)
	b = append(b, head...)
	b = append(b, bytes.Repeat([]byte("x"), n)...)
	return append(b, `"}}`...)
}

// userFault answers a call about user id as its UserFault says, and
// reports whether it did; false means serve the call normally (after the
// fault's Delay, if any).
func (s *Server) userFault(w http.ResponseWriter, r *http.Request, id int64) bool {
	s.mu.Lock()
	f, ok := s.userFaults[id]
	s.mu.Unlock()
	if !ok {
		return false
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-r.Context().Done():
			t.Stop()
			return true
		case <-t.C:
		}
	}
	switch {
	case f.Drop:
		dropConnection(w)
		return true
	case f.Status != 0:
		h := w.Header()
		for k, vs := range f.Header {
			h[k] = append([]string(nil), vs...)
		}
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
		w.WriteHeader(f.Status)
		_, _ = w.Write(f.Body)
		return true
	}
	return false
}
