package ticaga

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Ticket is a support ticket. tickets/get/all returns the ticket columns;
// tickets/get/{id}/{ticket_id} adds the department and customer fields.
type Ticket struct {
	ID                 FlexInt    `json:"id"`
	UserID             FlexInt    `json:"user_id"`
	Subject            FlexString `json:"subject"`
	Message            FlexString `json:"message"`
	Status             FlexString `json:"status"`   // e.g. "open", "closed"
	Priority           FlexString `json:"priority"` // e.g. "medium"
	CC                 FlexString `json:"cc"`
	Assigned           FlexInt    `json:"assigned"`
	DepartmentID       FlexInt    `json:"department_id"`
	Rating             FlexInt    `json:"rating"`
	IPAddress          FlexString `json:"ip_address"`
	PublicHash         FlexString `json:"public_hash"`
	PublicName         FlexString `json:"public_name"`
	PublicEmail        FlexString `json:"public_email"`
	Organize           FlexString `json:"organize"`
	DateClosed         FlexString `json:"date_closed"`
	UpdatedByClientAt  FlexString `json:"updated_by_client_at"`
	FirstEmployeeReply FlexString `json:"first_employee_reply"`
	CreatedAt          FlexString `json:"created_at"`
	UpdatedAt          FlexString `json:"updated_at"`

	// Only in tickets/get/{id}/{ticket_id}.
	DepartmentName        FlexString `json:"department_name"`
	DepartmentDescription FlexString `json:"department_description"`
	Slug                  FlexString `json:"slug"`
	AllowsHighPriority    FlexInt    `json:"allows_high_priority"`
	IsPublic              FlexInt    `json:"is_public"`
	IsDisabled            FlexInt    `json:"is_disabled"`
	DepartmentEmail       FlexString `json:"department_email"`
	SoftDeleted           FlexInt    `json:"soft_deleted"`
	Name                  FlexString `json:"name"`
	Email                 FlexString `json:"email"`
	Company               FlexString `json:"company"`
	CompanyName           FlexString `json:"company_name"`
	ClientName            FlexString `json:"client_name"`
	TicketID              FlexInt    `json:"ticket_id"`
	DepartmentUniqueID    FlexInt    `json:"department_unique_id"`
	TicketCreated         FlexString `json:"ticket_created"`
}

// Response is one answer on a ticket (responses/get).
type Response struct {
	ID               FlexInt    `json:"id"`
	UserID           FlexInt    `json:"user_id"`
	TicketNumber     FlexInt    `json:"ticket_number"`
	Content          FlexString `json:"content"`
	Organize         FlexString `json:"organize"`
	IsNote           FlexInt    `json:"is_note"`
	EmployeeResponse FlexInt    `json:"employee_response"`
	IPAddress        FlexString `json:"ip_address"`
	CreatedAt        FlexString `json:"created_at"`
	UpdatedAt        FlexString `json:"updated_at"`
	UserName         FlexString `json:"user_name"`
	UserEmail        FlexString `json:"user_email"`
}

// Ticket reads ticket ticketID of user userID (GET
// tickets/get/{id}/{ticket_id}). It returns an error wrapping ErrNotFound
// for "No tickets found for this user." (the ticket does not exist or is
// not the user's) and the other documented not-found bodies; on a 401 or
// 403 such a body also wraps ErrAuthUnproven (see Customer).
func (c *Client) Ticket(ctx context.Context, userID, ticketID int64) (Ticket, error) {
	cl := call{name: "tickets/get", method: http.MethodGet, idempotent: true, notFoundOnAuth: true,
		subject: "id " + strconv.FormatInt(userID, 10) + ", ticket_id " + strconv.FormatInt(ticketID, 10),
		path:    "tickets/get/" + strconv.FormatInt(userID, 10) + "/" + strconv.FormatInt(ticketID, 10)}
	r, err := c.do(ctx, cl)
	if err != nil {
		return Ticket{}, err
	}
	var t Ticket
	if err := decodeField(r.obj, "tickets", &t, "id"); err != nil {
		return Ticket{}, c.shapeError(cl, r, err)
	}
	return t, nil
}

// Tickets lists the tickets of user userID (GET tickets/get/all/{id}); a
// user without tickets gives an empty slice. It returns an error wrapping
// ErrNotFound for a documented not-found body (and ErrAuthUnproven when it
// came on a 401 or 403).
func (c *Client) Tickets(ctx context.Context, userID int64) ([]Ticket, error) {
	cl := call{name: "tickets/get/all", method: http.MethodGet, idempotent: true, notFoundOnAuth: true,
		subject: "id " + strconv.FormatInt(userID, 10),
		path:    "tickets/get/all/" + strconv.FormatInt(userID, 10)}
	r, err := c.do(ctx, cl)
	if err != nil {
		return nil, err
	}
	ts, err := decodeList[Ticket](r.obj, "tickets", "id")
	if err != nil {
		return nil, c.shapeError(cl, r, err)
	}
	return ts, nil
}

// CloseTicket closes ticket ticketID of customer customerID (POST
// tickets/close) and returns the id Ticaga reports. It returns an error
// wrapping ErrNotFound for a documented not-found body (and ErrAuthUnproven
// when it came on a 401 or 403).
func (c *Client) CloseTicket(ctx context.Context, customerID, ticketID int64) (int64, error) {
	cl := call{name: "tickets/close", method: http.MethodPost, path: "tickets/close", idempotent: true,
		notFoundOnAuth: true,
		subject:        "customer_id " + strconv.FormatInt(customerID, 10) + ", ticket_id " + strconv.FormatInt(ticketID, 10),
		form: url.Values{
			"customer_id": {strconv.FormatInt(customerID, 10)},
			"ticket_id":   {strconv.FormatInt(ticketID, 10)},
		}}
	r, err := c.do(ctx, cl)
	if err != nil {
		return 0, err
	}
	raw, ok := r.obj["id"]
	var id FlexInt
	if !ok {
		err = errors.New(`no "id" in the answer`)
	} else if err = json.Unmarshal(raw, &id); err == nil && id <= 0 {
		err = fmt.Errorf("ticket id %d is not positive", id)
	}
	if err != nil {
		return 0, c.shapeError(cl, r, err)
	}
	return int64(id), nil
}

// Responses lists the responses on ticket ticketID (GET
// responses/get/{ticket_id}). "No responses found for this ticket." gives
// an empty slice and a nil error (on 2xx, 404 or 410 only); "Ticket not
// found" an error wrapping ErrNotFound (and ErrAuthUnproven on a 401 or
// 403).
func (c *Client) Responses(ctx context.Context, ticketID int64) ([]Response, error) {
	cl := call{name: "responses/get", method: http.MethodGet, idempotent: true, notFoundOnAuth: true,
		subject: "ticket_id " + strconv.FormatInt(ticketID, 10),
		path:    "responses/get/" + strconv.FormatInt(ticketID, 10)}
	r, err := c.do(ctx, cl)
	var ae *APIError
	if errors.As(err, &ae) && normMessage(ae.serverMsg) == noResponsesMessage && notFoundStatus(ae.Status) {
		return []Response{}, nil
	}
	if err != nil {
		return nil, err
	}
	rs, err := decodeList[Response](r.obj, "responses", "id")
	if err != nil {
		return nil, c.shapeError(cl, r, err)
	}
	return rs, nil
}
