package sync_test

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/sync/synctest"
	"github.com/ticaga/ticaga-sync/ticaga"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const token = "tok-engine-test-4f1d"

// harness is a Blesta database on a real MariaDB, the store in the same
// database, the fake Ticaga on loopback and the real client: every part of a
// run as in production.
type harness struct {
	t     *testing.T
	db    *sql.DB
	dsn   string
	store ticagasync.Store
	// contacts, when set, is the in-memory billing source (newMemHarness):
	// store is then a synctest.Store and db is nil.
	contacts *synctest.Contacts
	lastID   int64 // the last in-memory client id handed out
	fake     *ticagatest.Server
	engine   *ticagasync.Engine
}

// newMemHarness is newHarness on the in-memory store and contact list: the
// same engine, client and fake Ticaga, no database.
func newMemHarness(t *testing.T) *harness {
	t.Helper()
	fake := ticagatest.New(ticagatest.Options{Token: token})
	t.Cleanup(fake.Close)
	h := &harness{t: t, store: &synctest.Store{}, contacts: &synctest.Contacts{}, fake: fake}
	h.engine = h.newEngine(token)
	return h
}

// sqlStore returns the MariaDB store, for what only it has (run history).
func (h *harness) sqlStore() *store.Store {
	h.t.Helper()
	st, ok := h.store.(*store.Store)
	if !ok {
		h.t.Fatal("this test needs the MariaDB store")
	}
	return st
}

// eachStore runs body on the MariaDB harness and on the in-memory one: the
// engine's rules hold on both stores (the MariaDB run skips without
// TEST_MYSQL_DSN, unless TEST_REQUIRE_MYSQL is set).
func eachStore(t *testing.T, body func(t *testing.T, h *harness)) {
	t.Run("mariadb", func(t *testing.T) { body(t, newHarness(t)) })
	t.Run("memory", func(t *testing.T) { body(t, newMemHarness(t)) })
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	ctx := t.Context()
	db, dsn := testdb.Open(t)
	if err := blestatest.Create(ctx, db, false); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, dsn, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	fake := ticagatest.New(ticagatest.Options{Token: token})
	t.Cleanup(fake.Close)

	h := &harness{t: t, db: db, dsn: dsn, store: st, fake: fake}
	h.engine = h.newEngine(token)
	return h
}

// newEngine builds an engine whose client presents tok.
func (h *harness) newEngine(tok string) *ticagasync.Engine {
	h.t.Helper()
	client, err := ticaga.New(ticaga.Config{
		BaseURL: h.fake.URL(), Token: ticaga.Secret(tok), Timeout: 5 * time.Second,
		MaxRetries: 1, Logger: zerolog.Nop(),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	var src ticagasync.ContactSource = h.contacts
	if h.contacts == nil {
		gdb, err := billing.OpenDB(h.dsn)
		if err != nil {
			h.t.Fatal(err)
		}
		h.t.Cleanup(func() {
			if sqlDB, err := gdb.DB(); err == nil {
				sqlDB.Close()
			}
		})
		src, err = billing.Open("blesta", gdb, billing.Options{CompanyIDs: []int64{1}, PageSize: 7})
		if err != nil {
			h.t.Fatal(err)
		}
	}
	e, err := ticagasync.New(ticagasync.Engine{
		Name: "blesta", Target: h.fake.URL(), System: "Blesta",
		Source: src, Ticaga: client, Store: h.store,
		Concurrency: 4, DirectoryGap: 5, Revalidate: 200, Log: zerolog.Nop(),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// client adds a Blesta client (company 1, active unless said otherwise).
func (h *harness) client(c blestatest.Client) int64 {
	h.t.Helper()
	if c.CompanyID == 0 {
		c.CompanyID = 1
	}
	if c.Status == "" {
		c.Status = "active"
	}
	if c.FirstName == "" {
		c.FirstName, c.LastName = "Test", "Client"
	}
	if h.contacts != nil {
		return h.memClient(c)
	}
	id, err := blestatest.AddClient(h.t.Context(), h.db, c)
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

// memClient adds c to the in-memory source as the Blesta reader would read
// it: only active clients of company 1, and a client without a primary
// contact as a row with a problem. Ids count up from 1 like the table's.
func (h *harness) memClient(c blestatest.Client) int64 {
	id := c.ID
	if id == 0 {
		id = h.lastID + 1
	}
	h.lastID = max(h.lastID, id)
	if c.Status != "active" || c.CompanyID != 1 {
		return id
	}
	x := ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), CompanyID: 1, Email: c.Email, FirstName: c.FirstName, LastName: c.LastName,
		Company: c.Company, Status: c.Status}
	if c.NoPrimaryContact {
		x = ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), CompanyID: 1, Status: c.Status, Problem: "no primary contact"}
	}
	h.contacts.List = append(h.contacts.List, x)
	return id
}

func (h *harness) user(email, billingID, system string) int64 {
	return h.fake.AddUser(ticagatest.User{Name: "User " + email, Email: email, BillingID: billingID, BillingSystem: system})
}

func (h *harness) run(opt ticagasync.RunOptions) (*ticagasync.Report, error) {
	h.t.Helper()
	return h.engine.Run(h.t.Context(), opt)
}

func (h *harness) mustRun(opt ticagasync.RunOptions) *ticagasync.Report {
	h.t.Helper()
	rep, err := h.run(opt)
	if err != nil {
		h.t.Fatalf("run: %v", err)
	}
	return rep
}

// pairings returns ticaga_billing as ticaga_userid -> billing_userid.
func (h *harness) pairings() map[int64]int64 {
	h.t.Helper()
	out := map[int64]int64{}
	err := h.store.EachPairing(h.t.Context(), func(p ticagasync.Pairing) error {
		out[p.TicagaUserID] = bid(p.BillingUserID)
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// count returns SELECT COUNT(*) FROM table.
func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// billingIDs returns each fake Ticaga user's billing id.
func (h *harness) billingIDs() map[int64]string {
	out := map[int64]string{}
	for _, u := range h.fake.Users() {
		out[u.ID] = u.BillingID
	}
	return out
}

func decisionFor(rep *ticagasync.Report, billingID int64) ticagasync.Decision {
	for d := range rep.All() {
		if d.Contact.BillingID == ticagasync.BillingIDOf(billingID) {
			return d
		}
	}
	return ticagasync.Decision{}
}

// dump returns every row of table, in primary key order, as text.
func (h *harness) dump(table string) string {
	h.t.Helper()
	rows, err := h.db.QueryContext(context.Background(), "SELECT * FROM "+table+" ORDER BY 1, 2")
	if err != nil {
		h.t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var b strings.Builder
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			h.t.Fatal(err)
		}
		for _, v := range vals {
			b.Write(v)
			b.WriteByte('|')
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// bid is a numeric billing id as a number (-1 when it is not one).
func bid(id ticagasync.BillingID) int64 {
	n, ok := id.Int()
	if !ok {
		return -1
	}
	return n
}

// bids are numeric billing ids.
func bids(ids ...int64) []ticagasync.BillingID {
	out := make([]ticagasync.BillingID, len(ids))
	for i, id := range ids {
		out[i] = ticagasync.BillingIDOf(id)
	}
	return out
}
