package store

import "testing"

func TestRedact(t *testing.T) {
	for _, c := range []struct{ msg, dsn, want string }{
		{"bad pa@ss/x here", "u:pa@ss/x@tcp(h:1)/db?a=b@c", "bad ***** here"},
		{"no password", "u@tcp(h:1)/db", "no password"},
		{"dsn u:pw@tcp(h)/d shown", "u:pw@tcp(h)/d", "dsn [dsn] shown"},
	} {
		if got := redact(c.msg, c.dsn); got != c.want {
			t.Errorf("redact(%q, %q) = %q, want %q", c.msg, c.dsn, got, c.want)
		}
	}
}
