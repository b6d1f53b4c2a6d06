package store

import (
	"net/url"
	"strings"
)

// redact removes the DSN's password from msg. Like the driver, it takes the
// credentials to end at the last "@" before the last "/".
func redact(msg, dsn string) string {
	creds := dsn
	if slash := strings.LastIndex(creds, "/"); slash >= 0 {
		creds = creds[:slash]
	}
	at := strings.LastIndex(creds, "@")
	if at < 0 {
		return msg
	}
	_, pw, ok := strings.Cut(creds[:at], ":")
	if !ok || pw == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, dsn, "[dsn]")
	return strings.ReplaceAll(msg, pw, "*****")
}

// dsnHasParam reports whether the DSN's query part sets name.
func dsnHasParam(dsn, name string) bool {
	q := strings.LastIndex(dsn, "?")
	if q < 0 || q < strings.LastIndex(dsn, "/") {
		return false
	}
	vals, err := url.ParseQuery(dsn[q+1:])
	return err == nil && vals.Has(name)
}
