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
}
