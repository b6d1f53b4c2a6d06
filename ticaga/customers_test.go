package ticaga

import (
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// checkRequest asserts the method, path, form and headers of a request.
func checkRequest(t *testing.T, got seen, method, path string, form url.Values) {
	t.Helper()
	if got.Method != method || got.Path != path {
		t.Errorf("request = %s %s, want %s %s", got.Method, got.Path, method, path)
	}
	h := got.Header
	if v := h.Get("Authorization"); v != "Bearer "+testToken.Reveal() {
		t.Errorf("Authorization = %q", v)
	}
	if v := h.Get("Accept"); v != "application/json" {
		t.Errorf("Accept = %q", v)
	}
	if v := h.Get("X-Admin-Email"); v != "admin@example.com" {
		t.Errorf("X-Admin-Email = %q", v)
	}
	if v := h.Get("User-Agent"); v != DefaultUserAgent {
		t.Errorf("User-Agent = %q", v)
	}
	if method == http.MethodPost {
		if v := h.Get("Content-Type"); v != "application/x-www-form-urlencoded" {
			t.Errorf("Content-Type = %q", v)
		}
		if !reflect.DeepEqual(got.Form, form) {
			t.Errorf("form = %v, want %v", got.Form, form)
		}
	} else if got.Body != "" {
		t.Errorf("GET with body %q", got.Body)
	}
}

func TestConnection(t *testing.T) {
	s := jsonStub(t, 200, seedConnection)
	c := newClient(t, s.URL)
	if err := c.Connection(t.Context()); err != nil {
		t.Fatalf("Connection: %v", err)
	}
	checkRequest(t, s.requests()[0], "POST", "/api/connection",
		url.Values{"email": {"admin@example.com"}, "api_token": {testToken.Reveal()}})
}

func TestConnectionRejected(t *testing.T) {
	for name, body := range map[string]string{
		"false":        `{"result":"false"}`,
		"bool false":   `{"result":false}`,
		"no result":    `{"status":"ok"}`,
		"error body":   `{"error":"Invalid token"}`,
		"not found":    seedUserNotFound,
		"empty result": `{"result":""}`,
	} {
		t.Run(name, func(t *testing.T) {
			c := newClient(t, jsonStub(t, 200, body).URL)
			err := c.Connection(t.Context())
			if !errors.Is(err, ErrUnauthorized) || !errors.Is(err, ticagasync.ErrUnauthorized) {
				t.Fatalf("Connection = %v, want ErrUnauthorized", err)
			}
			if errors.Is(err, ErrNotFound) {
				t.Errorf("Connection = %v, also ErrNotFound", err)
			}
		})
	}
	// The probe that proves the token: any 401/403 is a rejection, the
	// documented not-found body included, and so is that body on 404/410.
	for _, status := range []int{401, 403, 404, 410} {
		c := newClient(t, jsonStub(t, status, seedUserNotFound).URL)
		err := c.Connection(t.Context())
		if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrAuthUnproven) {
			t.Errorf("status %d with the not-found body: Connection = %v, want ErrUnauthorized only", status, err)
		}
	}
	t.Run("bool true", func(t *testing.T) {
		c := newClient(t, jsonStub(t, 200, `{"result":true}`).URL)
		if err := c.Connection(t.Context()); err != nil {
			t.Fatalf("Connection = %v", err)
		}
	})
}

func TestRegister(t *testing.T) {
	s := jsonStub(t, 201, seedRegister)
	c := newClient(t, s.URL)
	u, err := c.Register(t.Context(), RegisterParams{
		Name: "Michael Dance", Email: "dancemike@domain.com", Password: "pw-1", Company: "Ticaga Ltd",
		BillingID: "2", BillingSystem: "blesta", AccountManager: 1,
	})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	want := User{ID: 8, Name: "Michael Dance", Email: "dancemike@domain.com", Company: "Ticaga Ltd",
		BillingID: "2", BillingSystem: "blesta", AccountManager: 1,
		CreatedAt: "2025-07-12T14:14:17.000000Z", UpdatedAt: "2025-07-12T14:14:17.000000Z"}
	if u != want {
		t.Errorf("Register = %+v, want %+v", u, want)
	}
	checkRequest(t, s.requests()[0], "POST", "/api/register", url.Values{
		"name": {"Michael Dance"}, "email": {"dancemike@domain.com"}, "password": {"pw-1"},
		"company": {"Ticaga Ltd"}, "billing_id": {"2"}, "billing_system": {"blesta"}, "account_manager": {"1"},
	})
	if _, err := c.Register(t.Context(), RegisterParams{Name: "x", Email: "x@y"}); err == nil || s.count() != 1 {
		t.Errorf("Register without password = %v after %d requests, want an error and no request", err, s.count())
	}
}

// seedUserWant is seedUser decoded.
var seedUserWant = User{ID: 1, Name: "Joe Doe", Email: "joedoe@example.com", Company: "Demo Ltd",
	BillingID: "0", CreatedAt: "2025-07-13T17:15:25.000000Z", UpdatedAt: "2025-07-13T17:22:37.000000Z"}

func TestLogin(t *testing.T) {
	s := jsonStub(t, 200, seedUser)
	c := newClient(t, s.URL)
	u, err := c.Login(t.Context(), "joedoe@example.com", "secret pw")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if u != seedUserWant {
		t.Errorf("Login = %+v, want %+v", u, seedUserWant)
	}
	checkRequest(t, s.requests()[0], "POST", "/api/login",
		url.Values{"email": {"joedoe@example.com"}, "password": {"secret pw"}})
}

func TestCustomer(t *testing.T) {
	s := jsonStub(t, 200, seedUser)
	c := newClient(t, s.URL)
	u, err := c.Customer(t.Context(), 1)
	if err != nil {
		t.Fatalf("Customer: %v", err)
	}
	if u != seedUserWant {
		t.Errorf("Customer = %+v, want %+v", u, seedUserWant)
	}
	checkRequest(t, s.requests()[0], "GET", "/api/customers/get/1", nil)

	// An answer about another user is not this user.
	_, err = c.Customer(t.Context(), 2)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Endpoint != "customers/get" || errors.Is(err, ErrNotFound) {
		t.Errorf("Customer(2) answered about 1 = %v, want a shape error", err)
	}
}

func TestCustomerNotFound(t *testing.T) {
	for _, status := range []int{200, 404, 410} {
		c := newClient(t, jsonStub(t, status, seedUserNotFound).URL)
		_, err := c.Customer(t.Context(), 5)
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, ticagasync.ErrNotFound) {
			t.Errorf("status %d: Customer = %v, want ErrNotFound", status, err)
		}
		u, err := c.LookupUser(t.Context(), 5)
		if !errors.Is(err, ticagasync.ErrNotFound) || u != (ticagasync.TicagaUser{}) {
			t.Errorf("status %d: LookupUser = %+v, %v", status, u, err)
		}
	}
}

// On a 401 or 403 the documented not-found body is ErrAuthUnproven: it
// matches ErrNotFound (and both ticagasync sentinels) but not
// ErrUnauthorized, and is not retried.
func TestCustomerNotFoundOnAuthStatus(t *testing.T) {
	for _, status := range []int{401, 403} {
		s := jsonStub(t, status, seedUserNotFound)
		c := newClient(t, s.URL)
		_, err := c.LookupUser(t.Context(), 5)
		if !errors.Is(err, ErrAuthUnproven) || !errors.Is(err, ErrNotFound) ||
			!errors.Is(err, ticagasync.ErrAuthUnproven) || !errors.Is(err, ticagasync.ErrNotFound) ||
			errors.Is(err, ErrUnauthorized) || errors.Is(err, ticagasync.ErrUnauthorized) {
			t.Errorf("status %d: LookupUser = %v, want ErrAuthUnproven and ErrNotFound only", status, err)
		}
		if ae := apiError(t, err); ae.Status != status || ae.Retryable || s.count() != 1 {
			t.Errorf("status %d: %+v after %d calls", status, ae, s.count())
		}
		// Without the body, or with another one, it is a rejected token.
		for _, body := range []string{`{"message":"Unauthenticated."}`, `{"error":"Token expired"}`, ``} {
			_, err := newClient(t, jsonStub(t, status, body).URL).Customer(t.Context(), 5)
			if !errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrAuthUnproven) {
				t.Errorf("status %d %s: Customer = %v, want ErrUnauthorized", status, body, err)
			}
		}
	}
}

func TestAssign(t *testing.T) {
	s := jsonStub(t, 200, seedAssign)
	c := newClient(t, s.URL)
	if err := c.Assign(t.Context(), 7, "42", "Blesta"); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	checkRequest(t, s.requests()[0], "POST", "/api/customers/assign",
		url.Values{"ticaga_id": {"7"}, "billing_id": {"42"}, "billing_system": {"Blesta"}})
	err := c.AssignBilling(t.Context(), ticagasync.Assignment{TicagaID: 7, BillingID: "42", System: "Blesta"})
	if err != nil {
		t.Fatalf("AssignBilling: %v", err)
	}
	for _, bad := range []struct {
		tid      int64
		bid, sys string
	}{{0, "1", "x"}, {1, "0", "x"}, {1, "", "x"}, {1, " ", "x"}, {1, "-3", "x"}, {1, "1", " "}} {
		if err := c.Assign(t.Context(), bad.tid, bad.bid, bad.sys); err == nil {
			t.Errorf("Assign(%d, %q, %q) = nil", bad.tid, bad.bid, bad.sys)
		}
	}
	if s.count() != 2 {
		t.Errorf("%d requests, want 2 (invalid assignments are not sent)", s.count())
	}
}

func TestAssignAnswers(t *testing.T) {
	for _, tc := range []struct {
		status   int
		body     string
		notFound bool
	}{
		{200, seedUserNotFound, true},
		{404, seedUserNotFound, true},
		{410, seedUserNotFound, true},
		{401, seedUserNotFound, true}, // ErrAuthUnproven, checked below
		{403, seedUserNotFound, true},
		{401, `{"message":"Unauthenticated."}`, false},
		{200, `{"user": false}`, false},
		{200, `{"user": null}`, false},
		{200, `{}`, false},
		{200, `{"user": "true"}`, false}, // accepted below
	} {
		c := newClient(t, jsonStub(t, tc.status, tc.body).URL)
		err := c.Assign(t.Context(), 1, "2", "blesta")
		if tc.body == `{"user": "true"}` {
			if err != nil {
				t.Errorf("%s: Assign = %v", tc.body, err)
			}
			continue
		}
		if err == nil || errors.Is(err, ErrNotFound) != tc.notFound {
			t.Errorf("%d %s: Assign = %v, want not found %v", tc.status, tc.body, err, tc.notFound)
		}
		auth := tc.status == 401 || tc.status == 403
		if errors.Is(err, ErrAuthUnproven) != (auth && tc.notFound) || errors.Is(err, ErrUnauthorized) != (auth && !tc.notFound) {
			t.Errorf("%d %s: Assign = %v: wrong auth kind", tc.status, tc.body, err)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "ticaga: customers/assign (ticaga_id 1): HTTP "+strconv.Itoa(tc.status)) {
			t.Errorf("error %q does not name the call, ticaga_id and status", err)
		}
	}
}

func TestClearBillingSendsZero(t *testing.T) {
	fake := ticagatest.New(ticagatest.Options{Token: "tok"})
	defer fake.Close()
	id := fake.AddUser(ticagatest.User{Name: "A", Email: "a@example.com", BillingID: "7", BillingSystem: "Blesta"})
	c, err := New(Config{BaseURL: fake.URL(), Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ClearBilling(t.Context(), id, "Blesta"); err != nil {
		t.Fatal(err)
	}
	if u, _ := fake.User(id); u.BillingID != "0" {
		t.Fatalf("billing id after ClearBilling = %q, want 0", u.BillingID)
	}
	if err := c.ClearBilling(t.Context(), 0, "Blesta"); err == nil {
		t.Fatal("ClearBilling accepted ticaga id 0")
	}
}
