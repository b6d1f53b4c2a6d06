package daemon

import (
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/internal/browsertest"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// The running daemon serves its status page on / of HTTP_ADDR. After a
// run against the fake Ticaga (client 3's email belongs to a Ticaga user
// carrying a WHMCS billing id; Ticaga user 4 answers an HTML page), a
// person using a phone-sized headless Chromium sees the source, the run,
// the directory, the conflict with its facts and the unreadable user; the
// page holds no secret and does not scroll sideways. Other paths stay 404,
// and /metrics is still served.
func TestStatusPageInBrowser(t *testing.T) {
	f := newFixture(t)
	f.fake.AddUser(ticagatest.User{Name: "Cy", Email: "cy@example.com", BillingID: "77", BillingSystem: "WHMCS"})
	f.fake.SetUserFault(4, ticagatest.UserFault{Status: 200, Body: []byte("<html>maintenance</html>"),
		Header: http.Header{"Content-Type": {"text/html"}}})
	const hookSecret = "hook-SECRET-5521"
	env := maps.Clone(f.env)
	env["SYNC_SCHEDULE"], env["TICAGA_UNREADABLE_AFTER"] = "@every 1h", "1"
	env["NOTIFY_WEBHOOK_URL"] = "http://127.0.0.1:9/hook?token=" + hookSecret
	d := startRun(t, env)

	d.waitFor(t, "the first run on the status page", func() bool {
		code, body := d.get(t, "/")
		return code == 200 && strings.Contains(body, "Run 1: ") && !strings.Contains(body, "Run 1: running")
	})
	for path, want := range map[string]int{"/nope": 404, "/index.html": 404, "/metrics": 200, "/readyz": 200} {
		if code, _ := d.get(t, path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
	_, html := d.get(t, "/")

	b := browsertest.Start(t, browsertest.Options{Width: 390, Height: 844, Mobile: true})
	b.Open("http://" + d.addr + "/")
	sel := `section[data-source="blesta"] `
	all := b.Text("body")
	runs, dir, unreadable, notLinked := b.Text(sel+".runs"), b.Text(sel+".directory"), b.Text(sel+".unreadable"), b.Text(sel+".notlinked")
	for _, c := range []struct{ where, text, want string }{
		{"page", all, "ticaga-sync status"},
		{"page", all, "Billing system blesta · Ticaga " + f.fake.URL()},
		{"runs", runs, "Run 1: completed"},
		{"runs", runs, "3 contacts: 2 linked, 0 created, 0 already linked, 0 no match, 1 conflict, 0 invalid email, 0 failed"},
		{"directory", dir, "3 users cached (highest id 3)"},
		{"directory", dir, "No scan in progress."},
		{"unreadable", unreadable, "Unreadable Ticaga users (1)"},
		{"unreadable", unreadable, "Ticaga user 4: unknown in 1 runs"},
		{"unreadable", unreadable, "unexpected HTML page"},
		{"not linked", notLinked, "Customers not linked (1)"},
		{"not linked", notLinked, "conflict: ticaga_user_has_other_billing_system (1)"},
		{"not linked", notLinked, "Client 3 cy@example.com · Ticaga user 3"},
		{"not linked", notLinked, `billing id 77 of billing system "WHMCS"`},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("%s: a person does not see %q in:\n%s", c.where, c.want, c.text)
		}
	}
	var source string
	b.Eval(&source, `return document.documentElement.outerHTML;`)
	for _, secret := range []string{testToken, hookSecret, f.env["BILLING_DSN"], "@tcp("} {
		if strings.Contains(html, secret) || strings.Contains(source, secret) {
			t.Errorf("the status page holds a secret: %q", secret)
		}
	}
	var layout struct{ Inner, Scroll int }
	b.Eval(&layout, `return {Inner: window.innerWidth, Scroll: document.documentElement.scrollWidth};`)
	if layout.Inner != 390 || layout.Scroll > layout.Inner {
		t.Errorf("on a 390px phone: viewport %dpx, content %dpx wide", layout.Inner, layout.Scroll)
	}
	d.stop(t)
}
