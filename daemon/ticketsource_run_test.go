package daemon

import (
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/ticketsource/ticketsourcetest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// The daemon runs a TicketSource source like any other: its runs and
// decisions are in /metrics under its name, and the status page shows it
// with its cst-... ids.
func TestRunTicketSourceMetricsAndStatusPage(t *testing.T) {
	_, dsn := testdb.Open(t)
	const key = "skl-daemon-test-SECRET-12"
	ts, err := ticketsourcetest.New(ticketsourcetest.Options{Key: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.Close() })
	fake := ticagatest.New(ticagatest.Options{Token: testToken})
	t.Cleanup(fake.Close)
	linked, nobody := "linked@ts.example", "nobody@ts.example"
	ts.AddCustomer(ticketsourcetest.Customer{ID: "cst-Link1", FirstName: "L", Email: &linked})
	ts.AddCustomer(ticketsourcetest.Customer{ID: "cst-None2", FirstName: "N", Email: &nobody})
	ts.AddCustomer(ticketsourcetest.Customer{ID: "cst-NoMail3", FirstName: "M"})
	fake.AddUser(ticagatest.User{Name: "Linked", Email: linked})

	d := startRun(t, map[string]string{
		"BILLING_SYSTEM": "ticketsource", "STORE_DSN": dsn, "TICKETSOURCE_URL": ts.URL(), "TICKETSOURCE_API_KEY": key,
		"TICAGA_URL": fake.URL(), "TICAGA_API_TOKEN": testToken, "TICAGA_DIRECTORY_GAP": "5",
		"SYNC_SCHEDULE": "@every 1h", "CONTROL_SOCKET": "", "LOG_FORMAT": "json",
	})
	d.waitFor(t, "a finished run in /metrics", func() bool {
		_, body := d.get(t, "/metrics")
		return strings.Contains(body, `ticaga_sync_runs_total{outcome="completed",source="ticketsource"} 1`)
	})
	_, body := d.get(t, "/metrics")
	for _, series := range []string{
		`ticaga_sync_decisions_total{action="link",reason="none",source="ticketsource"} 1`,
		`ticaga_sync_decisions{action="no_match",reason="no_ticaga_user",source="ticketsource"} 1`,
		`ticaga_sync_decisions{action="invalid_email",reason="bad_billing_row",source="ticketsource"} 1`,
		`ticaga_sync_last_success_timestamp_seconds{source="ticketsource"}`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	code, page := d.get(t, "/")
	for _, want := range []string{"ticketsource", "cst-None2", "nobody@ts.example", "cst-NoMail3"} {
		if code != 200 || !strings.Contains(page, want) {
			t.Errorf("the status page (%d) lacks %q", code, want)
		}
	}
	if strings.Contains(body+page+d.logs.String(), key) {
		t.Error("the TicketSource key is shown")
	}
	if n := len(ts.Notes("cst-Link1")); n != 1 {
		t.Errorf("%d notes on the linked customer, want 1", n)
	}
	d.stop(t)
}
