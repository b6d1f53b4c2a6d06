package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/ticketsource/ticketsourcetest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const tsKey = "skl-cmd-test-SECRET-41"

// tsWorld is several hundred TicketSource customers over several pages and
// a fake Ticaga, with the store on MariaDB.
type tsWorld struct {
	env    map[string]string
	ts     *ticketsourcetest.Server
	ticaga *ticagatest.Server
	// links are the customers the planner's rules link: customer id ->
	// Ticaga id.
	links map[string]int64
	// open are the customers that are not linked, with their action/reason.
	open map[string]string
}

// newTSWorld builds 350 customers (4 pages of 100). Customer i:
//   - i%50 == 0: no email (invalid_email);
//   - i%3 == 0: has a Ticaga user with its email (link), except
//   - i%21 == 0: that Ticaga user carries another billing id (conflict);
//   - i == 7 and i == 8 share an email, which a Ticaga user has (conflict);
//   - the others have no Ticaga user (no_match).
func newTSWorld(t *testing.T) *tsWorld {
	t.Helper()
	_, dsn := testdb.Open(t)
	ts, err := ticketsourcetest.New(ticketsourcetest.Options{Key: tsKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	fake := ticagatest.New(ticagatest.Options{Token: testToken})
	t.Cleanup(fake.Close)
	w := &tsWorld{ts: ts, ticaga: fake, links: map[string]int64{}, open: map[string]string{}}
	for i := 1; i <= 350; i++ {
		id := fmt.Sprintf("cst-%06dX", i)
		email := fmt.Sprintf("c%d@ts.example", i)
		if i == 8 {
			email = "c7@ts.example"
		}
		c := ticketsourcetest.Customer{ID: id, FirstName: "C", LastName: fmt.Sprint(i), Email: &email}
		switch {
		case i%50 == 0:
			c.Email = nil
			w.open[id] = "invalid_email/bad_billing_row"
		case i == 7 || i == 8:
			w.open[id] = "conflict/duplicate_billing_email"
		case i%21 == 0:
			fake.AddUser(ticagatest.User{Name: "U", Email: email, BillingID: "77", BillingSystem: "WHMCS"})
			w.open[id] = "conflict/ticaga_user_has_other_billing_system"
		case i%3 == 0:
			w.links[id] = fake.AddUser(ticagatest.User{Name: "U", Email: strings.ToUpper(email)})
		default:
			w.open[id] = "no_match/no_ticaga_user"
		}
		ts.AddCustomer(c)
	}
	fake.AddUser(ticagatest.User{Name: "Seven", Email: "c7@ts.example"})
	w.env = map[string]string{
		"BILLING_SYSTEM": "ticketsource", "STORE_DSN": dsn,
		"TICKETSOURCE_URL": ts.URL(), "TICKETSOURCE_API_KEY": tsKey,
		"TICAGA_URL": fake.URL(), "TICAGA_API_TOKEN": testToken, "TICAGA_DIRECTORY_GAP": "5",
		"LOG_FORMAT": "json", "LOG_LEVEL": "info", "CONTROL_SOCKET": filepath.Join(t.TempDir(), "control.sock"),
	}
	return w
}

func (w *tsWorld) sync(t *testing.T, args ...string) jsonReport {
	t.Helper()
	code, out, stderr := runMain(t, w.env, append([]string{"sync", "--output", "json"}, args...)...)
	if code != exitOK {
		t.Fatalf("sync %v: exit %d\nstdout: %s\nstderr: %s", args, code, out, stderr)
	}
	if strings.Contains(out+stderr, tsKey) || strings.Contains(out+stderr, testToken) {
		t.Fatal("a secret appears in the output or the logs")
	}
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("sync output is not one JSON report: %v\n%s", err, out)
	}
	return rep
}

// jsonReport is the part of `sync --output json` the test reads.
type jsonReport struct {
	Counts    map[string]int `json:"counts"`
	DryRun    bool           `json:"dry_run"`
	LinkNotes *struct {
		Written int `json:"written"`
		Failed  int `json:"failed"`
	} `json:"link_notes"`
	Decisions []struct {
		BillingID json.RawMessage `json:"billing_id"`
		TicagaID  *int64          `json:"ticaga_id"`
		Action    string          `json:"action"`
		Reason    string          `json:"reason"`
		Detail    string          `json:"detail"`
	} `json:"decisions"`
}

func TestTicketSourceSyncLinksNotesOnceAndIsIdempotent(t *testing.T) {
	w := newTSWorld(t)
	if len(w.links) < 90 {
		t.Fatalf("the world links only %d customers", len(w.links))
	}

	// A dry run: the plan, no assign, no note, no pairing.
	dry := w.sync(t, "--dry-run")
	if !dry.DryRun || dry.Counts["linked"] != len(w.links) || w.ticaga.Calls("customers/assign") != 0 || len(w.ts.AllNotes()) != 0 {
		t.Fatalf("dry run: counts %v, %d assign calls, notes %v", dry.Counts, w.ticaga.Calls("customers/assign"), w.ts.AllNotes())
	}
	if pages := w.ts.Calls("GET /customers"); pages != 4+1 { // 4 pages and check's one-customer page
		t.Fatalf("GET /customers calls = %d, want 5 (4 pages of 100 and the preflight)", pages)
	}

	rep := w.sync(t)
	got := map[string]int64{}
	gotOpen := map[string]string{}
	for _, d := range rep.Decisions {
		var id string
		if err := json.Unmarshal(d.BillingID, &id); err != nil {
			t.Fatalf("billing_id %s is not a JSON string", d.BillingID)
		}
		if d.Action == "link" {
			got[id] = *d.TicagaID
		} else {
			gotOpen[id] = d.Action + "/" + d.Reason
		}
	}
	if !maps.Equal(got, w.links) {
		t.Fatalf("linked %d customers, want exactly the %d the rules select", len(got), len(w.links))
	}
	if !maps.Equal(gotOpen, w.open) {
		for id, want := range w.open {
			if gotOpen[id] != want {
				t.Errorf("%s: %s, want %s", id, gotOpen[id], want)
			}
		}
		t.FailNow()
	}
	if rep.LinkNotes == nil || rep.LinkNotes.Written != len(w.links) || rep.LinkNotes.Failed != 0 {
		t.Fatalf("link_notes = %+v, want %d written", rep.LinkNotes, len(w.links))
	}
	// Ticaga carries each customer's TicketSource id; one note per link,
	// naming the Ticaga user, by ticaga-sync.
	assigned := map[string]int64{}
	for _, a := range w.ticaga.Assignments() {
		if a.BillingSystem != "TicketSource" {
			t.Fatalf("assignment %+v: billing_system is not TicketSource", a)
		}
		assigned[a.BillingID] = a.TicagaID
	}
	if !maps.Equal(assigned, w.links) {
		t.Fatalf("customers/assign calls = %d, want one per link (%d)", len(assigned), len(w.links))
	}
	notes := w.ts.AllNotes()
	for id, ticagaID := range w.links {
		ns := w.ts.Notes(id)
		if len(ns) != 1 || ns[0].CreatedBy != "ticaga-sync" || !strings.Contains(ns[0].Description, fmt.Sprintf("Ticaga user %d ", ticagaID)) {
			t.Fatalf("notes of %s = %+v, want one by ticaga-sync naming Ticaga user %d", id, ns, ticagaID)
		}
	}
	if len(notes) != len(w.links) {
		t.Fatalf("%d customers have notes, want %d", len(notes), len(w.links))
	}

	// The second run: already linked, no assign call, no note.
	assigns, posts := w.ticaga.Calls("customers/assign"), w.ts.Calls("POST /customers/{id}/notes")
	again := w.sync(t)
	if again.Counts["already_linked"] != len(w.links) || again.Counts["linked"] != 0 ||
		w.ticaga.Calls("customers/assign") != assigns || w.ts.Calls("POST /customers/{id}/notes") != posts {
		t.Fatalf("second run: counts %v, assign calls %d -> %d, note posts %d -> %d", again.Counts,
			assigns, w.ticaga.Calls("customers/assign"), posts, w.ts.Calls("POST /customers/{id}/notes"))
	}

	// explain and status name TicketSource ids.
	some := slices.Sorted(maps.Keys(w.links))[0]
	code, out, stderr := runMain(t, w.env, "explain", "--client", some)
	if code != exitOK || !strings.Contains(out, "Client "+some) || !strings.Contains(out, "TicketSource client "+some) {
		t.Fatalf("explain --client %s: exit %d\n%s%s", some, code, out, stderr)
	}
	if code, out, _ := runMain(t, w.env, "status"); code != exitOK || !strings.Contains(out, "client cst-000050X") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
}

func TestTicketSourceNoteRepairedOnceAfterACrash(t *testing.T) {
	w := newTSWorld(t)
	w.sync(t)
	// A crash after the note was posted but before it was marked: the next
	// run finds the note and writes no second one.
	store, err := sql.Open("mysql", w.env["STORE_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, err := store.Exec("UPDATE ticaga_sync_pairings SET recorded_at = NULL"); err != nil {
		t.Fatal(err)
	}
	posts := w.ts.Calls("POST /customers/{id}/notes")
	rep := w.sync(t)
	if rep.LinkNotes == nil || rep.LinkNotes.Written != len(w.links) || w.ts.Calls("POST /customers/{id}/notes") != posts {
		t.Fatalf("repair run: link_notes %+v, note posts %d -> %d (want none)", rep.LinkNotes, posts, w.ts.Calls("POST /customers/{id}/notes"))
	}
	if n := w.ts.Calls("GET /customers/{id}/notes"); n != len(w.links) {
		t.Fatalf("GET notes calls = %d, want one per unmarked link (%d)", n, len(w.links))
	}
	// unlink, then the next run: Ticaga still carries the id, so the row
	// comes back without an assign, and the note already there is found.
	one := slices.Sorted(maps.Keys(w.links))[0]
	if code, out, stderr := runMain(t, w.env, "unlink", "--client", one, "--yes"); code != exitOK || !strings.Contains(out, "removed the ticaga_sync_pairings row") {
		t.Fatalf("unlink: exit %d\n%s%s", code, out, stderr)
	}
	assigns := w.ticaga.Calls("customers/assign")
	relinked := w.sync(t)
	if relinked.Counts["linked"] != 1 || w.ticaga.Calls("customers/assign") != assigns || len(w.ts.Notes(one)) != 1 {
		t.Fatalf("after unlink: counts %v, assign calls %d -> %d, %d notes (want the one note)", relinked.Counts,
			assigns, w.ticaga.Calls("customers/assign"), len(w.ts.Notes(one)))
	}
	// A customer whose note really is missing (deleted in TicketSource) gets one.
	w.ts.DeleteNotes(one)
	if _, err := store.Exec("UPDATE ticaga_sync_pairings SET recorded_at = NULL WHERE billing_userid = ?", one); err != nil {
		t.Fatal(err)
	}
	w.sync(t)
	if len(w.ts.Notes(one)) != 1 {
		t.Fatalf("a missing note was not written again: %d notes", len(w.ts.Notes(one)))
	}
}

func TestTicketSourceNotesOffAndRefusedAssign(t *testing.T) {
	w := newTSWorld(t)
	w.env["TICKETSOURCE_WRITE_NOTES"] = "false"
	refused := slices.Sorted(maps.Keys(w.links))[0]
	w.ticaga.SetHooks(ticagatest.Hooks{BeforeAssign: func(a ticagatest.Assignment) int {
		if a.BillingID == refused {
			return 422
		}
		return 0
	}})
	code, out, stderr := runMain(t, w.env, "sync")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (one customer failed)\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "client "+refused) || !strings.Contains(out, "ticaga_refused_assign") || !strings.Contains(out, "HTTP 422") {
		t.Fatalf("the refused customer is not reported with Ticaga's answer:\n%s", out)
	}
	if len(w.ts.AllNotes()) != 0 {
		t.Fatalf("notes written with TICKETSOURCE_WRITE_NOTES=false: %v", w.ts.AllNotes())
	}
}

func TestTicketSourceBadKeyFailsTheRun(t *testing.T) {
	w := newTSWorld(t)
	w.env["TICKETSOURCE_API_KEY"] = "skl-wrong-key"
	code, out, stderr := runMain(t, w.env, "sync")
	if code != exitFailed || !strings.Contains(out+stderr, "TICKETSOURCE_API_KEY") || !strings.Contains(out+stderr, "HTTP 401") {
		t.Fatalf("exit %d, want 1 naming TICKETSOURCE_API_KEY and the 401\n%s%s", code, out, stderr)
	}
	if strings.Contains(out+stderr, "skl-wrong-key") {
		t.Fatal("the key appears in the output")
	}
	if w.ticaga.Calls("customers/assign") != 0 {
		t.Fatal("assign calls after the billing side failed")
	}
}

// A TicketSource source runs beside a Blesta source in one sources file,
// on one Ticaga and one store: check, sync and status treat it like any
// other source, and the Blesta pairings stay in ticaga_billing.
func TestTicketSourceBesideBlestaInASourcesFile(t *testing.T) {
	f := newFixture(t) // Blesta clients 1-3; Ticaga users Ann and Ben
	ts, err := ticketsourcetest.New(ticketsourcetest.Options{Key: tsKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	for i, email := range []string{"tess@ts.example", "ann@example.com"} {
		e := email
		ts.AddCustomer(ticketsourcetest.Customer{ID: fmt.Sprintf("cst-%dAB", i+1), FirstName: "T", Email: &e})
	}
	tessID := f.fake.AddUser(ticagatest.User{Name: "Tess", Email: "tess@ts.example"})
	dsn := f.env["BILLING_DSN"]
	file := filepath.Join(t.TempDir(), "sources.toml")
	toml := fmt.Sprintf(`TICAGA_URL = %q
TICAGA_API_TOKEN = %q
TICAGA_DIRECTORY_GAP = "5"
CONTROL_SOCKET = ""
LOG_FORMAT = "json"

[[source]]
name = "shop"
BILLING_DSN = %q

[[source]]
name = "tickets"
BILLING_SYSTEM = "ticketsource"
STORE_DSN = %q
TICKETSOURCE_URL = %q
TICKETSOURCE_API_KEY = %q
`, f.fake.URL(), testToken, dsn, dsn, ts.URL(), tsKey)
	if err := os.WriteFile(file, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	if code, out, stderr := runMain(t, env, "check", "--config", file); code != exitOK || !strings.Contains(out, "TicketSource API reachable and key accepted") {
		t.Fatalf("check: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr := runMain(t, env, "sync", "--config", file)
	if code != exitOK {
		t.Fatalf("sync: exit %d\n%s%s", code, out, stderr)
	}
	// Ann is Blesta client 1 (linked by shop, first); the TicketSource
	// customer with her email is a conflict naming the Blesta pairing.
	if !strings.Contains(out, "Run 1 shop") || !strings.Contains(out, "Run 2 tickets") ||
		!strings.Contains(out, "client cst-2AB") || !strings.Contains(out, "ticaga_user_") {
		t.Fatalf("sync output:\n%s", out)
	}
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var plugin, own int
	var ownID string
	var ownTicaga int64
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_billing").Scan(&plugin); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT COUNT(*), MIN(billing_userid), MIN(ticaga_userid) FROM ticaga_sync_pairings").Scan(&own, &ownID, &ownTicaga); err != nil {
		t.Fatal(err)
	}
	if plugin != 2 || own != 1 || ownID != "cst-1AB" || ownTicaga != tessID || len(ts.Notes("cst-1AB")) != 1 {
		t.Fatalf("ticaga_billing %d rows, ticaga_sync_pairings %d (%s -> %d), notes %v", plugin, own, ownID, ownTicaga, ts.AllNotes())
	}
	if code, out, _ := runMain(t, env, "status", "--config", file); code != exitOK || !strings.Contains(out, "tickets") || !strings.Contains(out, "client cst-2AB") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
}

// sync --client and explain --client name a customer TicketSource does not
// have: the sync exits 2 without a run (no Ticaga call, no customer list
// read), explain exits 1; a customer it has is synced alone.
func TestTicketSourceNoSuchClient(t *testing.T) {
	w := newTSWorld(t)
	if code, _, stderr := runMain(t, w.env, "migrate"); code != exitOK {
		t.Fatal(stderr)
	}
	want := "client cst-nobody: no such client: TicketSource has no customer cst-nobody"
	code, out, stderr := runMain(t, w.env, "sync", "--client", "cst-nobody")
	if code != exitUsage || !strings.Contains(stderr, want) || strings.Contains(out, "contacts") {
		t.Fatalf("sync --client cst-nobody: exit %d, want 2 naming it\n%s%s", code, out, stderr)
	}
	if n, lists := w.ticaga.TotalCalls(), w.ts.Calls("GET /customers"); n != 0 || lists != 0 {
		t.Fatalf("sync of a missing customer made %d Ticaga calls and read %d customer pages", n, lists)
	}
	code, out, stderr = runMain(t, w.env, "explain", "--client", "cst-nobody")
	if code != exitFailed || !strings.Contains(out, want) {
		t.Fatalf("explain --client cst-nobody: exit %d, want 1 naming it\n%s%s", code, out, stderr)
	}
	if n := w.ticaga.TotalCalls(); n != 0 {
		t.Fatalf("explain made %d Ticaga calls", n)
	}
	ids := slices.Sorted(maps.Keys(w.links))
	one, other := ids[0], ids[1]
	if rep := w.sync(t, "--client", one, "--client", "cst-nobody"); rep.Counts["linked"] != 1 || rep.Counts["contacts"] != 1 {
		t.Fatalf("sync --client %s --client cst-nobody: counts %v, want the one linked", one, rep.Counts)
	}
	// Exclusions take TicketSource ids too.
	if code, out, stderr := runMain(t, w.env, "exclude", "--client", other, "--reason", "box office"); code != exitOK || !strings.Contains(out, "client "+other) {
		t.Fatalf("exclude --client %s: exit %d\n%s%s", other, code, out, stderr)
	}
	if rep := w.sync(t, "--client", other); rep.Counts["excluded"] != 1 || rep.Counts["linked"] != 0 {
		t.Fatalf("sync --client %s after exclude: counts %v", other, rep.Counts)
	}
	if code, out, _ := runMain(t, w.env, "status"); code != exitOK || !strings.Contains(out, "Excluded (1):") || !strings.Contains(out, other) || !strings.Contains(out, "box office") {
		t.Fatalf("status lacks the excluded TicketSource customer:\n%s", out)
	}
}

// A bad page fails the run naming the page, and nothing of the incomplete
// listing is linked or noted; the next run, throttled (429 with
// Retry-After on a page and on a note), links exactly what the rules
// select, with one note each.
func TestTicketSourceBadPageThenThrottled(t *testing.T) {
	w := newTSWorld(t)
	w.ts.FailPage(3, ticketsourcetest.Fault{Status: 200, Body: "<html><body>Maintenance</body></html>", ContentType: "text/html"})
	code, out, stderr := runMain(t, w.env, "sync")
	if code != exitFailed || !strings.Contains(out+stderr, "GET /customers (page 3): HTTP 200: answer is not the expected JSON: unexpected HTML page") {
		t.Fatalf("sync over a bad page 3: exit %d, want 1 naming the page\n%s%s", code, out, stderr)
	}
	if n := w.ticaga.Calls("customers/assign"); n != 0 || len(w.ts.AllNotes()) != 0 {
		t.Fatalf("an incomplete listing linked: %d assign calls, notes %v", n, w.ts.AllNotes())
	}

	w.ts.FailPage(2, ticketsourcetest.Fault{Status: 429, RetryAfter: "1"})
	w.ts.Fail("POST /customers/{id}/notes", ticketsourcetest.Fault{Status: 429, RetryAfter: "1"})
	rep := w.sync(t)
	linked := 0
	for _, d := range rep.Decisions {
		if d.Action == "link" {
			linked++
		}
	}
	if linked != len(w.links) || rep.LinkNotes == nil || rep.LinkNotes.Written != len(w.links) || rep.LinkNotes.Failed != 0 ||
		len(w.ts.AllNotes()) != len(w.links) {
		t.Fatalf("throttled run: %d linked, link_notes %+v, %d customers noted; want %d each", linked, rep.LinkNotes, len(w.ts.AllNotes()), len(w.links))
	}
	// The first run: its preflight's page and pages 1-3; the second: its
	// preflight's, pages 1 and 2, page 2 again after the 429, pages 3 and 4.
	if n := w.ts.Calls("GET /customers"); n != 4+6 {
		t.Fatalf("GET /customers calls = %d, want 10 (the 429 retried once)", n)
	}
	if n := w.ts.Calls("POST /customers/{id}/notes"); n != len(w.links)+1 {
		t.Fatalf("note posts = %d, want %d (one per link, the throttled one twice)", n, len(w.links)+1)
	}
}

// Like the Ticaga token, TicketSource's key is needed only by the commands
// that call it: without it status, config, migrate and exclude work,
// explain (which reads the customers) fails naming the key without a call,
// and check and a sync run here say it is required.
func TestTicketSourceKeyOnlyWhereNeeded(t *testing.T) {
	w := newTSWorld(t)
	w.sync(t)
	noKey := maps.Clone(w.env)
	delete(noKey, "TICKETSOURCE_API_KEY")
	delete(noKey, "TICAGA_API_TOKEN")
	calls := w.ts.Calls("GET /customers") + w.ts.Calls("GET /customers/{id}")
	some := slices.Sorted(maps.Keys(w.links))[0]
	for _, args := range [][]string{{"status"}, {"config"}, {"migrate"}, {"exclude", "--client", some}, {"include", "--client", some}} {
		if code, out, stderr := runMain(t, noKey, args...); code != exitOK || strings.Contains(out+stderr, "TICKETSOURCE_API_KEY: ") {
			t.Errorf("%v without the key: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	code, out, stderr := runMain(t, noKey, "explain", "--client", some)
	if code != exitFailed || !strings.Contains(out+stderr, "TICKETSOURCE_API_KEY: not set, and this command was started without it") {
		t.Errorf("explain without the key: exit %d, want 1 naming the key\n%s%s", code, out, stderr)
	}
	if n := w.ts.Calls("GET /customers") + w.ts.Calls("GET /customers/{id}"); n != calls {
		t.Errorf("the commands without the key made %d TicketSource calls", n-calls)
	}
	noKey["TICAGA_API_TOKEN"] = testToken
	for _, args := range [][]string{{"check"}, {"sync"}} {
		if code, _, stderr := runMain(t, noKey, args...); code != exitUsage || !strings.Contains(stderr, "TICKETSOURCE_API_KEY: required") {
			t.Errorf("%v without the key: exit %d, want 2 naming TICKETSOURCE_API_KEY\n%s", args, code, stderr)
		}
	}
}
