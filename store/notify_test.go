package store

import "testing"

func TestNotifyStateRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	if _, ok, err := s.NotifyState(ctx, "blesta"); ok || err != nil {
		t.Fatalf("before any save: ok=%v err=%v", ok, err)
	}
	for _, state := range []string{`{"version":1}`, `{"version":1,"channels":{"webhook":{"open":[]}}}`} {
		if err := s.SaveNotifyState(ctx, "blesta", []byte(state)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.NotifyState(ctx, "blesta")
		if err != nil || !ok || string(got) != state {
			t.Fatalf("NotifyState = %q, %v, %v; want %q", got, ok, err, state)
		}
	}
	if _, ok, _ := s.NotifyState(ctx, "whmcs"); ok {
		t.Fatal("another source shares the state")
	}
}
