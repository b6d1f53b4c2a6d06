package store

import (
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func allPairings(t *testing.T, s *Store) []ticagasync.Pairing {
	t.Helper()
	var got []ticagasync.Pairing
	if err := s.EachPairing(t.Context(), func(p ticagasync.Pairing) error {
		got = append(got, p)
		return nil
	}); err != nil {
		t.Fatalf("EachPairing: %v", err)
	}
	return got
}

func TestUpsertPairingNeverRepairs(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	first := ticagasync.Pairing{TicagaUserID: 8, BillingUserID: "2", Email: "dancemike@domain.com", BillingSystem: "Blesta", CompanyID: 1}
	moved := ticagasync.Pairing{TicagaUserID: 8, BillingUserID: "2", Email: "Zoë@Exämple.com", BillingSystem: "blesta", CompanyID: 3}
	other := ticagasync.Pairing{TicagaUserID: 9, BillingUserID: "5", Email: "x@example.com", BillingSystem: "Blesta", CompanyID: 1}
	for _, p := range []ticagasync.Pairing{first, moved, other} {
		if err := s.UpsertPairing(ctx, p); err != nil {
			t.Fatalf("UpsertPairing(%+v): %v", p, err)
		}
	}
	// The same customer's row takes the new email and company.
	want := first
	want.Email, want.CompanyID = moved.Email, moved.CompanyID
	if got := allPairings(t, s); !reflect.DeepEqual(got, []ticagasync.Pairing{want, other}) {
		t.Errorf("pairings = %+v, want %+v", got, []ticagasync.Pairing{want, other})
	}
	// Another customer, or another billing system, never takes a row over.
	for _, p := range []ticagasync.Pairing{
		{TicagaUserID: 8, BillingUserID: "5", Email: "y@example.com", BillingSystem: "Blesta", CompanyID: 1},
		{TicagaUserID: 8, BillingUserID: "2", Email: "y@example.com", BillingSystem: "WHMCS", CompanyID: 1},
	} {
		if err := s.UpsertPairing(ctx, p); !errors.Is(err, ticagasync.ErrPairedElsewhere) || !strings.Contains(err.Error(), "Blesta client 2") {
			t.Errorf("UpsertPairing(%+v) = %v, want ErrPairedElsewhere naming the row", p, err)
		}
	}
	if got, ok, err := s.PairingOf(ctx, 8); err != nil || !ok || got != want {
		t.Errorf("PairingOf(8) = %+v, %v, %v; want the row untouched", got, ok, err)
	}
	if _, ok, err := s.PairingOf(ctx, 77); err != nil || ok {
		t.Errorf("PairingOf(77) = %v, %v; want none", ok, err)
	}
	second := moved
	// Same values again: still one row each, no error.
	if err := s.UpsertPairing(ctx, second); err != nil {
		t.Fatal(err)
	}
	if got := allPairings(t, s); len(got) != 2 {
		t.Errorf("%d rows after a repeated upsert", len(got))
	}
	for _, bad := range []ticagasync.Pairing{{TicagaUserID: 1 << 31}, {TicagaUserID: 1, BillingUserID: "-1"}} {
		if err := s.UpsertPairing(ctx, bad); err == nil {
			t.Errorf("UpsertPairing(%+v) accepted an id that does not fit INT", bad)
		}
	}
}

func TestEachPairingPages(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	s.pageSize = 3
	// Ids with gaps, including the plugin's default 0, over several pages.
	testdb.Exec(t, raw, "INSERT INTO ticaga_billing VALUES (0,1,'a@x','Blesta',1),(2,2,'b@x','Blesta',1),"+
		"(3,3,'c@x','Blesta',1),(7,4,'d@x','Blesta',1),(11,5,'e@x','Blesta',1),(12,6,'f@x','Blesta',1),"+
		"(40,7,'g@x','Blesta',1),(41,8,'h@x','Blesta',2)")
	var ids []int64
	for _, p := range allPairings(t, s) {
		ids = append(ids, p.TicagaUserID)
	}
	if want := []int64{0, 2, 3, 7, 11, 12, 40, 41}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ids = %v, want %v", ids, want)
	}

	// An exact multiple of the page size ends too.
	s.pageSize = 4
	if n := len(allPairings(t, s)); n != 8 {
		t.Errorf("page size 4: %d rows", n)
	}

	// fn may use the store; its error stops the walk and comes back as is.
	stop := errors.New("stop")
	seen := 0
	err := s.EachPairing(t.Context(), func(p ticagasync.Pairing) error {
		seen++
		if _, err := s.DeletePairingOf(t.Context(), p); err != nil {
			return err
		}
		if seen == 5 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 5 {
		t.Errorf("EachPairing = %v after %d rows, want stop after 5", err, seen)
	}
	if n := len(allPairings(t, s)); n != 3 {
		t.Errorf("%d rows left, want 3", n)
	}
}

func TestPairingByBillingAndDelete(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	p := ticagasync.Pairing{TicagaUserID: 8, BillingUserID: "2", Email: "a@example.com", BillingSystem: "Blesta", CompanyID: 1}
	if err := s.UpsertPairing(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, ok, err := s.PairingByBilling(ctx, "blesta", "2")
	if err != nil || !ok || got != p {
		t.Fatalf("PairingByBilling = %+v, %v, %v", got, ok, err)
	}
	if _, ok, err := s.PairingByBilling(ctx, "WHMCS", "2"); ok || err != nil {
		t.Errorf("other system: ok=%v err=%v", ok, err)
	}
	if ok, err := s.DeletePairingOf(ctx, p); err != nil || !ok {
		t.Fatalf("DeletePairingOf = %v, %v", ok, err)
	}
	if ok, err := s.DeletePairingOf(ctx, p); err != nil || ok {
		t.Errorf("deleting a missing pairing: %v, %v", ok, err)
	}
	if _, ok, err := s.PairingByBilling(ctx, "Blesta", "2"); ok || err != nil {
		t.Errorf("after delete: ok=%v err=%v", ok, err)
	}
}

// The store is safe for concurrent use: concurrent upserts lose no row,
// and EachPairing's fn may use the store while others write.
func TestConcurrentAccess(t *testing.T) {
	t.Parallel()
	base, _ := migrated(t)
	s := FromDB(base.DB())
	s.pageSize = 7
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				id := int64(g*100 + i + 1)
				if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: id, BillingUserID: ticagasync.BillingIDOf(id), BillingSystem: "Blesta"}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() {
		// fn runs after its page is read, so it may use the store.
		for range 5 {
			_ = s.EachPairing(ctx, func(p ticagasync.Pairing) error {
				_, _, err := s.PairingByBilling(ctx, "Blesta", p.BillingUserID)
				return err
			})
		}
	})
	wg.Wait()
	if n := len(allPairings(t, s)); n != 200 {
		t.Errorf("%d pairings, want 200", n)
	}
}

func TestDeletePairingOfOnlyTheSameRow(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	p := ticagasync.Pairing{TicagaUserID: 3, BillingUserID: "30", Email: "a@x", BillingSystem: "Blesta", CompanyID: 1}
	if err := s.UpsertPairing(ctx, p); err != nil {
		t.Fatal(err)
	}
	stale := p
	stale.BillingUserID = "31"
	if ok, err := s.DeletePairingOf(ctx, stale); err != nil || ok {
		t.Fatalf("DeletePairingOf(another customer) = %v, %v; want no delete", ok, err)
	}
	if ok, err := s.DeletePairingOf(ctx, p); err != nil || !ok {
		t.Fatalf("DeletePairingOf(the row) = %v, %v", ok, err)
	}
	if _, found, _ := s.PairingOf(ctx, 3); found {
		t.Fatal("the row is still there")
	}
}

// The plugin's rows may carry a system name with trailing spaces; MariaDB
// compares them equal (PAD SPACE), and so must the store.
func TestUpsertPairingTrailingSpaces(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	testdb.Exec(t, raw, "INSERT INTO ticaga_billing VALUES (5, 50, 'old@x', 'Blesta ', 1)")
	if err := s.UpsertPairing(t.Context(), ticagasync.Pairing{TicagaUserID: 5, BillingUserID: "50", Email: "new@x", BillingSystem: "blesta", CompanyID: 1}); err != nil {
		t.Fatalf("the same customer with a padded system name: %v", err)
	}
	if p, _, _ := s.PairingOf(t.Context(), 5); p.Email != "new@x" {
		t.Fatalf("row = %+v, want the email refreshed", p)
	}
}

// Billing system names compare as ticagasync.SameSystem says, in SQL as in
// Go: a row the plugin (or a person) wrote as " blesta " pairs the same
// customer as "Blesta" for every operation.
func TestPairingSystemNamesCompareAsSameSystem(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	ctx := t.Context()
	if _, err := raw.ExecContext(ctx, "INSERT INTO ticaga_billing (ticaga_userid, billing_userid, email_address, billing_system, company_id) "+
		"VALUES (7, 70, 'old@example.com', ' blesta ', 1)"); err != nil {
		t.Fatal(err)
	}
	if !ticagasync.SameSystem(" blesta ", "Blesta") {
		t.Fatal("SameSystem changed")
	}
	if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 7, BillingUserID: "70", Email: "new@example.com", BillingSystem: "Blesta", CompanyID: 1}); err != nil {
		t.Fatalf("UpsertPairing over the same customer: %v", err)
	}
	p, ok, err := s.PairingByBilling(ctx, "Blesta", "70")
	if err != nil || !ok || p.TicagaUserID != 7 || p.Email != "new@example.com" {
		t.Fatalf("PairingByBilling = %+v, %v, %v; want the row, its email refreshed", p, ok, err)
	}
	if deleted, err := s.DeletePairingOf(ctx, ticagasync.Pairing{TicagaUserID: 7, BillingUserID: "70", BillingSystem: "BLESTA"}); err != nil || !deleted {
		t.Fatalf("DeletePairingOf = %v, %v", deleted, err)
	}
}
