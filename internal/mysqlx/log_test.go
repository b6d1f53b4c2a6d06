package mysqlx

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/syncbuf"
)

// A server that hangs up in the middle of a packet makes the driver log
// "packets.go:... unexpected EOF": that line goes through the logger given
// to SetLogger, as JSON, not to stderr as a raw "[mysql]" line.
func TestDriverMessagesGoThroughTheLogger(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// A packet header announcing 100 bytes, then 3 of them.
			_, _ = c.Write([]byte{100, 0, 0, 0, 10, '5', '.'})
			c.Close()
		}
	}()
	var buf syncbuf.Buffer
	SetLogger(zerolog.New(&buf))
	defer SetLogger(zerolog.Nop())

	db, err := Open("u:secret-pw@tcp("+ln.Addr().String()+")/db", Settings{DialTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL.Close()
	if err := db.SQL.PingContext(t.Context()); err == nil {
		t.Fatal("a ping to a server that hangs up succeeded")
	}
	out := buf.String()
	if !strings.Contains(out, `"level":"warn"`) || !strings.Contains(out, `"component":"mysql"`) || !strings.Contains(out, "unexpected EOF") {
		t.Fatalf("the driver's message did not go through the logger: %q", out)
	}
	if strings.Contains(out, "[mysql]") || strings.Contains(out, "secret-pw") {
		t.Fatalf("raw driver line or password in %q", out)
	}
}
