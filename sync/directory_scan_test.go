package sync

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// scanTicaga answers customers/get from a fixed set of ids, each after a
// random delay so that answers arrive out of order.
type scanTicaga struct {
	users  map[int64]bool
	broken map[int64]bool // these ids' answers are unknown
	mu     gosync.Mutex
	asked  []int64
	jitter time.Duration
}

func (s *scanTicaga) Ping(context.Context) error { return nil }

func (s *scanTicaga) AssignBilling(context.Context, Assignment) error {
	return errors.New("not in this test")
}

func (s *scanTicaga) ClearBilling(context.Context, int64, string) error {
	return errors.New("not in this test")
}

func (s *scanTicaga) CreateUser(context.Context, NewUser) (TicagaUser, error) {
	return TicagaUser{}, errors.New("not in this test")
}

func (s *scanTicaga) LookupUser(_ context.Context, id int64) (TicagaUser, error) {
	s.mu.Lock()
	s.asked = append(s.asked, id)
	s.mu.Unlock()
	time.Sleep(time.Duration(rand.Int64N(int64(s.jitter) + 1)))
	switch {
	case s.broken[id]:
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
		broken      []int64
		start       int64
		maxKnown    int64
		wantScanned int64 // the last id counted in order
		wantFound   int
		wantUnknown []int64
		wantDone    bool
		wantBroken  bool
		wantNext    int64 // where a resumed scan starts, when not wantScanned+1
	}{
		{name: "stops after the gap", users: []int64{1, 2, 5, 60}, start: 1, wantScanned: 8, wantFound: 3, wantDone: true},
		{name: "holes below the highest known id never end it", users: []int64{1, 2, 5, 60}, start: 1, maxKnown: 60, wantScanned: 63, wantFound: 4, wantDone: true},
		{name: "probing above the cache", users: []int64{41, 44}, start: 41, maxKnown: 40, wantScanned: 47, wantFound: 2, wantDone: true},
		{name: "an unknown answer is passed and remembered", users: []int64{1, 2, 3, 4, 5, 6}, broken: []int64{4}, start: 1,
			wantScanned: 9, wantFound: 5, wantUnknown: []int64{4}, wantDone: true},
		{name: "unknown answers do not end it", users: []int64{1, 2, 4, 8}, broken: []int64{3, 5, 6}, start: 1,
			wantScanned: 11, wantFound: 4, wantUnknown: []int64{3, 5, 6}, wantDone: true},
		{name: "unknown answers in a row break it off, to resume at the first", users: []int64{1, 2, 9}, broken: []int64{3, 4, 5}, start: 1, maxKnown: 9,
			wantScanned: 5, wantFound: 2, wantBroken: true, wantNext: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 20 { // different arrival orders
				fake := &scanTicaga{users: map[int64]bool{}, broken: map[int64]bool{}, jitter: time.Millisecond}
				for _, id := range tt.users {
					fake.users[id] = true
				}
				for _, id := range tt.broken {
					fake.broken[id] = true
				}
				e := &Engine{Concurrency: 4, DirectoryGap: 3, Log: zerolog.Nop()}
				e.defaults()
				rep := &Report{}
				dir := newLiveDirectory(nil)
				r, ctx := newReader(t.Context(), e, fake, dir, rep)
				end := r.scan(ctx, tt.start, tt.maxKnown, nil)
				r.close()

				found := 0
				for _, id := range tt.users {
					if _, ok, _ := dir.get(id); ok && id <= tt.wantScanned {
						found++
					}
				}
				wantNext := tt.wantNext
				if wantNext == 0 {
					wantNext = tt.wantScanned + 1
				}
				if rep.Directory.Scanned != tt.wantScanned || end.next != wantNext || found != tt.wantFound {
					t.Fatalf("scanned to %d (next %d) with %d users found; want %d and %d", rep.Directory.Scanned, end.next, found, tt.wantScanned, tt.wantFound)
				}
				if end.done != tt.wantDone || end.broken != tt.wantBroken {
					t.Fatalf("end = %+v, want done %v broken %v", end, tt.wantDone, tt.wantBroken)
				}
				// The window bounds how far past the stopping point it asks.
				for _, id := range fake.asked {
					if id > tt.wantScanned+2*int64(e.Concurrency)-1 {
						t.Fatalf("asked id %d, beyond %d + the ids in flight", id, tt.wantScanned)
					}
				}
				if got := dir.unknownIDs(); !slices.Equal(got, tt.wantUnknown) && len(got)+len(tt.wantUnknown) > 0 {
					t.Fatalf("unknown = %v, want %v", got, tt.wantUnknown)
				}
			}
		})
	}
}

// A stopped scan reports, as where to resume, the first id it has no answer
// about: every id below it was answered or is remembered as unknown.
func TestScanStoppedResumesAtFirstUnanswered(t *testing.T) {
	fake := &scanTicaga{users: map[int64]bool{}, broken: map[int64]bool{7: true}, jitter: time.Millisecond}
	for id := int64(1); id <= 100; id++ {
		fake.users[id] = true
	}
	e := &Engine{Concurrency: 4, DirectoryGap: 3, Log: zerolog.Nop()}
	e.defaults()
	for range 20 {
		ctx, cancel := context.WithCancel(t.Context())
		dir := newLiveDirectory(nil)
		r, rctx := newReader(ctx, e, fake, dir, &Report{})
		end := r.scan(rctx, 1, 0, func(next int64, _ int) {
			if next > 30 {
				cancel()
			}
		})
		r.close()
		cancel()
		if end.done || end.broken || end.next <= 30 {
			t.Fatalf("end = %+v, want stopped past 30", end)
		}
		for id := int64(1); id < end.next; id++ {
			if res, ok := dir.answer(id); !ok || (id == 7) != (res.err != nil) {
				t.Fatalf("id %d below the resume point %d has no answer (%+v, %v)", id, end.next, res, ok)
			}
		}
	}
}

// progressLog records the directory stage's progress calls.
type progressLog struct {
	NopObserver
	mu    gosync.Mutex
	calls [][2]int
}

func (p *progressLog) Progress(stage Stage, done, total int) {
	if stage == StageDirectory {
		p.mu.Lock()
		p.calls = append(p.calls, [2]int{done, total})
		p.mu.Unlock()
	}
}

// The directory stage reports ids scanned of the range when the range is
// known (ids above the start are known to exist), and no total otherwise;
// progress only grows, and ends at its total.
func TestScanProgress(t *testing.T) {
	for _, tt := range []struct {
		name            string
		users           []int64
		start, maxKnown int64
		wantTotal       int // of the last call
	}{
		{name: "range known from ticaga_billing", users: []int64{1, 2, 5, 60}, start: 1, maxKnown: 60, wantTotal: 63},
		{name: "resumed inside the known range", users: []int64{1, 2, 5, 60}, start: 10, maxKnown: 60, wantTotal: 54},
		{name: "a user past the known range extends it", users: []int64{1, 10, 12}, start: 1, maxKnown: 10, wantTotal: 15},
		{name: "range unknown on a first scan", users: []int64{1, 2, 5}, start: 1, maxKnown: 0, wantTotal: 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := &scanTicaga{users: map[int64]bool{}, broken: map[int64]bool{}}
			for _, id := range tt.users {
				fake.users[id] = true
			}
			obs := &progressLog{}
			e := &Engine{Concurrency: 4, DirectoryGap: 3, Log: zerolog.Nop(), Observer: obs}
			e.defaults()
			r, ctx := newReader(t.Context(), e, fake, newLiveDirectory(nil), &Report{})
			r.scan(ctx, tt.start, tt.maxKnown, nil)
			r.close()
			if len(obs.calls) == 0 {
				t.Fatal("no progress reported")
			}
			last := obs.calls[len(obs.calls)-1]
			if last[1] != tt.wantTotal {
				t.Fatalf("last progress %v, want total %d (calls %v)", last, tt.wantTotal, obs.calls)
			}
			if tt.wantTotal > 0 && last[0] != last[1] {
				t.Fatalf("the scan ended at %d of %d", last[0], last[1])
			}
			for i, c := range obs.calls {
				if (tt.wantTotal > 0) != (c[1] > 0) || c[0] > c[1] && c[1] > 0 || i > 0 && c[0] < obs.calls[i-1][0] {
					t.Fatalf("progress call %d = %v (calls %v)", i, c, obs.calls)
				}
			}
		})
	}
}
