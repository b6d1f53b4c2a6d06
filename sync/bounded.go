package sync

import (
	"context"
	gosync "sync"
)

// eachBounded calls fn(i) for i in [0, n) with at most limit calls running
// at once, and returns when all have returned. Once ctx is done it starts
// no more calls and passes each index not started to skipped (when not
// nil), in order.
func eachBounded(ctx context.Context, limit, n int, fn func(i int), skipped func(i int)) {
	sem := make(chan struct{}, max(limit, 1))
	var wg gosync.WaitGroup
	for i := range n {
		if ctx.Err() != nil {
			if skipped != nil {
				skipped(i)
			}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			fn(i)
		}()
	}
	wg.Wait()
}

// slotted is a Ticaga whose calls wait for one of a fixed number of slots:
// work that also does other things (store reads and writes) can run on
// more goroutines than that while the requests in flight stay bounded.
type slotted struct {
	Ticaga
	slots chan struct{}
}

// newSlotted returns api with at most n calls in flight at once.
func newSlotted(api Ticaga, n int) *slotted {
	return &slotted{Ticaga: api, slots: make(chan struct{}, max(n, 1))}
}

func (s *slotted) take() func() {
	s.slots <- struct{}{}
	return func() { <-s.slots }
}

func (s *slotted) Ping(ctx context.Context) error {
	defer s.take()()
	return s.Ticaga.Ping(ctx)
}

func (s *slotted) LookupUser(ctx context.Context, id int64) (TicagaUser, error) {
	defer s.take()()
	return s.Ticaga.LookupUser(ctx, id)
}

func (s *slotted) AssignBilling(ctx context.Context, a Assignment) error {
	defer s.take()()
	return s.Ticaga.AssignBilling(ctx, a)
}

func (s *slotted) CreateUser(ctx context.Context, u NewUser) (TicagaUser, error) {
	defer s.take()()
	return s.Ticaga.CreateUser(ctx, u)
}

func (s *slotted) ClearBilling(ctx context.Context, ticagaID int64, system string) error {
	defer s.take()()
	return s.Ticaga.ClearBilling(ctx, ticagaID, system)
}
