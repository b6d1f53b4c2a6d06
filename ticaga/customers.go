package ticaga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// Connection checks the administrator's credentials (POST connection with
// email and api_token). It returns nil only for {"result": "true"}; any
// other well-formed answer, a 401/403, or an {"error": ...} body gives an
// error wrapping ErrUnauthorized. Other failures are *APIError (unknown).
func (c *Client) Connection(ctx context.Context) error {
	cl := call{name: "connection", method: http.MethodPost, path: "connection", idempotent: true,
		form: url.Values{"email": {c.adminEmail}, "api_token": {c.token.Reveal()}}}
	r, err := c.do(ctx, cl)
	var ae *APIError
	if errors.As(err, &ae) && ae.serverMsg != "" && notFoundStatus(ae.Status) &&
		(ae.Err == nil || ae.Err == ErrNotFound) {
		ae.Err, ae.Retryable = ErrUnauthorized, false
		ae.Message = "credentials rejected: " + c.token.Scrub(printable(ae.serverMsg, 200))
		return ae
	}
	if err != nil {
		return err
	}
	switch res := normMessage(textField(r.obj, "result")); res {
	case "true", "1":
		return nil
	default:
		e := c.shapeError(cl, r, fmt.Errorf("result %q", res))
		e.Message, e.Err = "credentials rejected: connection result "+strconv.Quote(printable(res, 40)), ErrUnauthorized
		return e
	}
}

// RegisterParams are the fields of a new Ticaga user. Name, Email and
// Password are required; zero optional fields are not sent.
type RegisterParams struct {
	Name           string
	Email          string
	Password       Secret
	Company        string
	BillingID      string
	BillingSystem  string
	AccountManager int64
	Biography      string
}

// Register creates a user (POST register) and returns it with its new id.
// It is not retried once the request may have reached Ticaga, so a network
// error leaves the outcome unknown. A Laravel validation failure (422, e.g.
// the email is taken) is an *APIError carrying Ticaga's message.
func (c *Client) Register(ctx context.Context, p RegisterParams) (User, error) {
	if strings.TrimSpace(p.Name) == "" || strings.TrimSpace(p.Email) == "" || p.Password == "" {
		return User{}, errors.New("ticaga: register: name, email and password are required")
	}
	form := url.Values{"name": {p.Name}, "email": {p.Email}, "password": {p.Password.Reveal()}}
	setIf := func(key, v string) {
		if v != "" {
			form.Set(key, v)
		}
	}
	setIf("company", p.Company)
	setIf("billing_system", p.BillingSystem)
	setIf("biography", p.Biography)
	if id := strings.TrimSpace(p.BillingID); id != "" && id != "0" {
		form.Set("billing_id", id)
	}
	if p.AccountManager != 0 {
		form.Set("account_manager", strconv.FormatInt(p.AccountManager, 10))
	}
	return c.userCall(ctx, call{name: "register", method: http.MethodPost, path: "register", form: form,
		secrets: []Secret{p.Password}}, 0)
}

// Login checks a customer's email and password (POST login) and returns the
// user. Rejected credentials give an error wrapping ErrUnauthorized (401/403)
// or an *APIError with Ticaga's message. It is not retried once the request
// may have reached Ticaga.
func (c *Client) Login(ctx context.Context, email, password string) (User, error) {
	form := url.Values{"email": {email}, "password": {password}}
	return c.userCall(ctx, call{name: "login", method: http.MethodPost, path: "login", form: form}, 0)
}

// Customer reads one user (GET customers/get/{id}). It returns an error
// wrapping ErrNotFound only for the documented {"error": "User not
// authenticated"} body: plain on 200, 404 or 410; on 401 or 403 as
// ErrAuthUnproven (which also matches ErrNotFound), since a revoked token
// may be answered the same way. A 401 or 403 without that body wraps
// ErrUnauthorized. Every other error means unknown, including a malformed
// user (see decodeUser) and an answer about another id.
func (c *Client) Customer(ctx context.Context, id int64) (User, error) {
	if id <= 0 {
		return User{}, fmt.Errorf("ticaga: customers/get: invalid id %d", id)
	}
	return c.userCall(ctx, customerCall(id), id)
}

// customerCall is the customers/get call for user id.
func customerCall(id int64) call {
	return call{name: "customers/get", subject: "id " + strconv.FormatInt(id, 10), method: http.MethodGet,
		idempotent: true, notFoundOnAuth: true, path: "customers/get/" + strconv.FormatInt(id, 10)}
}

// userCall makes cl and decodes its {"user": {...}} answer, which must be
// about user want unless want is 0.
func (c *Client) userCall(ctx context.Context, cl call, want int64) (User, error) {
	r, err := c.do(ctx, cl)
	if err != nil {
		return User{}, err
	}
	u, err := userAnswer(r.obj, want)
	if err != nil {
		return User{}, c.shapeError(cl, r, err)
	}
	return u, nil
}

// userAnswer decodes a {"user": {...}} answer, which must be about user
// want unless want is 0.
func userAnswer(obj map[string]json.RawMessage, want int64) (User, error) {
	u, err := decodeUser(obj)
	if err != nil {
		return User{}, err
	}
	if want != 0 && int64(u.ID) != want {
		return User{}, fmt.Errorf("answer is about user %d, not %d", u.ID, want)
	}
	return u, nil
}

// Assign gives Ticaga user ticagaID the billing id billingID of billing
// system system (POST customers/assign). It returns nil only for
// {"user": true}, an error wrapping ErrNotFound when the user does not exist
// (ErrAuthUnproven as well when that body came on a 401 or 403, as for
// Customer), and otherwise an error that leaves the outcome unknown. The
// Ticaga id must be above 0, the billing id (a number, or a string such as
// TicketSource's "cst-...") neither empty nor "0", and system non-empty: it
// never clears a billing id.
func (c *Client) Assign(ctx context.Context, ticagaID int64, billingID, system string) error {
	if id := strings.TrimSpace(billingID); ticagaID <= 0 || id == "" || id == "0" || strings.HasPrefix(id, "-") || strings.TrimSpace(system) == "" {
		return fmt.Errorf("ticaga: customers/assign: invalid assignment (ticaga id %d, billing id %q, system %q)",
			ticagaID, billingID, system)
	}
	return c.assign(ctx, ticagaID, billingID, system)
}

// ClearBilling removes the billing id of Ticaga user ticagaID through
// customers/assign with billing_id 0 (system keeps Ticaga's enum valid).
// It exists for the operator's explicit `unlink --clear-remote`; the sync
// engine never clears a billing id.
func (c *Client) ClearBilling(ctx context.Context, ticagaID int64, system string) error {
	if ticagaID <= 0 {
		return fmt.Errorf("ticaga: customers/assign: invalid ticaga id %d", ticagaID)
	}
	return c.assign(ctx, ticagaID, "0", system)
}

func (c *Client) assign(ctx context.Context, ticagaID int64, billingID, system string) error {
	cl := call{name: "customers/assign", subject: "ticaga_id " + strconv.FormatInt(ticagaID, 10),
		method: http.MethodPost, path: "customers/assign", idempotent: true, notFoundOnAuth: true,
		form: url.Values{
			"ticaga_id":      {strconv.FormatInt(ticagaID, 10)},
			"billing_id":     {strings.TrimSpace(billingID)},
			"billing_system": {system},
		}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return err
	}
	switch res := normMessage(textField(r.obj, "user")); res {
	case "true", "1":
		return nil
	default:
		return c.shapeError(cl, r, fmt.Errorf("\"user\" is %s, not true", printable(strconv.Quote(res), 60)))
	}
}
