package ticaga

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// newFake starts a fake that accepts testToken and the test admin email.
func newFake(t *testing.T) *ticagatest.Server {
	t.Helper()
	fake := ticagatest.New(ticagatest.Options{Token: testToken.Reveal(), AdminEmail: "admin@example.com"})
	t.Cleanup(fake.Close)
	return fake
}

func TestFakeCustomersFlow(t *testing.T) {
	fake := newFake(t)
	now := time.Date(2025, 7, 13, 17, 0, 0, 0, time.UTC)
	c := newClient(t, fake.URL(), func(c *Config) { c.Now = func() time.Time { return now } })
	ctx := t.Context()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	joe := fake.AddUser(ticagatest.User{Name: "Joe Doe", Email: "joedoe@example.com", Company: "Demo Ltd"})
	gap := fake.AddUser(ticagatest.User{ID: 5, Name: "Five", Email: "five@example.com"})
	next := fake.AddUser(ticagatest.User{Name: "Six", Email: "six@example.com"})
	if joe != 1 || gap != 5 || next != 6 {
		t.Fatalf("ids %d %d %d, want 1 5 6", joe, gap, next)
	}
	u, err := c.LookupUser(ctx, joe)
	want := ticagasync.TicagaUser{ID: 1, Name: "Joe Doe", Email: "joedoe@example.com", Company: "Demo Ltd", BillingID: "0", FetchedAt: now}
	if err != nil || u != want || u.HasBillingID() {
		t.Fatalf("LookupUser = %+v, %v; want %+v", u, err, want)
	}
	for _, status := range []int{200, 404} {
		fake.SetNotFoundStatus(status)
		if _, err := c.LookupUser(ctx, 2); !errors.Is(err, ticagasync.ErrNotFound) {
			t.Errorf("status %d: LookupUser(gap) = %v, want ErrNotFound", status, err)
		}
		if err := c.AssignBilling(ctx, ticagasync.Assignment{TicagaID: 3, BillingID: "9", System: "blesta"}); !errors.Is(err, ticagasync.ErrNotFound) {
			t.Errorf("status %d: AssignBilling(gap) = %v, want ErrNotFound", status, err)
		}
	}
	a := ticagasync.Assignment{TicagaID: gap, BillingID: "42", System: "Blesta"}
	if err := c.AssignBilling(ctx, a); err != nil {
		t.Fatalf("AssignBilling: %v", err)
	}
	if got, _ := fake.User(gap); got.BillingID != "42" || got.BillingSystem != "Blesta" {
		t.Errorf("fake user after assign = %+v", got)
	}
	if u, err := c.LookupUser(ctx, gap); err != nil || !u.CarriesBilling("42", "blesta") {
		t.Errorf("LookupUser after assign = %+v, %v", u, err)
	}
	if as := fake.Assignments(); len(as) != 1 || as[0] != (ticagatest.Assignment{TicagaID: 5, BillingID: "42", BillingSystem: "Blesta"}) {
		t.Errorf("Assignments = %+v", as)
	}
	if fake.Calls("customers/assign") != 3 || fake.Calls("customers/get") != 4 || fake.Calls("connection") != 1 || fake.TotalCalls() != 8 {
		t.Errorf("calls: assign %d, get %d, connection %d, total %d", fake.Calls("customers/assign"),
			fake.Calls("customers/get"), fake.Calls("connection"), fake.TotalCalls())
	}
	fake.ResetCalls()
	if fake.TotalCalls() != 0 || fake.Calls("customers/get") != 0 {
		t.Error("ResetCalls left counts")
	}
	fake.DeleteUser(joe)
	if _, err := c.Customer(ctx, joe); !errors.Is(err, ErrNotFound) {
		t.Errorf("Customer(deleted) = %v", err)
	}
	if len(fake.Users()) != 2 {
		t.Errorf("Users = %+v", fake.Users())
	}
}

func TestFakeCredentials(t *testing.T) {
	fake := newFake(t)
	bad := newClient(t, fake.URL(), func(c *Config) { c.Token = "wrong" })
	if err := bad.Ping(t.Context()); !errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Errorf("Ping with a wrong token = %v", err)
	}
	if _, err := bad.LookupUser(t.Context(), 1); !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) {
		t.Errorf("LookupUser with a wrong token = %v", err)
	}
	other := newClient(t, fake.URL(), func(c *Config) { c.AdminEmail = "someone@example.com" })
	if err := other.Ping(t.Context()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Ping with a wrong admin email = %v", err)
	}
}

func TestFakeRegisterLogin(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := t.Context()
	u, err := c.Register(ctx, RegisterParams{Name: "Mike", Email: "mike@example.com", Password: "pw", BillingID: "2", BillingSystem: "blesta", AccountManager: 1})
	if err != nil || u.ID != 1 || u.BillingID != "2" || u.AccountManager != 1 {
		t.Fatalf("Register = %+v, %v", u, err)
	}
	if got, ok := fake.User(1); !ok || got.Email != "mike@example.com" {
		t.Errorf("fake user = %+v", got)
	}
	var ae *APIError
	if _, err := c.Register(ctx, RegisterParams{Name: "Mike", Email: "MIKE@example.com", Password: "pw"}); !errors.As(err, &ae) || ae.Status != 422 {
		t.Errorf("Register duplicate = %v", err)
	}
	if u, err := c.Login(ctx, "mike@example.com", "pw"); err != nil || u.ID != 1 {
		t.Errorf("Login = %+v, %v", u, err)
	}
	if _, err := c.Login(ctx, "mike@example.com", "nope"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Login with a wrong password = %v", err)
	}
}

func TestFakeTickets(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	ctx := t.Context()
	uid := fake.AddUser(ticagatest.User{Name: "Christelle", Email: "briana56@example.net", Company: "Olson"})
	staff := fake.AddUser(ticagatest.User{Name: "Harry Marks", Email: "charles.renner@example.net"})
	tid := fake.AddTicket(ticagatest.Ticket{UserID: uid, Subject: "Help"})
	empty := fake.AddTicket(ticagatest.Ticket{UserID: uid, Subject: "Quiet"})
	fake.AddResponse(ticagatest.Response{TicketID: tid, UserID: staff, Content: "On it", Employee: true})
	fake.AddResponse(ticagatest.Response{TicketID: tid, UserID: uid, Content: "Thanks"})

	if ts, err := c.Tickets(ctx, uid); err != nil || len(ts) != 2 || ts[0].Subject != "Help" {
		t.Errorf("Tickets = %+v, %v", ts, err)
	}
	if ts, err := c.Tickets(ctx, staff); err != nil || len(ts) != 0 {
		t.Errorf("Tickets(no tickets) = %+v, %v", ts, err)
	}
	tk, err := c.Ticket(ctx, uid, tid)
	if err != nil || tk.ClientName != "Christelle" || tk.TicketID.Int64() != tid || tk.Status != "open" {
		t.Errorf("Ticket = %+v, %v", tk, err)
	}
	if _, err := c.Ticket(ctx, staff, tid); !errors.Is(err, ErrNotFound) {
		t.Errorf("Ticket(not theirs) = %v", err)
	}
	rs, err := c.Responses(ctx, tid)
	if err != nil || len(rs) != 2 || rs[0].UserName != "Harry Marks" || rs[0].EmployeeResponse != 1 || rs[1].Content != "Thanks" {
		t.Errorf("Responses = %+v, %v", rs, err)
	}
	if rs, err := c.Responses(ctx, empty); err != nil || len(rs) != 0 {
		t.Errorf("Responses(none) = %+v, %v", rs, err)
	}
	if _, err := c.Responses(ctx, 99); !errors.Is(err, ErrNotFound) {
		t.Errorf("Responses(no ticket) = %v", err)
	}
	if id, err := c.CloseTicket(ctx, uid, tid); err != nil || id != tid {
		t.Errorf("CloseTicket = %d, %v", id, err)
	}
	if got, _ := fake.Ticket(tid); got.Status != "closed" || got.ClosedAt.IsZero() {
		t.Errorf("ticket after close = %+v", got)
	}
	if _, err := c.CloseTicket(ctx, staff, empty); !errors.Is(err, ErrNotFound) {
		t.Errorf("CloseTicket(not theirs) = %v", err)
	}
}

func TestFakeFaults(t *testing.T) {
	fake := newFake(t)
	id := fake.AddUser(ticagatest.User{Name: "A", Email: "a@example.com"})
	c := newClient(t, fake.URL())
	ctx := t.Context()
	get := func() error { _, err := c.Customer(ctx, id); return err }

	fake.FailNext(2, 503)
	if err := get(); err != nil || fake.Calls("customers/get") != 3 {
		t.Errorf("after FailNext(2): %v, %d calls", err, fake.Calls("customers/get"))
	}
	fake.HTMLErrors(1)
	fake.DropConnections(1)
	if err := get(); err != nil {
		t.Errorf("after an HTML page and a dropped connection: %v", err)
	}
	fake.FailEndpoint("customers/assign", 1, 500)
	if err := get(); err != nil {
		t.Errorf("FailEndpoint(assign) hit get: %v", err)
	}
	if err := c.Assign(ctx, id, "1", "blesta"); err != nil || fake.Calls("customers/assign") != 2 {
		t.Errorf("assign after one 500: %v, %d calls", err, fake.Calls("customers/assign"))
	}

	fake.Down(true)
	_, err := c.Customer(ctx, id)
	if ae := apiError(t, err); ae.Status != 503 || !ae.Retryable {
		t.Errorf("down: %+v", ae)
	}
	fake.Down(false)
	if err := get(); err != nil {
		t.Errorf("up again: %v", err)
	}

	fake.SetHooks(ticagatest.Hooks{BeforeAssign: func(ticagatest.Assignment) int { return 400 }})
	if err := c.Assign(ctx, id, "77", "blesta"); err == nil {
		t.Error("Assign with a refusing hook = nil")
	}
	if u, _ := fake.User(id); u.BillingID != "1" {
		t.Errorf("a refused assign changed the user: %+v", u)
	}
	fake.SetHooks(ticagatest.Hooks{})

	fake.SetLatency(300 * time.Millisecond)
	slow := newClient(t, fake.URL(), func(c *Config) { c.Timeout = 50 * time.Millisecond; c.MaxRetries = -1 })
	if _, err := slow.Customer(ctx, id); err == nil {
		t.Error("no timeout against a slow fake")
	}
	fake.SetLatency(0)

	fake.SetFailureRate(1, http.StatusBadGateway)
	if err := get(); err == nil {
		t.Error("failure rate 1 let a request through")
	}
	fake.SetFailureRate(0, 0)
}

func TestFakeCancelDuringLatency(t *testing.T) {
	fake := newFake(t)
	fake.SetLatency(5 * time.Second)
	c := newClient(t, fake.URL())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Customer(ctx, 1)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > time.Second {
		t.Errorf("Customer = %v after %v", err, time.Since(start))
	}
}

// A Ticaga that answers a revoked token as it answers a missing user: the
// lookup is ErrAuthUnproven (never a plain "gone"), and the connection
// probe tells the two apart.
func TestFakeRevokedTokenLooksLikeMissingUser(t *testing.T) {
	fake := newFake(t)
	fake.SetAuthFailure(http.StatusUnauthorized, `{"error":"User not authenticated"}`)
	fake.SetNotFoundStatus(http.StatusUnauthorized)
	id := fake.AddUser(ticagatest.User{Name: "A", Email: "a@example.com"})
	c := newClient(t, fake.URL())
	ctx := t.Context()

	// A missing user, token good: unproven until the probe succeeds.
	_, err := c.LookupUser(ctx, id+1)
	if !errors.Is(err, ticagasync.ErrAuthUnproven) || !errors.Is(err, ticagasync.ErrNotFound) || errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("missing user on 401 = %v, want ErrAuthUnproven", err)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping with a good token = %v", err)
	}
	if _, err := c.LookupUser(ctx, id); err != nil {
		t.Fatalf("LookupUser(existing) = %v", err)
	}

	// The token is revoked mid-run: the existing user now looks missing,
	// the same way; the probe fails.
	fake.RevokeToken()
	_, err = c.LookupUser(ctx, id)
	if !errors.Is(err, ticagasync.ErrAuthUnproven) || errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("existing user with a revoked token = %v, want ErrAuthUnproven", err)
	}
	if err := c.AssignBilling(ctx, ticagasync.Assignment{TicagaID: id, BillingID: "4", System: "blesta"}); !errors.Is(err, ErrAuthUnproven) {
		t.Errorf("AssignBilling with a revoked token = %v, want ErrAuthUnproven", err)
	}
	if err := c.Ping(ctx); !errors.Is(err, ticagasync.ErrUnauthorized) || errors.Is(err, ticagasync.ErrNotFound) {
		t.Fatalf("Ping with a revoked token = %v, want ErrUnauthorized", err)
	}
	if u, _ := fake.User(id); u.BillingID != "0" {
		t.Errorf("an assign with a revoked token changed the user: %+v", u)
	}

	// A new token for a new client; the old one stays refused.
	fake.SetToken("tok-new")
	if err := c.Ping(ctx); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("Ping with the old token = %v", err)
	}
	fresh := newClient(t, fake.URL(), func(c *Config) { c.Token = "tok-new" })
	if err := fresh.Ping(ctx); err != nil {
		t.Errorf("Ping with the new token = %v", err)
	}
	if _, err := fresh.LookupUser(ctx, id); err != nil {
		t.Errorf("LookupUser with the new token = %v", err)
	}
}

func TestFakeNotFoundStatuses(t *testing.T) {
	fake := newFake(t)
	c := newClient(t, fake.URL())
	for _, status := range []int{200, 404, 410, 401, 403} {
		fake.SetNotFoundStatus(status)
		_, err := c.LookupUser(t.Context(), 3)
		auth := status == 401 || status == 403
		if !errors.Is(err, ticagasync.ErrNotFound) || errors.Is(err, ticagasync.ErrAuthUnproven) != auth ||
			errors.Is(err, ticagasync.ErrUnauthorized) {
			t.Errorf("status %d: LookupUser(missing) = %v", status, err)
		}
	}
}

// Malformed answers about one user leave that user unknown, and the others
// are unaffected.
func TestFakeUserFaults(t *testing.T) {
	fake := newFake(t)
	id := fake.AddUser(ticagatest.User{Name: "A", Email: "a@example.com"})
	other := fake.AddUser(ticagatest.User{Name: "B", Email: "b@example.com"})
	// A generous timeout (a loaded CI machine reads a 5 MiB body slowly
	// under the race detector) except for the one case about timing out.
	c := newClient(t, fake.URL(), func(c *Config) { c.Timeout = 10 * time.Second })
	quick := newClient(t, fake.URL(), func(c *Config) { c.Timeout = 300 * time.Millisecond })
	ctx := t.Context()
	for _, tc := range []struct {
		name  string
		fault ticagatest.UserFault
		want  string
	}{
		{"always 500", ticagatest.UserFault{Status: 500, Body: []byte(`{"message":"Server Error"}`)}, "HTTP 500: Server Error (after 7 attempts)"},
		{"HTML 200", ticagatest.UserFault{Status: 200, Body: []byte("<html>maintenance</html>"),
			Header: http.Header{"Content-Type": {"text/html"}}}, "HTTP 200: unexpected HTML page"},
		{"big body", ticagatest.UserFault{Status: 200, Body: ticagatest.BigBody(id, 5<<20)}, "larger than"},
		{"NUL bytes", ticagatest.UserFault{Status: 200, Body: []byte("{\"user\":\x00}")}, "invalid JSON"},
		{"user null", ticagatest.UserFault{Status: 200, Body: []byte(`{"user":null}`)}, "got null"},
		{"another id", ticagatest.UserFault{Status: 200, Body: []byte(`{"user":{"id":99,"email":"x@example.com"}}`)}, "about user 99, not 1"},
		{"slow", ticagatest.UserFault{Delay: time.Second}, "no answer within 300ms"},
		{"dropped", ticagatest.UserFault{Drop: true}, "network error"},
	} {
		fake.SetUserFault(id, tc.fault)
		client := c
		if tc.fault.Delay > 0 {
			client = quick
		}
		_, err := client.LookupUser(ctx, id)
		if err == nil || errors.Is(err, ticagasync.ErrNotFound) || errors.Is(err, ticagasync.ErrUnauthorized) ||
			!strings.Contains(err.Error(), "customers/get (id 1)") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LookupUser = %v, want an unknown error with %q", tc.name, err, tc.want)
		}
		if _, err := c.LookupUser(ctx, other); err != nil {
			t.Errorf("%s: another user: %v", tc.name, err)
		}
	}
	fake.SetUserFault(id, ticagatest.UserFault{Status: 502, Body: []byte(`<html>`)})
	if err := c.Assign(ctx, id, "5", "blesta"); err == nil || !strings.Contains(err.Error(), "customers/assign (ticaga_id 1): HTTP 502") {
		t.Errorf("Assign under a fault = %v", err)
	}
	fake.ClearUserFault(id)
	if _, err := c.LookupUser(ctx, id); err != nil {
		t.Errorf("after ClearUserFault: %v", err)
	}
}

// Against a hostile network (per attempt: 30% 5xx, 10% 429 with
// Retry-After 1, 5% dropped connections, 5% HTML 502 pages), the default
// six retries leave a call unanswered rarely: about one in 130 when half
// of all attempts fail.
func TestFakeHostileNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("takes a few seconds")
	}
	fake := ticagatest.New(ticagatest.Options{Token: testToken.Reveal(), Seed: 42})
	t.Cleanup(fake.Close)
	const users = 200
	for i := 1; i <= users; i++ {
		fake.AddUser(ticagatest.User{Name: "U", Email: "u" + strconv.Itoa(i) + "@example.com"})
	}
	fake.SetFaultMix(ticagatest.FaultMix{ServerError: 0.3, TooManyRequests: 0.1, Drop: 0.05, HTML: 0.05})
	c := newClient(t, fake.URL(), func(c *Config) { c.PaceWindow = -1 })
	var (
		mu      sync.Mutex
		unknown []error
		wg      sync.WaitGroup
		ids     = make(chan int64)
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if _, err := c.LookupUser(t.Context(), id); err != nil {
					if errors.Is(err, ticagasync.ErrNotFound) || errors.Is(err, ticagasync.ErrUnauthorized) {
						t.Errorf("LookupUser(%d) = %v: a fault taken for an answer", id, err)
					}
					mu.Lock()
					unknown = append(unknown, err)
					mu.Unlock()
				}
			}
		}()
	}
	for id := int64(1); id <= users; id++ {
		ids <- id
	}
	close(ids)
	wg.Wait()
	// Expected about 1.6 of 200; 9 or more has a probability below 1e-4.
	if len(unknown) > 8 {
		t.Errorf("%d of %d lookups stayed unknown, e.g. %v", len(unknown), users, unknown[0])
	}
	t.Logf("%d of %d lookups stayed unknown; %d requests, %d retries", len(unknown), users,
		c.Stats().Total(), c.Stats().Retries)
}
