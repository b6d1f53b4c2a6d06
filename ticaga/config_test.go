package ticaga

import (
	"strings"
	"testing"
)

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Token: "t"}, "BaseURL"},
		{Config{BaseURL: "example.com", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "http://", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "https://x.example#frag", Token: "t"}, "BaseURL"},
		{Config{BaseURL: "https://x.example"}, "Token"},
		{Config{BaseURL: "https://x.example", Token: "a\nb"}, "Token"},
		{Config{BaseURL: "https://x.example", Token: "t", AdminEmail: "a\r\nX: y"}, "AdminEmail"},
		{Config{BaseURL: "https://x.example", Token: "t", Timeout: -1}, "Timeout"},
		{Config{BaseURL: "https://x.example", Token: "t", RateLimit: -1}, "RateLimit"},
		{Config{BaseURL: "https://x.example", Token: "t", MaxBodyBytes: -1}, "MaxBodyBytes"},
	} {
		_, err := New(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("New(%+v) = %v, want an error naming %s", tc.cfg, err, tc.field)
		}
	}
}

func TestBaseURLForms(t *testing.T) {
	s := jsonStub(t, 200, seedUser)
	for _, base := range []string{s.URL, s.URL + "/", s.URL + "/ticaga", s.URL + "/ticaga/"} {
		c := newClient(t, base)
		if strings.HasSuffix(c.BaseURL(), "/") {
			t.Errorf("BaseURL() = %q", c.BaseURL())
		}
		if _, err := c.Customer(t.Context(), 1); err != nil {
			t.Fatalf("%s: %v", base, err)
		}
		want := "/api/customers/get/1"
		if strings.Contains(base, "/ticaga") {
			want = "/ticaga" + want
		}
		reqs := s.requests()
		if got := reqs[len(reqs)-1].Path; got != want {
			t.Errorf("base %q: path %q, want %q", base, got, want)
		}
	}
}
