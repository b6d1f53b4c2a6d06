package ticaga

import (
	"context"

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
	return ticagasync.TicagaUser{
		ID:            int64(u.ID),
		Name:          string(u.Name),
		Email:         string(u.Email),
		Company:       string(u.Company),
		BillingID:     string(u.BillingID),
		BillingSystem: string(u.BillingSystem),
		FetchedAt:     c.now(),
	}, nil
}

// AssignBilling is Assign for a ticagasync.Assignment: nil on {"user": true},
// an error wrapping ticagasync.ErrNotFound when the user does not exist
// (and ticagasync.ErrAuthUnproven when that came on a 401 or 403), and
// otherwise an error that leaves the outcome unknown.
func (c *Client) AssignBilling(ctx context.Context, a ticagasync.Assignment) error {
	return c.Assign(ctx, a.TicagaID, a.BillingID, a.System)
}
