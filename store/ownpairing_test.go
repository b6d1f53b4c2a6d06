package store

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// TicketSource pairings (string ids) live in ticaga_sync_pairings; numeric
// ones stay in ticaga_billing; one Ticaga user is paired in one table only.
func TestStringBillingIDsUseTheDaemonsPairingTable(t *testing.T) {
	t.Parallel()
	s, db := migrated(t)
	ctx := t.Context()
	ts := ticagasync.Pairing{TicagaUserID: 5, BillingUserID: "cst-dQyWKER4Orw5glVX", Email: "a@x.example", BillingSystem: "TicketSource"}
	bl := ticagasync.Pairing{TicagaUserID: 3, BillingUserID: "17", Email: "b@x.example", BillingSystem: "Blesta", CompanyID: 1}
	for _, p := range []ticagasync.Pairing{ts, bl} {
		if err := s.UpsertPairing(ctx, p); err != nil {
			t.Fatalf("UpsertPairing(%+v): %v", p, err)
		}
	}
	var plugin, own int
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_billing").Scan(&plugin); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_sync_pairings").Scan(&own); err != nil {
		t.Fatal(err)
	}
	if plugin != 1 || own != 1 {
		t.Fatalf("ticaga_billing has %d rows, ticaga_sync_pairings %d; want 1 and 1", plugin, own)
	}
	if got := allPairings(t, s); !reflect.DeepEqual(got, []ticagasync.Pairing{bl, ts}) {
		t.Fatalf("EachPairing = %+v", got)
	}
	if got, ok, err := s.PairingOf(ctx, 5); err != nil || !ok || got != ts {
		t.Fatalf("PairingOf(5) = %+v, %v, %v", got, ok, err)
	}
	if got, ok, err := s.PairingByBilling(ctx, "ticketsource", ts.BillingUserID); err != nil || !ok || got != ts {
		t.Fatalf("PairingByBilling = %+v, %v, %v", got, ok, err)
	}
	// Neither table takes a Ticaga user the other pairs.
	if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 3, BillingUserID: "cst-other", BillingSystem: "TicketSource"}); !errors.Is(err, ticagasync.ErrPairedElsewhere) {
		t.Fatalf("a TicketSource pairing of a Ticaga user ticaga_billing pairs: %v", err)
	}
	if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 5, BillingUserID: "18", BillingSystem: "Blesta"}); !errors.Is(err, ticagasync.ErrPairedElsewhere) {
		t.Fatalf("a Blesta pairing of a Ticaga user ticaga_sync_pairings pairs: %v", err)
	}
	if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 5, BillingUserID: "cst-other", BillingSystem: "TicketSource"}); !errors.Is(err, ticagasync.ErrPairedElsewhere) {
		t.Fatalf("re-pairing a Ticaga user with another customer: %v", err)
	}

	// Recorded links: written once, remembered.
	if got, err := s.UnrecordedLinks(ctx, " ticketsource"); err != nil || !reflect.DeepEqual(got, []ticagasync.Pairing{ts}) {
		t.Fatalf("UnrecordedLinks = %+v, %v", got, err)
	}
	if err := s.MarkLinkRecorded(ctx, ts, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UnrecordedLinks(ctx, "TicketSource"); err != nil || len(got) != 0 {
		t.Fatalf("UnrecordedLinks after marking = %+v, %v", got, err)
	}
	// An upsert refreshing the row keeps the mark.
	ts.Email = "new@x.example"
	if err := s.UpsertPairing(ctx, ts); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UnrecordedLinks(ctx, "TicketSource"); len(got) != 0 {
		t.Fatalf("an upsert cleared the mark: %+v", got)
	}
	if ok, err := s.DeletePairingOf(ctx, ts); err != nil || !ok {
		t.Fatalf("DeletePairingOf = %v, %v", ok, err)
	}
	if _, ok, _ := s.PairingOf(ctx, 5); ok {
		t.Fatal("the pairing is still there")
	}
}

// Decisions keep string ids, and numeric ones still sort as numbers.
func TestDecisionsWithStringAndNumericIDs(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	var open []ticagasync.Decision
	for _, id := range []ticagasync.BillingID{"10", "9", "cst-b", "cst-a", "100"} {
		open = append(open, ticagasync.Decision{Contact: ticagasync.Contact{BillingID: id, Email: "x@example.com"}, Action: ticagasync.ActionNoMatch, Reason: ticagasync.ReasonNoTicagaUser})
	}
	if err := s.ReplaceDecisions(ctx, "src", 1, slices.Values(open), nil, at(0)); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceDecisions(ctx, "src")
	if err != nil {
		t.Fatal(err)
	}
	var ids []ticagasync.BillingID
	for _, d := range got {
		ids = append(ids, d.BillingID)
	}
	if want := []ticagasync.BillingID{"9", "10", "100", "cst-a", "cst-b"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("SourceDecisions order = %v, want %v", ids, want)
	}
	if d, ok, err := s.DecisionFor(ctx, "src", "cst-a"); err != nil || !ok || d.BillingID != "cst-a" {
		t.Fatalf("DecisionFor(cst-a) = %+v, %v, %v", d, ok, err)
	}
	if err := s.ReplaceDecisions(ctx, "src", 2, slices.Values(open[:1]), []ticagasync.BillingID{"10", "cst-a"}, at(1)); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.DecisionFor(ctx, "src", "cst-a"); ok {
		t.Fatal("cst-a, in scope and not open, was kept")
	}
	if _, ok, _ := s.DecisionFor(ctx, "src", "cst-b"); !ok {
		t.Fatal("cst-b, outside the scope, was dropped")
	}
}
