package mysqlx

import (
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Mask is what stands for a password in a redacted DSN or message.
const Mask = "***"

// RedactDSN returns dsn fit to print: with its password replaced by Mask,
// "" for an empty DSN, or "[invalid dsn]" when it does not parse (the
// password could then be anywhere in it).
func RedactDSN(dsn string) string {
	if dsn == "" {
		return ""
	}
	c, err := mysql.ParseDSN(dsn)
	if err != nil {
		return "[invalid dsn]"
	}
	if c.Passwd != "" {
		c.Passwd = Mask
	}
	return c.FormatDSN()
}

// Scrub removes dsn's password from msg, such as an error of the driver:
// the whole DSN becomes RedactDSN(dsn), and any other occurrence of the
// password becomes Mask. The password is found as the driver finds it,
// even in a DSN that does not parse: the text after the first ':' of the
// credentials, which end at the last '@' before the last '/'.
func Scrub(msg, dsn string) string {
	pw := password(dsn)
	if pw == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, dsn, RedactDSN(dsn))
	return strings.ReplaceAll(msg, pw, Mask)
}

// password returns what in dsn may be the password, or "".
func password(dsn string) string {
	creds := dsn
	if slash := strings.LastIndex(creds, "/"); slash >= 0 {
		creds = creds[:slash]
	}
	at := strings.LastIndex(creds, "@")
	if at < 0 {
		return ""
	}
	_, pw, _ := strings.Cut(creds[:at], ":")
	return pw
}

// hasParam reports whether the DSN's query part sets name.
func hasParam(dsn, name string) bool {
	q := strings.LastIndex(dsn, "?")
	if q < 0 || q < strings.LastIndex(dsn, "/") {
		return false
	}
	vals, err := url.ParseQuery(dsn[q+1:])
	return err == nil && vals.Has(name)
}
