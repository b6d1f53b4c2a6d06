package sync

import (
	"context"
	"fmt"
	"time"
)

// Exclusion keeps one billing customer of a source out of syncing: an
// operator's decision (ticaga-sync exclude), recorded with why, by whom and
// when. An excluded customer is never linked or created; a customer already
// linked stays linked (exclude does not unlink) but is reported excluded.
type Exclusion struct {
	Source    string    `json:"source"`
	BillingID BillingID `json:"billing_id"`
	Reason    string    `json:"reason"`
	By        string    `json:"by"`
	At        time.Time `json:"at"`
}

// String is the exclusion in one line: who, when (with its time zone) and
// why.
func (x Exclusion) String() string {
	s := fmt.Sprintf("excluded by %s at %s", x.By, x.At.Format(time.RFC3339))
	if x.Reason != "" {
		s += ": " + x.Reason
	}
	return s
}

// ExclusionStore keeps the exclusions.
type ExclusionStore interface {
	// Exclude records x, replacing an exclusion of the same customer.
	Exclude(ctx context.Context, x Exclusion) error
	// Include removes the exclusion of customer billingID of source and
	// reports whether there was one.
	Include(ctx context.Context, source string, billingID BillingID) (bool, error)
	// Exclusions returns the exclusions of source in billing id order.
	Exclusions(ctx context.Context, source string) ([]Exclusion, error)
}

// exclusionsBy returns the exclusions of the engine's source by billing id.
func (e *Engine) exclusionsBy(ctx context.Context) (map[BillingID]Exclusion, error) {
	xs, err := e.Store.Exclusions(ctx, e.Name)
	if err != nil {
		return nil, fmt.Errorf("store: read exclusions: %w", err)
	}
	m := make(map[BillingID]Exclusion, len(xs))
	for _, x := range xs {
		m[x.BillingID] = x
	}
	return m, nil
}
