// Package readertest holds what the billing readers' tests share: a gorm
// handle on a test database, collecting a stream, and the stream contract
// every ContactSource must keep (ascending ids, callback errors returned as
// is, cancellation).
package readertest

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"testing"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/internal/mysqlx"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Gorm wraps db (such as one from testdb.Open) in a silent gorm handle.
func Gorm(t testing.TB, db *sql.DB) *gorm.DB {
	t.Helper()
	g, err := mysqlx.Gorm(db)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// Collect returns every contact of src, failing the test on an error or when
// ids are not strictly ascending.
func Collect(t testing.TB, src ticagasync.ContactSource) []ticagasync.Contact {
	t.Helper()
	var got []ticagasync.Contact
	err := src.EachContact(t.Context(), func(c ticagasync.Contact) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: EachContact: %v", src.System(), err)
	}
	for i := 1; i < len(got); i++ {
		if ticagasync.CompareBillingIDs(got[i].BillingID, got[i-1].BillingID) <= 0 {
			t.Fatalf("%s: id %s after id %s: not strictly ascending", src.System(), got[i].BillingID, got[i-1].BillingID)
		}
	}
	return got
}

// IDs returns the BillingIDs of cs.
func IDs(cs []ticagasync.Contact) []int64 {
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = num(c.BillingID)
	}
	return ids
}

// ByID returns the contacts of cs keyed by BillingID.
func ByID(cs []ticagasync.Contact) map[int64]ticagasync.Contact {
	m := make(map[int64]ticagasync.Contact, len(cs))
	for _, c := range cs {
		m[num(c.BillingID)] = c
	}
	return m
}

// WantIDs fails the test unless cs holds exactly the ids want, in order.
func WantIDs(t testing.TB, cs []ticagasync.Contact, want ...int64) {
	t.Helper()
	if got := IDs(cs); !slices.Equal(got, want) {
		t.Fatalf("ids = %v, want %v", got, want)
	}
}

// StreamContract checks how src stops: an error from the callback stops the
// stream and comes back as is, and a cancelled context stops it with an
// error wrapping context.Canceled. src must hold at least three contacts.
func StreamContract(t *testing.T, src ticagasync.ContactSource) {
	t.Run("callback error stops the stream", func(t *testing.T) {
		stop := errors.New("stop here")
		calls := 0
		err := src.EachContact(t.Context(), func(ticagasync.Contact) error {
			if calls++; calls == 2 {
				return stop
			}
			return nil
		})
		if err != stop {
			t.Fatalf("err = %v, want the callback's error as is", err)
		}
		if calls != 2 {
			t.Fatalf("callback called %d times after failing on call 2", calls)
		}
	})
	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		calls := 0
		err := src.EachContact(ctx, func(ticagasync.Contact) error { calls++; return nil })
		if !errors.Is(err, context.Canceled) || calls != 0 {
			t.Fatalf("err = %v after %d calls, want context.Canceled after none", err, calls)
		}
	})
	t.Run("cancelled during", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		calls := 0
		err := src.EachContact(ctx, func(ticagasync.Contact) error { calls++; cancel(); return nil })
		if !errors.Is(err, context.Canceled) || calls != 1 {
			t.Fatalf("err = %v after %d calls, want context.Canceled after 1", err, calls)
		}
	})
}

// num is a database reader's numeric id (-1 when it is not a number, which
// no reader may produce).
func num(id ticagasync.BillingID) int64 {
	n, ok := id.Int()
	if !ok {
		return -1
	}
	return n
}
