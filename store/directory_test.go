package store

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const target = "https://support.example.com"

func TestDirectoryRoundTrip(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	ctx := t.Context()
	users := []ticagasync.TicagaUser{
		{ID: 1, Name: "Joe Doe", Email: "joedoe@example.com", Company: "Demo Ltd", BillingID: "0", FetchedAt: at(0)},
		{ID: 8, Name: "Zoë Ångström", Email: " Zoë.Ångström@Exämple.COM ", Company: "Ñandú S.A.", BillingID: "2", BillingSystem: "Blesta", FetchedAt: at(1)},
		{ID: 9, Name: "山田太郎 🙂", Email: "山田@例え.jp", BillingID: "", FetchedAt: at(2)},
	}
	if err := s.SaveDirectoryUsers(ctx, target, users); err != nil {
		t.Fatalf("SaveDirectoryUsers: %v", err)
	}
	if err := s.SaveDirectoryUsers(ctx, "https://other.example.com", users[:1]); err != nil {
		t.Fatal(err)
	}
	got, err := s.DirectoryUsers(ctx, target)
	if err != nil {
		t.Fatalf("DirectoryUsers: %v", err)
	}
	if !reflect.DeepEqual(got, users) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, users)
	}
	keys := queryStrings(t, raw, "SELECT email_key FROM ticaga_sync_directory WHERE target = ? ORDER BY ticaga_id", target)
	var want [][]string
	for _, u := range users {
		key, _ := ticagasync.NormalizeEmail(u.Email)
		want = append(want, []string{key})
	}
	if want[1][0] != "zoë.ångström@xn--exmple-cua.com" {
		t.Fatalf("NormalizeEmail changed: %q", want[1][0])
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("email keys = %q, want %q", keys, want)
	}

	// Saving again replaces.
	users[1].Email, users[1].BillingID, users[1].FetchedAt = "new@example.com", "7", at(10)
	if err := s.SaveDirectoryUsers(ctx, target, users[1:2]); err != nil {
		t.Fatal(err)
	}
	got, _ = s.DirectoryUsers(ctx, target)
	if !reflect.DeepEqual(got, users) {
		t.Errorf("after replace:\n got %+v\nwant %+v", got, users)
	}

	// Values that do not fit are cut rather than failing the batch.
	odd := ticagasync.TicagaUser{ID: 10, Name: strings.Repeat("é", 300), Email: "bad\xffutf8@example.com", BillingID: ticagasync.BillingID(strings.Repeat("9", 80))}
	if err := s.SaveDirectoryUsers(ctx, target, []ticagasync.TicagaUser{odd}); err != nil {
		t.Fatalf("odd user: %v", err)
	}
	got, _ = s.DirectoryUsers(ctx, target)
	last := got[len(got)-1]
	if len([]rune(last.Name)) != 255 || len(last.BillingID) != 64 || last.Email != "bad\uFFFDutf8@example.com" || last.FetchedAt.IsZero() {
		t.Errorf("odd user stored as %+v", last)
	}
	if k := queryStrings(t, raw, "SELECT email_key FROM ticaga_sync_directory WHERE ticaga_id = 10"); k[0][0] != "" {
		t.Errorf("unusable address has key %q, want none", k[0][0])
	}
}

func TestDirectoryBatchesDeleteAndStats(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()

	if n, maxID, oldest, err := s.DirectoryStats(ctx, target); err != nil || n != 0 || maxID != 0 || !oldest.IsZero() {
		t.Fatalf("empty stats = %d, %d, %v, %v", n, maxID, oldest, err)
	}
	const total = 1234 // three batches
	users := make([]ticagasync.TicagaUser, total)
	for i := range users {
		users[i] = ticagasync.TicagaUser{ID: int64(i + 1), Name: fmt.Sprintf("User %d", i+1),
			Email: fmt.Sprintf("user%d@example.com", i+1), FetchedAt: at(total - i)}
	}
	if err := s.SaveDirectoryUsers(ctx, target, users); err != nil {
		t.Fatalf("SaveDirectoryUsers: %v", err)
	}
	n, maxID, oldest, err := s.DirectoryStats(ctx, target)
	if err != nil || n != total || maxID != total || !oldest.Equal(at(1)) {
		t.Fatalf("stats = %d, %d, %v, %v; want %d, %d, %v", n, maxID, oldest, err, total, total, at(1))
	}

	var gone []int64
	for id := int64(600); id <= total; id++ {
		gone = append(gone, id)
	}
	gone = append(gone, 99999) // unknown ids are ignored
	if err := s.DeleteDirectoryUsers(ctx, target, gone); err != nil {
		t.Fatalf("DeleteDirectoryUsers: %v", err)
	}
	if err := s.DeleteDirectoryUsers(ctx, target, nil); err != nil {
		t.Fatalf("DeleteDirectoryUsers(nil): %v", err)
	}
	got, err := s.DirectoryUsers(ctx, target)
	if err != nil || len(got) != 599 || got[598].ID != 599 {
		t.Fatalf("after delete: %d users, err %v", len(got), err)
	}
	if n, maxID, _, _ := s.DirectoryStats(ctx, target); n != 599 || maxID != 599 {
		t.Errorf("stats after delete = %d, %d", n, maxID)
	}
}

func TestReadsBeforeMigrationAreEmpty(t *testing.T) {
	_, dsn := testdb.Open(t)
	s, err := Open(t.Context(), dsn, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	users, err := s.DirectoryUsers(t.Context(), "https://ticaga.example")
	if err != nil || len(users) != 0 {
		t.Fatalf("DirectoryUsers = %v, %v; want empty", users, err)
	}
	n := 0
	if err := s.EachPairing(t.Context(), func(ticagasync.Pairing) error { n++; return nil }); err != nil || n != 0 {
		t.Fatalf("EachPairing = %d rows, %v; want none", n, err)
	}
	// What explain reads before the first run.
	if ds, err := s.SourceDecisions(t.Context(), "blesta"); err != nil || len(ds) != 0 {
		t.Fatalf("SourceDecisions = %v, %v; want none", ds, err)
	}
	if d, ok, err := s.DecisionFor(t.Context(), "blesta", "3"); err != nil || ok {
		t.Fatalf("DecisionFor = %+v, %v, %v; want none", d, ok, err)
	}
	if unknown, scan, err := s.DirectoryProgress(t.Context(), "https://ticaga.example"); err != nil || len(unknown) != 0 || scan != nil {
		t.Fatalf("DirectoryProgress = %v, %v, %v; want nothing", unknown, scan, err)
	}
}

func TestDirectoryProgressRoundTrip(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	ctx := t.Context()
	unknown, pos, err := s.DirectoryProgress(ctx, target)
	if err != nil || unknown != nil || pos != nil {
		t.Fatalf("empty store: %v, %v, %v", unknown, pos, err)
	}
	u17 := ticagasync.UnknownUser{ID: 17, FirstAt: at(1), LastAt: at(2), Runs: 1, LastError: "ticaga: customers/get (id 17): HTTP 500: Server Error"}
	u42 := ticagasync.UnknownUser{ID: 42, FirstAt: at(2), LastAt: at(2), Runs: 0, LastError: strings.Repeat("é", 20000)}
	p := ticagasync.ScanPosition{Next: 120, Full: true, StartedAt: at(0), SavedAt: at(3)}
	err = s.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{
		Save:    []ticagasync.TicagaUser{{ID: 1, Email: "a@example.com", FetchedAt: at(1)}, {ID: 2, Email: "b@example.com", FetchedAt: at(1)}},
		Unknown: []ticagasync.UnknownUser{u17, u42},
		Scan:    &p,
	})
	if err != nil {
		t.Fatalf("SaveDirectory: %v", err)
	}
	// Another target is separate.
	if err := s.SaveDirectory(ctx, "https://other.example.com", ticagasync.DirectoryCheckpoint{Unknown: []ticagasync.UnknownUser{u17}}); err != nil {
		t.Fatal(err)
	}
	unknown, pos, err = s.DirectoryProgress(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if len(unknown) != 2 || unknown[0] != u17 || unknown[1].ID != 42 || len([]rune(unknown[1].LastError)) != maxDetail {
		t.Errorf("unknown = %+v", unknown)
	}
	if pos == nil || *pos != p {
		t.Errorf("scan position = %+v, want %+v", pos, p)
	}

	// The next checkpoint answers 17, deletes user 2, counts a run on 42
	// and moves the scan; a final one clears the scan.
	u42.Runs, u42.LastError = 1, "timeout"
	next := p
	next.Next = 300
	err = s.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{
		Save: []ticagasync.TicagaUser{{ID: 17, Email: "c@example.com", FetchedAt: at(4)}}, Delete: []int64{2},
		Unknown: []ticagasync.UnknownUser{u42}, Answered: []int64{17}, Scan: &next,
	})
	if err != nil {
		t.Fatal(err)
	}
	unknown, pos, _ = s.DirectoryProgress(ctx, target)
	if len(unknown) != 1 || unknown[0] != u42 || pos == nil || pos.Next != 300 {
		t.Errorf("after the second checkpoint: %+v, %+v", unknown, pos)
	}
	users, _ := s.DirectoryUsers(ctx, target)
	if len(users) != 2 || users[0].ID != 1 || users[1].ID != 17 {
		t.Errorf("users = %+v", users)
	}
	if err := s.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{ScanDone: true}); err != nil {
		t.Fatal(err)
	}
	if _, pos, _ = s.DirectoryProgress(ctx, target); pos != nil {
		t.Errorf("scan position after ScanDone = %+v", pos)
	}
	if n := queryStrings(t, raw, "SELECT COUNT(*) FROM ticaga_sync_unknown WHERE target = ?", "https://other.example.com"); n[0][0] != "1" {
		t.Errorf("other target's unknown rows = %q", n)
	}
}

// A checkpoint is one transaction: when a part fails, nothing of it stays.
func TestSaveDirectoryIsAtomic(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	if _, err := raw.ExecContext(t.Context(), "DROP TABLE ticaga_sync_scan"); err != nil {
		t.Fatal(err)
	}
	p := ticagasync.ScanPosition{Next: 5}
	err := s.SaveDirectory(t.Context(), target, ticagasync.DirectoryCheckpoint{
		Save:    []ticagasync.TicagaUser{{ID: 1, Email: "a@example.com"}},
		Unknown: []ticagasync.UnknownUser{{ID: 3, LastError: "x"}}, Scan: &p,
	})
	if err == nil || !strings.Contains(err.Error(), "ticaga_sync_scan") {
		t.Fatalf("SaveDirectory = %v, want an error naming ticaga_sync_scan", err)
	}
	for _, table := range []string{"ticaga_sync_directory", "ticaga_sync_unknown"} {
		if n := queryStrings(t, raw, "SELECT COUNT(*) FROM "+table); n[0][0] != "0" {
			t.Errorf("%s has %s rows after a failed checkpoint", table, n[0][0])
		}
	}
}
