package statuspage_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/browsertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/statuspage"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const (
	urlPassword = "url-PASSWORD-991"
	target      = "https://admin:" + urlPassword + "@ticaga.example"
)

var t0 = time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)

// world is a migrated store on MariaDB holding runs, a directory with an
// interrupted scan, unknown users and open decisions of source "blesta",
// and the page serving it over loopback HTTP.
type world struct {
	st  *store.Store
	srv *httptest.Server
}

func newWorld(t *testing.T, opt statuspage.Options, decisions []ticagasync.Decision) *world {
	t.Helper()
	_, dsn := testdb.Open(t)
	ctx := t.Context()
	st, err := store.Open(ctx, dsn, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i, outcome := range []ticagasync.Outcome{ticagasync.OutcomeCompleted, ticagasync.OutcomeFailed} {
		start := t0.Add(time.Duration(i) * time.Hour)
		id, err := st.StartRun(ctx, ticagasync.RunRecord{Source: "blesta", StartedAt: start})
		if err != nil {
			t.Fatal(err)
		}
		rec := ticagasync.RunRecord{ID: id, Source: "blesta", FinishedAt: start.Add(1500 * time.Millisecond), Outcome: outcome,
			Counts: ticagasync.Counts{Contacts: 13, Linked: 5, AlreadyLinked: 1, NoMatch: 1, Conflict: 4, InvalidEmail: 2}, APICalls: 29}
		if outcome == ticagasync.OutcomeFailed {
			rec.Error = "ticaga: connection: HTTP 503: Service Unavailable"
		}
		if err := st.FinishRun(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.StartRun(ctx, ticagasync.RunRecord{Source: "blesta", StartedAt: t0.Add(3 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	err = st.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{
		Save: []ticagasync.TicagaUser{{ID: 1, Email: "ann@example.com", FetchedAt: t0}, {ID: 8, Email: "lucas@weber.example", FetchedAt: t0.Add(time.Hour)}},
		Unknown: []ticagasync.UnknownUser{
			{ID: 17, FirstAt: t0, LastAt: t0.Add(time.Hour), Runs: 3, LastError: "ticaga: customers/get (id 17): HTTP 200: unexpected HTML page (not JSON)"},
			{ID: 18, FirstAt: t0, LastAt: t0.Add(time.Hour), Runs: 1, LastError: "HTTP 500"},
		},
		Scan: &ticagasync.ScanPosition{Next: 42, StartedAt: t0, SavedAt: t0.Add(2 * time.Hour)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ReplaceDecisions(ctx, "blesta", 2, slices.Values(decisions), nil, t0); err != nil {
		t.Fatal(err)
	}
	opt.Sources = func() []statuspage.Source {
		return []statuspage.Source{
			{Name: "blesta", System: "blesta", Ticaga: "https://admin:xxxxx@ticaga.example", Target: target, UnreadableAfter: 3, Reader: st},
			{Name: "whmcs", System: "whmcs", Ticaga: "https://other.example", Problem: "STORE_DSN: the store database does not answer"},
		}
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return t0.Add(4 * time.Hour) }
	}
	mux := http.NewServeMux()
	mux.Handle("/{$}", statuspage.Handler(opt))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &world{st: st, srv: srv}
}

func decision(id int64, email string, a ticagasync.Action, r ticagasync.Reason, ticagaID int64, detail string) ticagasync.Decision {
	return ticagasync.Decision{Contact: ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), Email: email}, Action: a, Reason: r, TicagaID: ticagaID, Detail: detail}
}

func get(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// The page escapes what it shows (an email or detail holding markup is
// text, never markup), sends headers that forbid scripts, frames and
// caching, answers HEAD without a body and other methods with 405, and
// shows no secret.
func TestPageEscapesAndHeaders(t *testing.T) {
	t.Parallel()
	w := newWorld(t, statuspage.Options{}, []ticagasync.Decision{
		decision(5, `"><script>alert(1)</script>@evil.example`, ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail, 0,
			`not an address: <img src=x onerror=alert(2)>`),
	})
	resp, body := get(t, http.MethodGet, w.srv.URL+"/")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET / = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, bad := range []string{"<script>", "<img", urlPassword} {
		if strings.Contains(body, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;@evil.example", "&lt;img src=x onerror=alert(2)&gt;",
		`<meta name="viewport" content="width=device-width, initial-scale=1">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("headers: %v", resp.Header)
	}

	resp, body = get(t, http.MethodHead, w.srv.URL+"/")
	if resp.StatusCode != 200 || body != "" {
		t.Errorf("HEAD / = %d with %d bytes", resp.StatusCode, len(body))
	}
	resp, _ = get(t, http.MethodPost, w.srv.URL+"/")
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST / = %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// Each group lists at most PerGroup customers and says how many more
// there are; the store is asked for no more than that.
func TestPageCapsEachGroup(t *testing.T) {
	t.Parallel()
	var ds []ticagasync.Decision
	for i := range 30 {
		ds = append(ds, decision(int64(100+i), fmt.Sprintf("c%d@example.com", 100+i), ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0, "no Ticaga user has this email"))
	}
	w := newWorld(t, statuspage.Options{PerGroup: 4, Runs: 2}, ds)
	_, body := get(t, http.MethodGet, w.srv.URL+"/")
	if n := strings.Count(body, `<li class="customer">`); n != 4 {
		t.Errorf("%d customers listed, want 4", n)
	}
	for _, want := range []string{"no_match: no_ticaga_user (30)", "… and 26 more", "Customers not linked (30)",
		"The last 2 runs", "Client 103", "c103@example.com"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "Client 104<") || strings.Contains(body, "c104@example.com") {
		t.Error("the page lists a customer past the cap")
	}
	if n := strings.Count(body, `<li class="run `); n != 2 {
		t.Errorf("%d runs listed, want 2", n)
	}
}

// In a real browser at a phone's size (390x844), a person sees each
// section, a customer with its reason and the facts behind it, the
// unreadable Ticaga user, and a page that does not scroll sideways even
// with long unbroken addresses and errors.
func TestPageInBrowserOnAPhone(t *testing.T) {
	long := strings.Repeat("x", 120) + "@" + strings.Repeat("very-long-domain-", 8) + "example.com"
	w := newWorld(t, statuspage.Options{PerGroup: 3}, []ticagasync.Decision{
		decision(7, "mia@chen.example", ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail, 6, "Ticaga users 6, 7 share this email"),
		decision(8, "lucas@weber.example", ticagasync.ActionConflict, ticagasync.ReasonTicagaOtherBillingSystem, 8,
			`Ticaga user 8 carries billing id 77 of billing system "WHMCS"`),
		decision(9, long, ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail, 0, "malformed: "+strings.Repeat("Z", 300)),
	})
	b := browsertest.Start(t, browsertest.Options{Width: 390, Height: 844, Mobile: true})
	b.Open(w.srv.URL + "/")

	all := b.Text("body")
	sel := `section[data-source="blesta"] `
	runs, dir, unreadable, notLinked := b.Text(sel+".runs"), b.Text(sel+".directory"), b.Text(sel+".unreadable"), b.Text(sel+".notlinked")
	for _, c := range []struct{ where, text, want string }{
		{"page", all, "ticaga-sync status"},
		{"page", all, "Generated 2026-12-02 07:00:00 UTC"},
		{"runs", runs, "Run 3: running"},
		{"runs", runs, "running for 1h0m"},
		{"runs", runs, "In progress: its counts are recorded when it ends"},
		{"runs", runs, "Run 2: failed"},
		{"runs", runs, "Started 2026-12-02 04:00:00 UTC (3h0m ago), took 1.5s"},
		{"runs", runs, "13 contacts: 5 linked, 0 created, 1 already linked, 1 no match, 4 conflict, 2 invalid email, 0 failed; 29 Ticaga API calls"},
		{"runs", runs, "Error: ticaga: connection: HTTP 503: Service Unavailable"},
		{"directory", dir, "2 users cached (highest id 8)"},
		{"directory", dir, "every cached user was read from Ticaga since 2026-12-02 03:00:00 UTC (4h0m ago)"},
		{"directory", dir, "the next id to read is 42"},
		{"directory", dir, "Ticaga users without a clear answer yet: 1."},
		{"unreadable", unreadable, "Unreadable Ticaga users (1)"},
		{"unreadable", unreadable, "Ticaga user 17: unknown in 3 runs since 2026-12-02 03:00:00 UTC"},
		{"unreadable", unreadable, "unexpected HTML page (not JSON)"},
		{"not linked", notLinked, "Customers not linked (3)"},
		{"not linked", notLinked, "conflict: ticaga_user_has_other_billing_system (1)"},
		{"not linked", notLinked, "Client 8 lucas@weber.example · Ticaga user 8"},
		{"not linked", notLinked, `Ticaga user 8 carries billing id 77 of billing system "WHMCS"`},
		{"not linked", notLinked, "Client 7 mia@chen.example · Ticaga user 6"},
		{"not linked", notLinked, "invalid_email: malformed_email (1)"},
		{"page", all, "whmcs"},
		{"page", all, "Cannot run: STORE_DSN: the store database does not answer"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s: a person does not see %q in:\n%s", c.where, c.want, c.text)
		}
	}
	if strings.Contains(all, urlPassword) || strings.Contains(b.Text("html"), urlPassword) {
		t.Error("the page shows the password of TICAGA_URL")
	}
	// Conflicts (a person decides) come before invalid emails.
	if strings.Index(notLinked, "conflict:") > strings.Index(notLinked, "invalid_email:") {
		t.Errorf("groups out of order:\n%s", notLinked)
	}

	var layout struct {
		InnerWidth  int     `json:"innerWidth"`
		ScrollWidth int     `json:"scrollWidth"`
		BodyWidth   float64 `json:"bodyWidth"`
		Radius      string  `json:"radius"`
	}
	b.Eval(&layout, `return {innerWidth: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
		bodyWidth: document.body.getBoundingClientRect().width,
		radius: getComputedStyle(document.querySelector("section.source")).borderTopLeftRadius};`)
	if layout.InnerWidth != 390 {
		t.Errorf("the layout viewport is %dpx wide on a 390px phone (viewport meta missing?)", layout.InnerWidth)
	}
	if layout.ScrollWidth > layout.InnerWidth || layout.BodyWidth > float64(layout.InnerWidth) {
		t.Errorf("the page scrolls sideways on a phone: content %dpx (body %.0fpx) in a %dpx viewport",
			layout.ScrollWidth, layout.BodyWidth, layout.InnerWidth)
	}
	// The style sheet applied (the Content-Security-Policy allows it).
	if layout.Radius != "8px" {
		t.Errorf("the style sheet did not apply: border radius %q", layout.Radius)
	}
}
