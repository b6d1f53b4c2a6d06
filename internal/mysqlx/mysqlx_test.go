package mysqlx_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/internal/mysqlx"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

func TestOpenAppliesSettings(t *testing.T) {
	db, err := mysqlx.Open("u:pw@tcp(db.example:3306)/billing?readTimeout=5s", mysqlx.Settings{
		DialTimeout: 7 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 30 * time.Second,
		UTCTimes: true, MaxOpenConns: 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL.Close()
	c := db.Config
	if c.Timeout != 7*time.Second || c.ReadTimeout != 5*time.Second || c.WriteTimeout != 30*time.Second {
		t.Errorf("timeouts = %v, %v, %v; want 7s, the DSN's 5s, 30s", c.Timeout, c.ReadTimeout, c.WriteTimeout)
	}
	if !c.ParseTime || c.Loc != time.UTC {
		t.Errorf("parseTime = %v, loc = %v; want true, UTC", c.ParseTime, c.Loc)
	}
	if !strings.Contains(c.FormatDSN(), "charset=utf8mb4") {
		t.Errorf("DSN %q: want charset utf8mb4", c.FormatDSN())
	}
	if n := db.SQL.Stats().MaxOpenConnections; n != 3 {
		t.Errorf("MaxOpenConnections = %d, want 3", n)
	}
	if db.Connector == nil || db.Gorm == nil {
		t.Error("no connector or gorm handle")
	}
}

func TestOpenKeepsTheDSNsCharset(t *testing.T) {
	for _, dsn := range []string{"u@tcp(h)/d?charset=latin1", "u@tcp(h)/d?collation=latin1_swedish_ci"} {
		db, err := mysqlx.Open(dsn, mysqlx.Settings{})
		if err != nil {
			t.Fatal(err)
		}
		db.SQL.Close()
		if f := db.Config.FormatDSN(); strings.Contains(f, "utf8mb4") {
			t.Errorf("Open(%q) chose utf8mb4: %s", dsn, f)
		}
	}
}

func TestOpenErrorsHideThePassword(t *testing.T) {
	const pw = "Tr0ub4dor-3"
	for _, dsn := range []string{
		"sync:" + pw + "@tcp(db.example.com:3306/blesta", // unterminated address
		"sync:" + pw + "@tcp(db.example.com:3306)",       // no slash
		"sync:" + pw + "@tcp(db.example.com:3306)/blesta?tls=" + pw,
		"sync:" + pw + "@tcp(db.example.com:3306)/blesta?parseTime=" + pw,
		"sync:" + pw + "@tcp(db.example.com:3306)/bl%zzesta",
	} {
		_, err := mysqlx.Open(dsn, mysqlx.Settings{})
		if err == nil {
			t.Errorf("Open(%q): no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Tr0ub") {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
	if _, err := mysqlx.Open("sync:"+pw+"@tcp(db.example.com:3306)/", mysqlx.Settings{}); !errors.Is(err, mysqlx.ErrNoDatabase) {
		t.Errorf("Open without a database = %v, want ErrNoDatabase", err)
	}
}

func TestOpenConnects(t *testing.T) {
	db, err := mysqlx.Open(testdb.DSN(t), mysqlx.Settings{MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.SQL.Close()
	var charset string
	if err := db.Gorm.WithContext(t.Context()).Raw("SELECT @@character_set_client").Row().Scan(&charset); err != nil {
		t.Fatal(err)
	}
	if charset != "utf8mb4" {
		t.Errorf("connection charset = %q, want utf8mb4", charset)
	}
}

func TestRedactDSN(t *testing.T) {
	for dsn, want := range map[string]string{
		"":                             "",
		"ticaga:s3cret@tcp(db:3306)/b": "ticaga:***@tcp(db:3306)/b",
		"ticaga@tcp(db:3306)/b":        "ticaga@tcp(db:3306)/b",
		"ticaga:s3cret@tcp(db:3306":    "[invalid dsn]",
	} {
		if got := mysqlx.RedactDSN(dsn); got != want {
			t.Errorf("RedactDSN(%q) = %q, want %q", dsn, got, want)
		}
	}
}

func TestScrub(t *testing.T) {
	for _, c := range []struct{ msg, dsn, want string }{
		// The credentials end at the last "@" before the last "/".
		{"bad pa@ss/x here", "u:pa@ss/x@tcp(h:1)/db?a=b@c", "bad *** here"},
		{"no password", "u@tcp(h:1)/db", "no password"},
		{"empty password u:@tcp(h)/d", "u:@tcp(h)/d", "empty password u:@tcp(h)/d"},
		{"dsn u:pw@tcp(h)/d shown", "u:pw@tcp(h)/d", "dsn u:***@tcp(h:3306)/d shown"}, // the DSN as RedactDSN writes it
		{"dsn u:pw@tcp(h/d shown", "u:pw@tcp(h/d", "dsn [invalid dsn] shown"},
	} {
		if got := mysqlx.Scrub(c.msg, c.dsn); got != c.want {
			t.Errorf("Scrub(%q, %q) = %q, want %q", c.msg, c.dsn, got, c.want)
		}
	}
}
