package ticaga

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The client is the engine's Ticaga.
var _ ticagasync.Ticaga = (*Client)(nil)

// Ping is Connection: it returns an error wrapping ErrUnauthorized (and so
// ticagasync.ErrUnauthorized) when the credentials are rejected.
func (c *Client) Ping(ctx context.Context) error { return c.Connection(ctx) }

// LookupUser reads user id through Customer and stamps FetchedAt with the
// current time. It returns an error wrapping ticagasync.ErrNotFound only for
// the documented "User not authenticated" body; when that body came on a
// 401 or 403 the error also wraps ticagasync.ErrAuthUnproven (a revoked
// token may look the same: only a later successful Ping proves it). Any
// other error means the user's existence is unknown.
func (c *Client) LookupUser(ctx context.Context, id int64) (ticagasync.TicagaUser, error) {
	u, err := c.Customer(ctx, id)
	if err != nil {
		return ticagasync.TicagaUser{}, err
	}
	return c.syncUser(u), nil
}

// syncUser is u as the engine knows it, read now.
func (c *Client) syncUser(u User) ticagasync.TicagaUser {
	return ticagasync.TicagaUser{
		ID:            int64(u.ID),
		Name:          string(u.Name),
		Email:         string(u.Email),
		Company:       string(u.Company),
		BillingID:     ticagasync.BillingID(u.BillingID),
		BillingSystem: string(u.BillingSystem),
		FetchedAt:     c.now(),
	}
}

// AssignBilling is Assign for a ticagasync.Assignment: nil on {"user": true},
// an error wrapping ticagasync.ErrNotFound when the user does not exist
// (and ticagasync.ErrAuthUnproven when that came on a 401 or 403), and
// otherwise an error that leaves the outcome unknown.
//
// A definite refusal (400, 409 or 422: Ticaga read the request and changed
// nothing, e.g. it does not take a string billing id) wraps
// ticagasync.ErrRefused.
func (c *Client) AssignBilling(ctx context.Context, a ticagasync.Assignment) error {
	err := c.Assign(ctx, a.TicagaID, string(a.BillingID), a.System)
	if ae, ok := errors.AsType[*APIError](err); ok && refusedStatus(ae.Status) {
		return fmt.Errorf("%w: %w", ticagasync.ErrRefused, err)
	}
	return err
}

// CreateUser registers u (POST register) with a random password made here,
// used once and dropped: it is never logged, stored or returned. The new
// user answers with its id. A refusal because the email is taken (Laravel's
// 422, or a 400/409, naming the email) wraps ticagasync.ErrEmailTaken, any
// other refusal ticagasync.ErrRefused; register is not retried once the
// request may have reached Ticaga, so any other error leaves the outcome
// unknown (the user may exist).
func (c *Client) CreateUser(ctx context.Context, u ticagasync.NewUser) (ticagasync.TicagaUser, error) {
	pw, err := randomPassword()
	if err != nil {
		return ticagasync.TicagaUser{}, fmt.Errorf("ticaga: register: %w", err)
	}
	got, err := c.Register(ctx, RegisterParams{Name: u.Name, Email: u.Email, Password: pw, Company: u.Company,
		BillingID: string(u.BillingID), BillingSystem: u.System})
	var ae *APIError
	if errors.As(err, &ae) {
		// Should Ticaga ever echo the form, the password goes no further.
		ae.Message, ae.serverMsg = pw.Scrub(ae.Message), pw.Scrub(ae.serverMsg)
	}
	if ae != nil && refusedStatus(ae.Status) && emailTaken(ae) {
		return ticagasync.TicagaUser{}, fmt.Errorf("%w: %w", ticagasync.ErrEmailTaken, err)
	}
	if ae != nil && refusedStatus(ae.Status) {
		return ticagasync.TicagaUser{}, fmt.Errorf("%w: %w", ticagasync.ErrRefused, err)
	}
	if err != nil {
		return ticagasync.TicagaUser{}, err
	}
	return c.syncUser(got), nil
}

// refusedStatus reports whether a register answer with status is a
// definite refusal (Ticaga read the request and created nothing): a
// validation failure, as Laravel (422) or another app (400, 409) answers.
func refusedStatus(status int) bool {
	return status == http.StatusBadRequest || status == http.StatusConflict || status == http.StatusUnprocessableEntity
}

// emailTaken reports whether a refusal refuses the email as taken, as
// Laravel's unique rule says it: "The email has already been taken."
func emailTaken(ae *APIError) bool {
	msg := strings.ToLower(ae.Message + " " + ae.serverMsg)
	return strings.Contains(msg, "email") && (strings.Contains(msg, "taken") || strings.Contains(msg, "already") ||
		strings.Contains(msg, "exists") || strings.Contains(msg, "unique"))
}

// randomPassword returns 32 random bytes as URL-safe base64 (43
// characters): more than any password rule asks, typed by nobody.
func randomPassword() (Secret, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate a password: %w", err)
	}
	return Secret(base64.RawURLEncoding.EncodeToString(b)), nil
}
