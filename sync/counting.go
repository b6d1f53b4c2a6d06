package sync

import (
	"context"
	gosync "sync"
)

// The endpoint names the engine counts its calls under.
const (
	EndpointConnection = "connection"
	EndpointGet        = "customers/get"
	EndpointAssign     = "customers/assign"
	EndpointRegister   = "register"
)

// countingTicaga counts the calls one run makes.
type countingTicaga struct {
	Ticaga
	mu    gosync.Mutex
	calls map[string]int
}

func newCountingTicaga(t Ticaga) *countingTicaga {
	return &countingTicaga{Ticaga: t, calls: map[string]int{}}
}

func (c *countingTicaga) count(endpoint string) {
	c.mu.Lock()
	c.calls[endpoint]++
	c.mu.Unlock()
}

func (c *countingTicaga) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.calls))
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

func (c *countingTicaga) Ping(ctx context.Context) error {
	c.count(EndpointConnection)
	return c.Ticaga.Ping(ctx)
}

func (c *countingTicaga) LookupUser(ctx context.Context, id int64) (TicagaUser, error) {
	c.count(EndpointGet)
	return c.Ticaga.LookupUser(ctx, id)
}

func (c *countingTicaga) AssignBilling(ctx context.Context, a Assignment) error {
	c.count(EndpointAssign)
	return c.Ticaga.AssignBilling(ctx, a)
}

func (c *countingTicaga) CreateUser(ctx context.Context, u NewUser) (TicagaUser, error) {
	c.count(EndpointRegister)
	return c.Ticaga.CreateUser(ctx, u)
}
