package ticagatest

import (
	"crypto/subtle"
	"net/http"
)

// authFailure is how a request without the right token is answered;
// guarded by Server.mu. The zero value is Laravel's 401
// {"message": "Unauthenticated."}.
type authFailure struct {
	status int
	body   string
}

// defaultAuthFailureBody is Laravel's answer to a missing or wrong token.
const defaultAuthFailureBody = `{"message":"Unauthenticated."}`

// Token returns the bearer token the server accepts now, or "" once it was
// revoked (see RevokeToken).
func (s *Server) Token() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// SetToken makes tok the only bearer token (and connection api_token) the
// server accepts from now on: requests with the old one fail
// authentication (see SetAuthFailure). An empty tok is RevokeToken.
func (s *Server) SetToken(tok string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.token = tok
}

// RevokeToken makes the server accept no token until SetToken: every
// request fails authentication (see SetAuthFailure), and connection, were
// it reached, would answer {"result": "false"}. Requests already past
// authentication finish normally.
func (s *Server) RevokeToken() { s.SetToken("") }

// SetAuthFailure sets how a request without the current bearer token is
// answered: status with body, as JSON. The default, also restored by
// status 0, is Laravel's 401 {"message": "Unauthenticated."}; an empty body
// with a non-zero status is sent as such. Setting it to 401 with
// {"error": "User not authenticated"} models a Ticaga where a revoked token
// and a missing user look the same.
func (s *Server) SetAuthFailure(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authFailure = authFailure{status: status, body: body}
}

// tokenIs reports whether tok is the current token (never when revoked).
func (s *Server) tokenIs(tok string) bool {
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	return want != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1
}

// authorized reports whether r carries the current bearer token.
func (s *Server) authorized(r *http.Request) bool {
	s.mu.Lock()
	want := s.token
	s.mu.Unlock()
	return want != "" &&
		subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+want)) == 1
}

// refuseAuth answers a request that failed authentication.
func (s *Server) refuseAuth(w http.ResponseWriter) {
	s.mu.Lock()
	f := s.authFailure
	s.mu.Unlock()
	if f.status == 0 {
		f = authFailure{status: http.StatusUnauthorized, body: defaultAuthFailureBody}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	_, _ = w.Write([]byte(f.body))
}
