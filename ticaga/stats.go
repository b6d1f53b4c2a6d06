package ticaga

import (
	"sync"
	"time"
)

// RequestKey identifies a group of HTTP attempts in Stats.
type RequestKey struct {
	// Endpoint is the endpoint template, e.g. "customers/get".
	Endpoint string
	// Class is the status class: "2xx", "3xx", "4xx", "5xx", or "network"
	// when no answer arrived.
	Class string
}

// Stats counts a Client's HTTP traffic since it was made.
type Stats struct {
	// Requests counts HTTP attempts (retries included) by endpoint and
	// status class.
	Requests map[RequestKey]int64
	// Retries counts attempts that were retries of a failed one.
	Retries int64
	// Throttled counts 429 answers.
	Throttled int64
	// PaceWaits counts requests that waited for the pacer or the RateLimit.
	PaceWaits int64
	// PaceDelay is the total time requests spent waiting for them.
	PaceDelay time.Duration
}

// Total returns the number of HTTP attempts.
func (s Stats) Total() int64 {
	var n int64
	for _, v := range s.Requests {
		n += v
	}
	return n
}

// Endpoint returns the number of HTTP attempts to one endpoint template.
func (s Stats) Endpoint(endpoint string) int64 {
	var n int64
	for k, v := range s.Requests {
		if k.Endpoint == endpoint {
			n += v
		}
	}
	return n
}

// statsRecorder accumulates Stats; safe for concurrent use.
type statsRecorder struct {
	mu sync.Mutex
	s  Stats
}

// statusClass returns the RequestKey class of an HTTP status.
func statusClass(status int) string {
	switch {
	case status <= 0:
		return "network"
	case status < 300:
		return "2xx"
	case status < 400:
		return "3xx"
	case status < 500:
		return "4xx"
	}
	return "5xx"
}

// request records one attempt.
func (r *statsRecorder) request(endpoint string, status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.s.Requests == nil {
		r.s.Requests = make(map[RequestKey]int64)
	}
	r.s.Requests[RequestKey{endpoint, statusClass(status)}]++
	if status == 429 {
		r.s.Throttled++
	}
}

// retry records one retry.
func (r *statsRecorder) retry() {
	r.mu.Lock()
	r.s.Retries++
	r.mu.Unlock()
}

// paced records one wait for the pacer.
func (r *statsRecorder) paced(d time.Duration) {
	r.mu.Lock()
	r.s.PaceWaits++
	r.s.PaceDelay += d
	r.mu.Unlock()
}

// snapshot returns a copy of the counts.
func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.s
	s.Requests = make(map[RequestKey]int64, len(r.s.Requests))
	for k, v := range r.s.Requests {
		s.Requests[k] = v
	}
	return s
}
