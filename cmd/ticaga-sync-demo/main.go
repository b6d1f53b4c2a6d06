// Command ticaga-sync-demo runs ticaga-sync's real engine end to end against
// an in-process MySQL server (go-mysql-server) holding a Blesta-shaped
// company and a fake Ticaga on loopback: a dry run, a run, and a second run
// that has nothing left to do; then a TicketSource source beside it, read
// from a fake TicketSource API on loopback, whose links are noted on the
// TicketSource customers. Only Go is needed:
//
//	go run ./cmd/ticaga-sync-demo
//
// It is a program of its own so that the production binary does not link
// the embedded database server. LOG_LEVEL and LOG_FORMAT are read from the
// environment; every other setting is the demo's own.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"text/tabwriter"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/ticketsource/ticketsourcetest"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/memdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const demoToken = "demo-token-not-a-secret"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := demo(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv)
	stop()
	os.Exit(code)
}

// demo runs the demo and returns the exit code: 0 when every step ran, 1
// when one failed, 2 on a usage error.
func demo(ctx context.Context, args []string, w, stderr io.Writer, getenv func(string) (string, bool)) int {
	fs := flag.NewFlagSet("ticaga-sync-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: go run ./cmd/ticaga-sync-demo\n\nRuns the real engine against an embedded database and a fake Ticaga.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return daemon.ExitOK
		}
		return daemon.ExitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "ticaga-sync-demo: unexpected argument %q\n", fs.Arg(0))
		return daemon.ExitUsage
	}
	fail := func(what string, err error) int {
		fmt.Fprintf(stderr, "ticaga-sync demo: %s: %s\n", what, daemon.OneLine(err))
		return daemon.ExitFailed
	}

	db, err := memdb.Start("blesta")
	if err != nil {
		return fail("start the embedded database", err)
	}
	defer db.Close()
	fake := ticagatest.New(ticagatest.Options{Token: demoToken})
	defer fake.Close()

	conn, err := sql.Open("mysql", db.DSN())
	if err != nil {
		return fail("open the embedded database", err)
	}
	defer conn.Close()
	if err := seedDemo(ctx, conn, fake); err != nil {
		return fail("seed the sample company", err)
	}

	ts, err := ticketsourcetest.New(ticketsourcetest.Options{Key: demoKey})
	if err != nil {
		return fail("start the fake TicketSource", err)
	}
	defer ts.Close()
	seedTicketSource(ts)

	// The same configuration path as production: a sources file with the
	// Blesta company and the TicketSource account, sharing one Ticaga and
	// one store. SYNC_CONCURRENCY=1 keeps one Ticaga request in flight, so
	// the counts of API calls are the same every time.
	dir, err := os.MkdirTemp("", "ticaga-sync-demo")
	if err != nil {
		return fail("make a temporary directory", err)
	}
	defer os.RemoveAll(dir)
	sources := filepath.Join(dir, "sources.toml")
	toml := fmt.Sprintf(`TICAGA_URL = %q
TICAGA_API_TOKEN = %q
TICAGA_DIRECTORY_GAP = "10"
SYNC_CONCURRENCY = "1"
LOG_LEVEL = "warn"
CONTROL_SOCKET = ""
HTTP_ADDR = ""

[[source]]
name = "blesta"
BILLING_SYSTEM = "blesta"
BILLING_DSN = %q
BILLING_COMPANY_ID = "1"

[[source]]
name = "tickets"
BILLING_SYSTEM = "ticketsource"
STORE_DSN = %q
TICKETSOURCE_URL = %q
TICKETSOURCE_API_KEY = %q
`, fake.URL(), demoToken, db.DSN(), db.DSN(), ts.URL(), demoKey)
	if err := os.WriteFile(sources, []byte(toml), 0o600); err != nil {
		return fail("write the sources file", err)
	}
	d, err := daemon.Load(ctx, sources, func(k string) (string, bool) {
		if v, ok := getenv(k); ok && (k == "LOG_LEVEL" || k == "LOG_FORMAT") {
			return v, true
		}
		return "", false
	})
	if err != nil {
		return fail("configuration", err)
	}
	// The sources are wired exactly as the daemon wires them.
	a, err := daemon.Open(ctx, d, daemon.Options{Log: daemon.NewLogger(d, stderr)})
	if err != nil {
		return fail("open", err)
	}
	defer a.Close()
	src, tickets := a.Sources()[0], a.Sources()[1]
	for _, s := range a.Sources() {
		if s.Problem() != nil {
			return fail("wire the source "+s.Name(), s.Problem())
		}
	}
	// go-mysql-server's memory tables lose rows written by one connection
	// while another reads or writes the same table: the store gets a single
	// connection, so its statements run one at a time (its run lock keeps a
	// connection of its own).
	storeDB, err := src.Store().DB().DB()
	if err != nil {
		return fail("open the store", err)
	}
	storeDB.SetMaxOpenConns(1)
	if err := src.Store().Migrate(ctx); err != nil {
		return fail("migrate", err)
	}
	// One customer was linked by hand through the Blesta plugin earlier.
	if err := src.Store().UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 1, BillingUserID: "1", Email: "olivia@northwind.example", BillingSystem: "Blesta", CompanyID: 1}); err != nil {
		return fail("seed the plugin's pairing", err)
	}

	fmt.Fprintf(w, "ticaga-sync demo: a Blesta company in an embedded MySQL server (%s)\n", db.DSN())
	fmt.Fprintf(w, "and a fake Ticaga at %s with %d users.\n\n", fake.URL(), len(fake.Users()))

	steps := []struct {
		title string
		opt   ticagasync.RunOptions
	}{
		{"1. Preview: ticaga-sync sync --dry-run", ticagasync.RunOptions{DryRun: true}},
		{"2. Sync: ticaga-sync sync", ticagasync.RunOptions{}},
		{"3. Sync again, nothing changed: no customers/assign call", ticagasync.RunOptions{}},
	}
	for _, s := range steps {
		fmt.Fprintf(w, "== %s\n", s.title)
		rep, err := src.Engine().Run(ctx, s.opt)
		if rep != nil {
			daemon.WriteTextReport(w, rep)
		}
		if err != nil {
			return fail("run", err)
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "== ticaga_billing (what the Blesta plugin now reads)")
	if err := printPairings(ctx, w, conn); err != nil {
		return fail("read ticaga_billing", err)
	}
	fmt.Fprintln(w, "\n== Ticaga users carrying a billing id")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TICAGA ID\tEMAIL\tBILLING ID\tSYSTEM")
	for _, u := range fake.Users() {
		if u.BillingID != "" && u.BillingID != "0" {
			fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", u.ID, u.Email, u.BillingID, u.BillingSystem)
		}
	}
	tw.Flush()

	fmt.Fprintf(w, "\n== 4. A TicketSource source beside it (a fake TicketSource API at %s, 4 customers)\n", ts.URL())
	for _, s := range []struct {
		title string
		opt   ticagasync.RunOptions
	}{{"Preview", ticagasync.RunOptions{DryRun: true}}, {"Sync", ticagasync.RunOptions{}}, {"Sync again", ticagasync.RunOptions{}}} {
		fmt.Fprintf(w, "-- %s\n", s.title)
		rep, err := tickets.Engine().Run(ctx, s.opt)
		if rep != nil {
			daemon.WriteTextReport(w, rep)
		}
		if err != nil {
			return fail("run", err)
		}
	}
	fmt.Fprintln(w, "\n== Notes on the TicketSource customers (one per link, written once)")
	for _, id := range []string{"cst-demo1", "cst-demo2", "cst-demo3", "cst-demo4"} {
		for _, n := range ts.Notes(id) {
			fmt.Fprintf(w, "  %s  %s: %s\n", id, n.CreatedBy, n.Description)
		}
	}
	fmt.Fprintln(w, "\nEvery step above ran the production code: config loading, the Blesta reader, the TicketSource")
	fmt.Fprintln(w, "client, the store and its GET_LOCK run lock over the MySQL protocol, and the Ticaga client over HTTP.")
	return daemon.ExitOK
}

const demoKey = "skl-demo-key-not-a-secret"

// seedTicketSource adds the TicketSource customers: one with a Ticaga
// account (linked, noted), one without (no match), one without email
// (invalid_email), one whose Ticaga user the Blesta source links (conflict).
func seedTicketSource(ts *ticketsourcetest.Server) {
	for _, c := range []struct{ id, first, last, email string }{
		{"cst-demo1", "Sofia", "Reyes", "sofia@reyes.example"},
		{"cst-demo2", "Ken", "Ito", "ken@ito.example"},
		{"cst-demo3", "No", "Email", ""},
		{"cst-demo4", "Liam", "Novak", "liam@novak.example"},
	} {
		cu := ticketsourcetest.Customer{ID: c.id, FirstName: c.first, LastName: c.last}
		if c.email != "" {
			e := c.email
			cu.Email = &e
		}
		ts.AddCustomer(cu)
	}
}

func printPairings(ctx context.Context, w io.Writer, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, "SELECT ticaga_userid, billing_userid, email_address, billing_system, company_id FROM ticaga_billing ORDER BY billing_userid")
	if err != nil {
		return err
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  TICAGA USER\tBILLING CLIENT\tEMAIL\tSYSTEM\tCOMPANY")
	for rows.Next() {
		var tid, bid, company int64
		var email, system string
		if err := rows.Scan(&tid, &bid, &email, &system, &company); err != nil {
			return err
		}
		fmt.Fprintf(tw, "  %d\t%d\t%s\t%s\t%d\n", tid, bid, email, system, company)
	}
	tw.Flush()
	return rows.Err()
}

// seedDemo creates the Blesta tables with a sample company and the Ticaga
// users, one story per customer.
func seedDemo(ctx context.Context, db *sql.DB, fake *ticagatest.Server) error {
	if err := blestatest.Create(ctx, db, false); err != nil {
		return err
	}
	clients := []blestatest.Client{
		{ID: 1, FirstName: "Olivia", LastName: "Hart", Company: "Northwind", Email: "olivia@northwind.example"}, // linked by hand earlier
		{ID: 2, FirstName: "Liam", LastName: "Novak", Email: "liam@novak.example"},
		{ID: 3, FirstName: "Zoë", LastName: "Ångström", Company: "Fjord AB", Email: "  Zoe@Fjord.example "},
		{ID: 4, FirstName: "Mateo", LastName: "Rossi", Email: "mateo@rossi.example"},
		{ID: 5, FirstName: "Aisha", LastName: "Khan", Email: "billing@acme.example"},
		{ID: 6, FirstName: "Noah", LastName: "Berg", Email: "billing@ACME.example"},  // same email as 5
		{ID: 7, FirstName: "Mia", LastName: "Chen", Email: "mia@chen.example"},       // two Ticaga users
		{ID: 8, FirstName: "Lucas", LastName: "Weber", Email: "lucas@weber.example"}, // Ticaga user has another id
		{ID: 9, FirstName: "Emma", LastName: "Dubois", Email: "emma.dubois.example"}, // typo: no @
		{ID: 10, FirstName: "Yuki", LastName: "Tanaka", Email: "yuki@tanaka.example"},
		{ID: 11, FirstName: "Omar", LastName: "Haddad", Email: "omar@haddad.example"}, // no Ticaga account
		{ID: 12, Status: "inactive", FirstName: "Ines", LastName: "Costa", Email: "ines@costa.example"},
		{ID: 13, CompanyID: 2, FirstName: "Pavel", LastName: "Sokol", Email: "pavel@sokol.example"},
		{ID: 14, FirstName: "Hana", LastName: "Sato", NoPrimaryContact: true},
		{ID: 15, FirstName: "Ethan", LastName: "Walsh", Email: "ethan@walsh.example"},
	}
	if err := blestatest.AddClients(ctx, db, clients); err != nil {
		return err
	}
	users := []ticagatest.User{
		{ID: 1, Name: "Olivia Hart", Email: "olivia@northwind.example", BillingID: "1", BillingSystem: "Blesta"},
		{ID: 2, Name: "Liam Novak", Email: "liam@novak.example", BillingID: "0"},
		{ID: 3, Name: "Zoë Ångström", Email: "zoe@fjord.example"},
		{ID: 4, Name: "Mateo Rossi", Email: "Mateo@Rossi.example"},
		{ID: 5, Name: "Acme billing", Email: "billing@acme.example"},
		{ID: 6, Name: "Mia Chen", Email: "mia@chen.example"},
		{ID: 7, Name: "Mia Chen (old)", Email: "MIA@chen.example"},
		{ID: 8, Name: "Lucas Weber", Email: "lucas@weber.example", BillingID: "77", BillingSystem: "WHMCS"},
		{ID: 11, Name: "Yuki Tanaka", Email: "yuki@tanaka.example"}, // ids 9-10 were deleted
		{ID: 12, Name: "Ines Costa", Email: "ines@costa.example"},
		{ID: 14, Name: "Ethan Walsh", Email: "ethan@walsh.example", BillingID: strconv.Itoa(15), BillingSystem: "blesta"},
		{ID: 15, Name: "Sofia Reyes", Email: "sofia@reyes.example"}, // a TicketSource customer
	}
	for _, u := range users {
		fake.AddUser(u)
	}
	return nil
}
