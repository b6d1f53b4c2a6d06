package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/daemon"
)

func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := demo(t.Context(), nil, &stdout, &stderr, func(string) (string, bool) { return "", false })
	out := stdout.String()
	if code != daemon.ExitOK {
		t.Fatalf("demo exit %d\n%s\n%s", code, out, stderr.String())
	}
	for _, want := range []string{
		"13 contacts: 5 to link, 1 already linked", // the dry run
		"13 contacts: 5 linked, 1 already linked",  // the run
		"13 contacts: 0 linked, 6 already linked",  // the second run
		"ticaga_billing",
		"4 contacts: 1 linked, 0 already linked, 1 no match, 1 conflict, 1 invalid email", // TicketSource
		"4 contacts: 0 linked, 1 already linked",
		"links recorded on the billing side: 1, failed 0",
		"cst-demo1  ticaga-sync: Linked to Ticaga user 15 (sofia@reyes.example)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	// The second run made no assign call.
	third := out[strings.Index(out, "== 3."):]
	calls := third[strings.Index(third, "Ticaga API calls:"):]
	calls = calls[:strings.Index(calls, "\n")]
	if strings.Contains(calls, "customers/assign") {
		t.Errorf("the second sync called customers/assign: %s", calls)
	}
	// The TicketSource source's second run neither assigns nor notes.
	again := out[strings.Index(out, "-- Sync again"):strings.Index(out, "== Notes")]
	if strings.Contains(again, "customers/assign") || strings.Contains(again, "recorded on the billing side") {
		t.Errorf("the second TicketSource sync assigned or noted:\n%s", again)
	}
	if n := strings.Count(out, "  cst-demo"); n != 1 {
		t.Errorf("%d notes listed, want 1", n)
	}
}
