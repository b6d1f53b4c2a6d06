package ticaga

import (
	"context"
	"errors"
	"net/http"
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
		if err := c.AssignBilling(ctx, ticagasync.Assignment{TicagaID: 3, BillingID: 9, System: "blesta"}); !errors.Is(err, ticagasync.ErrNotFound) {
			t.Errorf("status %d: AssignBilling(gap) = %v, want ErrNotFound", status, err)
		}
	}
	a := ticagasync.Assignment{TicagaID: gap, BillingID: 42, System: "Blesta"}
	if err := c.AssignBilling(ctx, a); err != nil {
		t.Fatalf("AssignBilling: %v", err)
	}
	if got, _ := fake.User(gap); got.BillingID != "42" || got.BillingSystem != "Blesta" {
		t.Errorf("fake user after assign = %+v", got)
	}
	if u, err := c.LookupUser(ctx, gap); err != nil || !u.CarriesBilling(42, "blesta") {
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
	u, err := c.Register(ctx, RegisterParams{Name: "Mike", Email: "mike@example.com", Password: "pw", BillingID: 2, BillingSystem: "blesta", AccountManager: 1})
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
	if err := c.Assign(ctx, id, 1, "blesta"); err != nil || fake.Calls("customers/assign") != 2 {
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
	if err := c.Assign(ctx, id, 77, "blesta"); err == nil {
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
