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
