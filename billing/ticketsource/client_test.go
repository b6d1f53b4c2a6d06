package ticketsource_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/billing/ticketsource"
	"github.com/ticaga/ticaga-sync/billing/ticketsource/ticketsourcetest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const key = "skl-client-test-SECRET-9"

func world(t *testing.T, n int) (*ticketsourcetest.Server, *ticketsource.Client) {
	t.Helper()
	s, err := ticketsourcetest.New(ticketsourcetest.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := 1; i <= n; i++ {
		email := fmt.Sprintf("c%d@example.com", i)
		c := ticketsourcetest.Customer{ID: fmt.Sprintf("cst-%05d", i), FirstName: "F", LastName: fmt.Sprint(i), Email: &email}
		if i == 5 {
			c.Email = nil
		}
		s.AddCustomer(c)
	}
	c, err := ticketsource.New(ticketsource.Config{BaseURL: s.URL(), Key: key, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func contacts(t *testing.T, src *ticketsource.Source) ([]ticagasync.Contact, error) {
	t.Helper()
	var out []ticagasync.Contact
	err := src.EachContact(t.Context(), func(c ticagasync.Contact) error { out = append(out, c); return nil })
	return out, err
}

func noSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), key) {
		t.Fatalf("the key appears in the error: %v", err)
	}
}

func TestEachContactFollowsLinksNextOverEveryPage(t *testing.T) {
	s, c := world(t, 250)
	got, err := contacts(t, ticketsource.NewSource(c, true))
	if err != nil || len(got) != 250 {
		t.Fatalf("read %d contacts, %v; want 250", len(got), err)
	}
	if n := s.Calls("GET /customers"); n != 3 {
		t.Fatalf("GET /customers calls = %d, want 3 pages of 100", n)
	}
	if got[0].BillingID != "cst-00001" || got[249].BillingID != "cst-00250" || got[0].Email != "c1@example.com" {
		t.Fatalf("first %+v, last %+v", got[0], got[249])
	}
	if got[4].Problem == "" || got[3].Problem != "" {
		t.Fatalf("a customer without email must carry a Problem (invalid_email): %+v", got[4])
	}
}

func TestPerPageIsCappedAt100(t *testing.T) {
	s, _ := world(t, 150)
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/customers?per_page=500", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Data []any `json:"data"`
		Meta struct {
			PerPage int `json:"per_page"`
		} `json:"meta"`
	}
	if err := jsonDecode(resp, &doc); err != nil || len(doc.Data) != 100 || doc.Meta.PerPage != 100 {
		t.Fatalf("per_page=500 answered %d customers, meta.per_page %d, %v", len(doc.Data), doc.Meta.PerPage, err)
	}
}

func TestBadPagesAreNamedWithPageAndStatus(t *testing.T) {
	for _, tt := range []struct {
		name  string
		fault ticketsourcetest.Fault
		want  string
	}{
		{"html", ticketsourcetest.Fault{Status: 200, Body: "<html>maintenance</html>", ContentType: "text/html"}, "GET /customers (page 2): HTTP 200: answer is not the expected JSON: unexpected HTML page"},
		{"truncated", ticketsourcetest.Fault{Status: 200, Body: `{"data": [{"id": "cst-1"`}, "GET /customers (page 2): HTTP 200: answer is not the expected JSON"},
		{"no data", ticketsourcetest.Fault{Status: 200, Body: `{"links": {}}`}, `GET /customers (page 2): HTTP 200: answer has no "data" list`},
		{"no id", ticketsourcetest.Fault{Status: 200, Body: `{"data": [{"type": "customer", "attributes": {}}]}`}, "GET /customers (page 2): HTTP 200: a customer has no id"},
		{"numeric id", ticketsourcetest.Fault{Status: 200, Body: `{"data": [{"id": 17, "attributes": {}}]}`}, "GET /customers (page 2): HTTP 200: a customer is not the expected JSON"},
		{"not found", ticketsourcetest.Fault{Status: 404}, "GET /customers (page 2): HTTP 404: Not Found"},
		{"redirect", ticketsourcetest.Fault{Status: 302, Body: " "}, "GET /customers (page 2): HTTP 302: redirected"},
		{"foreign next", ticketsourcetest.Fault{Status: 200, Body: `{"data": [{"id": "cst-x", "attributes": {}}], "links": {"next": "https://evil.example/customers?page=3"}}`}, "links.next points to https://evil.example"},
		{"next loops", ticketsourcetest.Fault{Status: 200, Body: `{"data": [{"id": "cst-x", "attributes": {}}], "links": {"next": "/customers?per_page=100&page=1"}}`}, "links.next points back to a page already read"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, c := world(t, 250)
			s.FailPage(2, tt.fault)
			_, err := contacts(t, ticketsource.NewSource(c, true))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			noSecret(t, err)
		})
	}
}

func TestServerErrorsAreRetriedThenNamed(t *testing.T) {
	s, c := world(t, 150)
	s.FailPage(2, ticketsourcetest.Fault{Status: 502}, ticketsourcetest.Fault{Drop: true})
	if got, err := contacts(t, ticketsource.NewSource(c, true)); err != nil || len(got) != 150 {
		t.Fatalf("after a 502 and a dropped connection: %d contacts, %v", len(got), err)
	}
	faults := make([]ticketsourcetest.Fault, 10)
	for i := range faults {
		faults[i] = ticketsourcetest.Fault{Status: 500}
	}
	s.FailPage(2, faults...)
	c2, _ := ticketsource.New(ticketsource.Config{BaseURL: s.URL(), Key: key, Timeout: 5 * time.Second, Retries: 2})
	_, err := contacts(t, ticketsource.NewSource(c2, true))
	if err == nil || !strings.Contains(err.Error(), "GET /customers (page 2): HTTP 500") || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v", err)
	}
}

func TestBadKeyIsUnauthorizedNamingTheSetting(t *testing.T) {
	s, _ := world(t, 3)
	c, _ := ticketsource.New(ticketsource.Config{BaseURL: s.URL(), Key: "skl-wrong"})
	err := ticketsource.NewSource(c, true).Check(t.Context())
	if !errors.Is(err, ticagasync.ErrUnauthorized) || !strings.Contains(err.Error(), "HTTP 401") || !strings.Contains(err.Error(), "TICKETSOURCE_API_KEY") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "skl-wrong") {
		t.Fatal("the key appears in the error")
	}
	if n := s.Calls("GET /customers"); n != 1 {
		t.Fatalf("a 401 was retried: %d calls", n)
	}
}

func TestThrottleHonoursRetryAfter(t *testing.T) {
	s, c := world(t, 120)
	s.FailPage(2, ticketsourcetest.Fault{Status: 429, RetryAfter: "1"})
	start := time.Now()
	got, err := contacts(t, ticketsource.NewSource(c, true))
	if err != nil || len(got) != 120 {
		t.Fatalf("%d contacts, %v", len(got), err)
	}
	if took := time.Since(start); took < time.Second {
		t.Fatalf("took %s: Retry-After: 1 was not honoured", took)
	}
	// A Retry-After longer than the timeout gives up at once, naming it.
	s.FailPage(1, ticketsourcetest.Fault{Status: 429, RetryAfter: "60"})
	_, err = contacts(t, ticketsource.NewSource(c, true))
	if err == nil || !strings.Contains(err.Error(), "GET /customers (page 1): HTTP 429") || !strings.Contains(err.Error(), "TICKETSOURCE_TIMEOUT") {
		t.Fatalf("err = %v", err)
	}
}

func TestBodySizeCap(t *testing.T) {
	big := strings.Repeat("x", ticketsource.MaxBody+10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"data": [], "pad": "%s"}`, big)
	}))
	defer srv.Close()
	c, _ := ticketsource.New(ticketsource.Config{BaseURL: srv.URL, Key: key})
	_, err := contacts(t, ticketsource.NewSource(c, true))
	if err == nil || !strings.Contains(err.Error(), "GET /customers (page 1)") || !strings.Contains(err.Error(), "larger than the cap") {
		t.Fatalf("err = %v", err)
	}
}

func TestTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer srv.Close()
	c, _ := ticketsource.New(ticketsource.Config{BaseURL: srv.URL, Key: key, Timeout: 300 * time.Millisecond, Retries: 1})
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.FirstPage(ctx)
	if err == nil || time.Since(start) > 3*time.Second || !strings.Contains(err.Error(), "GET /customers (page 1)") {
		t.Fatalf("err = %v after %s", err, time.Since(start))
	}
}

func TestRecordLinkWritesOneNoteAndChecksOnRetry(t *testing.T) {
	s, c := world(t, 3)
	src := ticketsource.NewSource(c, true)
	p := ticagasync.Pairing{TicagaUserID: 42, BillingUserID: "cst-00002", Email: "c2@example.com", BillingSystem: "TicketSource"}
	if err := src.RecordLink(t.Context(), p, false); err != nil {
		t.Fatal(err)
	}
	if err := src.RecordLink(t.Context(), p, true); err != nil {
		t.Fatal(err)
	}
	notes := s.Notes("cst-00002")
	if len(notes) != 1 || notes[0].CreatedBy != "ticaga-sync" || !strings.Contains(notes[0].Description, "Ticaga user 42 ") {
		t.Fatalf("notes = %+v, want one by ticaga-sync naming Ticaga user 42", notes)
	}
	// A note on a customer TicketSource does not know is a clear error.
	p.BillingUserID = "cst-nobody"
	err := src.RecordLink(t.Context(), p, false)
	if err == nil || !strings.Contains(err.Error(), "POST /customers/cst-nobody/notes: HTTP 404") {
		t.Fatalf("err = %v", err)
	}
	// Notes off: nothing is written.
	p.BillingUserID = "cst-00003"
	if err := ticketsource.NewSource(c, false).RecordLink(t.Context(), p, false); err != nil || len(s.Notes("cst-00003")) != 0 {
		t.Fatalf("notes off: %v, %d notes", err, len(s.Notes("cst-00003")))
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, cfg := range []ticketsource.Config{
		{BaseURL: "ftp://x", Key: key},
		{BaseURL: "https://user:pw@api.example", Key: key},
		{BaseURL: "https://api.example", Key: ""},
		{BaseURL: "https://api.example", Key: "a b"},
	} {
		if _, err := ticketsource.New(cfg); err == nil {
			t.Errorf("New(%q) succeeded", cfg.BaseURL)
		} else {
			noSecret(t, err)
		}
	}
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }

// LookupClient reads one customer: found, it is the very contact the list
// gives (a customer without email with its Problem); a customer
// TicketSource does not have, and a numeric id, are no_such_client; a 404
// that is not TicketSource's JSON error (a proxy's page) and a garbled
// answer are errors, never "no such client".
func TestLookupClientReadsOneCustomer(t *testing.T) {
	s, c := world(t, 120)
	src := ticketsource.NewSource(c, true)
	all, err := contacts(t, src)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []ticagasync.Contact{all[0], all[4], all[119]} {
		l, err := src.LookupClient(t.Context(), want.BillingID)
		if err != nil || !l.Selected() || l.Contact != want {
			t.Fatalf("lookup %s = %+v, %v; want selected %+v", want.BillingID, l, err, want)
		}
	}
	before := s.Calls("GET /customers/{id}")
	for id, want := range map[ticagasync.BillingID]string{
		"cst-nobody": "no such client: TicketSource has no customer cst-nobody",
		"12":         "no such client: 12 is a number, and TicketSource customer ids are cst-...",
	} {
		l, err := src.LookupClient(t.Context(), id)
		if err != nil || l.Found || l.Selected() || len(l.Why) != 1 || l.Why[0].Code != ticagasync.NotSelectedNoSuchClient || l.Reason() != want {
			t.Fatalf("lookup %s = %+v, %v; want no_such_client %q", id, l, err, want)
		}
	}
	if n := s.Calls("GET /customers/{id}") - before; n != 1 {
		t.Fatalf("the two lookups made %d calls, want 1 (a number needs none)", n)
	}

	s.Fail("GET /customers/{id}", ticketsourcetest.Fault{Status: 404, Body: "<html>Not Found</html>", ContentType: "text/html"})
	if _, err := src.LookupClient(t.Context(), "cst-00001"); err == nil || !strings.Contains(err.Error(), "GET /customers/cst-00001: HTTP 404: unexpected HTML page") {
		t.Fatalf("an HTML 404: %v", err)
	}
	s.Fail("GET /customers/{id}", ticketsourcetest.Fault{Status: 200, Body: `{"data": {"id": "cst-00002", "type": "customer", "attributes": {}}}`})
	if _, err := src.LookupClient(t.Context(), "cst-00001"); err == nil || !strings.Contains(err.Error(), "answer is about customer cst-00002") {
		t.Fatalf("an answer about another customer: %v", err)
	}
	s.Fail("GET /customers/{id}", ticketsourcetest.Fault{Status: 200, Body: `{"data": null}`})
	if _, err := src.LookupClient(t.Context(), "cst-00001"); err == nil || !strings.Contains(err.Error(), `no "data" customer`) {
		t.Fatalf("an answer without data: %v", err)
	}
	s.SetKey("another")
	_, err = src.LookupClient(t.Context(), "cst-00001")
	if !errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("a rejected key: %v", err)
	}
	noSecret(t, err)
}
