package secret

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "tok-SECRET-4b1d"
	s := Secret(value)
	holder := struct{ Token Secret }{s}
	js, _ := json.Marshal(holder)
	txt, _ := s.MarshalText()
	for _, out := range []string{
		fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x %d", s, s, s, s, s, s, s),
		fmt.Sprintf("%v %+v %#v", holder, holder, holder), string(js), string(txt), s.String(), s.GoString(),
	} {
		if strings.Contains(out, value) || !strings.Contains(out, Redacted) {
			t.Errorf("printed %q", out)
		}
	}
	if s.Reveal() != value {
		t.Fatal("Reveal lost the value")
	}
	if got := s.Scrub("server said: Bearer " + value); got != "server said: Bearer [redacted]" {
		t.Fatalf("Scrub = %q", got)
	}
	if got := Secret("").Scrub("nothing"); got != "nothing" {
		t.Fatalf("empty Scrub = %q", got)
	}
}
