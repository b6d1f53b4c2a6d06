package blesta_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// BenchmarkBlestaStream streams 20,000 clients (seeded once with the bulk
// helper; one in ten in company 2) in pages of 500, from every company and
// from company 1, and reports the cost per contact. It skips without
// TEST_MYSQL_DSN.
func BenchmarkBlestaStream(b *testing.B) {
	const n = 20_000
	sqlDB, _ := testdb.Open(b)
	ctx := b.Context()
	if err := blestatest.Create(ctx, sqlDB, true); err != nil {
		b.Fatal(err)
	}
	clients := make([]blestatest.Client, n)
	for i := range clients {
		clients[i] = blestatest.Client{
			CompanyID: int64(1 + i%10/9), // one in ten in company 2
			FirstName: fmt.Sprint("First", i),
			LastName:  "Last",
			Company:   "Company",
			Email:     fmt.Sprintf("client%d@example.com", i),
		}
	}
	if err := blestatest.AddClients(ctx, sqlDB, clients); err != nil {
		b.Fatal(err)
	}
	db := readertest.Gorm(b, sqlDB)
	b.Run("every company", func(b *testing.B) {
		benchmarkStream(b, blesta.New(db, blesta.Options{}), n)
	})
	b.Run("company 1", func(b *testing.B) {
		benchmarkStream(b, blesta.New(db, blesta.Options{CompanyIDs: []int64{1}}), n-n/10)
	})
}

func benchmarkStream(b *testing.B, r *blesta.Reader, want int) {
	b.ReportAllocs()
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	total := 0
	for b.Loop() {
		count := 0
		if err := r.EachContact(b.Context(), func(ticagasync.Contact) error { count++; return nil }); err != nil {
			b.Fatal(err)
		}
		if count != want {
			b.Fatalf("read %d contacts, want %d", count, want)
		}
		total += count
	}
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(total), "ns/contact")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(total), "allocs/contact")
}
