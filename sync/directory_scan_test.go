package sync

import (
	"context"
	"errors"
	"math/rand/v2"
	gosync "sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// scanTicaga answers customers/get from a fixed set of ids, each after a
// random delay so that answers arrive out of order.
type scanTicaga struct {
	users  map[int64]bool
	broken int64 // this id's answer is unknown
	mu     gosync.Mutex
	asked  []int64
	jitter time.Duration
}

func (s *scanTicaga) Ping(context.Context) error { return nil }

func (s *scanTicaga) AssignBilling(context.Context, Assignment) error {
	return errors.New("not in this test")
}

func (s *scanTicaga) LookupUser(_ context.Context, id int64) (TicagaUser, error) {
	s.mu.Lock()
	s.asked = append(s.asked, id)
	s.mu.Unlock()
	time.Sleep(time.Duration(rand.Int64N(int64(s.jitter) + 1)))
	switch {
	case id == s.broken:
		return TicagaUser{}, errors.New("HTTP 502")
	case s.users[id]:
		return TicagaUser{ID: id, Email: "u@example.com"}, nil
	}
	return TicagaUser{}, ErrNotFound
}

func TestScan(t *testing.T) {
	tests := []struct {
		name        string
		users       []int64
		broken      int64
		start       int64
		maxKnown    int64
		wantScanned int64 // the last id counted in order
		wantFound   int
		wantUnknown int64
	}{
		{name: "stops after the gap", users: []int64{1, 2, 5, 60}, start: 1, wantScanned: 8, wantFound: 3},
		{name: "holes below the highest known id never end it", users: []int64{1, 2, 5, 60}, start: 1, maxKnown: 60, wantScanned: 63, wantFound: 4},
		{name: "probing above the cache", users: []int64{41, 44}, start: 41, maxKnown: 40, wantScanned: 47, wantFound: 2},
		{name: "an unknown answer stops it", users: []int64{1, 2, 3, 4, 5, 6}, broken: 4, start: 1, wantScanned: 4, wantFound: 3, wantUnknown: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // different arrival orders
				fake := &scanTicaga{users: map[int64]bool{}, broken: tt.broken, jitter: time.Millisecond}
				for _, id := range tt.users {
					fake.users[id] = true
				}
				e := &Engine{Concurrency: 4, DirectoryGap: 3, Log: zerolog.Nop()}
				e.defaults()
				rep := &Report{}
				dir := newLiveDirectory(nil)
				unknown := e.scan(t.Context(), fake, dir, rep, tt.start, tt.maxKnown)

				found := 0
				for _, id := range tt.users {
					if _, ok, _ := dir.get(id); ok && id <= tt.wantScanned {
						found++
					}
				}
				if rep.Directory.Scanned < tt.wantScanned || found != tt.wantFound {
					t.Fatalf("scanned to %d with %d users found; want %d and %d", rep.Directory.Scanned, found, tt.wantScanned, tt.wantFound)
				}
				// The window bounds how far past the stopping point it asks.
				for _, id := range fake.asked {
					if id > tt.wantScanned+2*int64(e.Concurrency)-1 {
						t.Fatalf("asked id %d, beyond %d + the ids in flight", id, tt.wantScanned)
					}
				}
				if (tt.wantUnknown != 0) != (len(unknown) > 0) || (len(unknown) > 0 && unknown[0].id != tt.wantUnknown) {
					t.Fatalf("unknown = %+v, want id %d", unknown, tt.wantUnknown)
				}
			}
		})
	}
}
