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
	odd := ticagasync.TicagaUser{ID: 10, Name: strings.Repeat("é", 300), Email: "bad\xffutf8@example.com", BillingID: strings.Repeat("9", 80)}
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
}
