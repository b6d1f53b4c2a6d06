package sync

import (
	"testing"
	"unicode/utf8"
)

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"joe@example.com", "joe@example.com", true},
		{"  Joe.Doe@Example.COM \t", "joe.doe@example.com", true},
		{"joe+tag@example.com", "joe+tag@example.com", true},
		{"ZOË@Bücher.Example", "zoë@xn--bcher-kva.example", true},
		{"zoë@xn--bcher-kva.example", "zoë@xn--bcher-kva.example", true},
		{"joe@example.com.", "joe@example.com", true},
		{"", "", false},
		{"   ", "", false},
		{"joe", "", false},
		{"@example.com", "", false},
		{"joe@", "", false},
		{"joe@@example.com", "", false},
		{"joe@exa@mple.com", "", false},
		{"jo e@example.com", "", false},
		{"joe@exa mple.com", "", false},
		{"joe@.example.com", "", false},
		{"joe@example..com", "", false},
		{"joe\x00@example.com", "", false},
		{"joe@example.com\x1b", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizeEmail(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"joe@example.com", " A@B.C ", "zoë@bücher.de", "@", "a@@b", "\xff@x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		key, ok := NormalizeEmail(s)
		if !ok {
			if key != "" {
				t.Fatalf("rejected %q but returned key %q", s, key)
			}
			return
		}
		if !utf8.ValidString(key) {
			t.Fatalf("key %q of %q is not valid UTF-8", key, s)
		}
		again, ok2 := NormalizeEmail(key)
		if !ok2 || again != key {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, key, again, ok2)
		}
	})
}
