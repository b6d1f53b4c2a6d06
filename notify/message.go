package notify

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// labels name the new decisions of an action in a subject, singular and
// plural, most urgent first.
var labels = []struct {
	action         ticagasync.Action
	single, plural string
}{
	{ticagasync.ActionConflict, "new conflict", "new conflicts"},
	{ticagasync.ActionFailed, "new failed link", "new failed links"},
	{ticagasync.ActionInvalidEmail, "new invalid email", "new invalid emails"},
	{ticagasync.ActionNoMatch, "new unmatched customer", "new unmatched customers"},
}

// subjectOf returns the subject of ev's email: "ticaga-sync blesta: 3 new
// conflicts, 1 resolved", "ticaga-sync blesta: run failed",
// "ticaga-sync blesta: recovered".
func subjectOf(ev event) string {
	prefix := "ticaga-sync " + ev.source + ": "
	if ev.kind == KindFailed {
		return prefix + "run failed"
	}
	var parts []string
	if ev.kind == KindRecovered {
		parts = append(parts, "recovered")
	}
	for _, l := range labels {
		n := 0
		for _, d := range ev.fresh {
			if d.Action == l.action {
				n++
			}
		}
		switch {
		case n == 1:
			parts = append(parts, "1 "+l.single)
		case n > 1:
			parts = append(parts, fmt.Sprintf("%d %s", n, l.plural))
		}
	}
	if ev.freshUnreadable > 0 {
		parts = append(parts, fmt.Sprintf("%d unreadable Ticaga user(s)", ev.freshUnreadable))
	}
	if ev.resolved > 0 {
		parts = append(parts, fmt.Sprintf("%d resolved", ev.resolved))
	}
	return prefix + strings.Join(parts, ", ")
}

// bodyOf returns the plain-text body of ev's email.
func bodyOf(ev event) string {
	r := ev.rep
	var b strings.Builder
	took := r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond)
	fmt.Fprintf(&b, "Source %s, run %d: %s at %s (took %s).\n\n", ev.source, r.RunID, r.Outcome,
		r.FinishedAt.UTC().Format("2006-01-02 15:04:05 MST"), took)
	if ev.kind == KindFailed {
		fmt.Fprintf(&b, "The run failed:\n  %s\n\n", strings.ReplaceAll(ev.err, "\n", "\n  "))
		b.WriteString("No other message is sent while runs fail with this same error;\n" +
			"one is sent when a run goes through again.\n")
		writeUnreadable(&b, ev)
		return b.String()
	}
	if ev.kind == KindRecovered {
		b.WriteString("Runs go through again after a failure.\n")
	}
	c := r.Counts
	fmt.Fprintf(&b, "%d new open decision(s) since the last message, %d resolved; %d open in all.\n",
		len(ev.fresh), ev.resolved, ev.open)
	created := ""
	if c.Created > 0 {
		created = fmt.Sprintf(", %d Ticaga accounts created", c.Created)
	}
	fmt.Fprintf(&b, "%d contacts: %d linked%s, %d already linked, %d no match, %d conflict, %d invalid email, %d failed\n",
		c.Contacts, c.Linked, created, c.AlreadyLinked, c.NoMatch, c.Conflict, c.InvalidEmail, c.Failed)
	listed, more := capList(ev.fresh)
	if len(listed) > 0 {
		b.WriteString("\nNew (a person decides):\n")
	}
	for _, d := range listed {
		ticaga := "no Ticaga user"
		if d.TicagaID != 0 {
			ticaga = fmt.Sprintf("Ticaga user %d", d.TicagaID)
		}
		fmt.Fprintf(&b, "\n- client %s <%s>\n  %s: %s, %s\n", d.Contact.BillingID, oneLine(d.Contact.Email),
			d.Action, d.Reason, ticaga)
		if d.Detail != "" {
			fmt.Fprintf(&b, "  %s\n", oneLine(d.Detail))
		}
	}
	if more > 0 {
		fmt.Fprintf(&b, "\n... and %d more.\n", more)
	}
	writeUnreadable(&b, ev)
	b.WriteString("\nEvery open decision: ticaga-sync status\n")
	return b.String()
}

// writeUnreadable lists the run's unreadable Ticaga users, if any.
func writeUnreadable(b *strings.Builder, ev event) {
	if len(ev.unreadable) == 0 {
		return
	}
	fmt.Fprintf(b, "\nUnreadable Ticaga users: %d (%d new). Ticaga never answered them clearly, so runs\n"+
		"link around them: a customer with one's email may be missed or linked to another user.\n",
		len(ev.unreadable), ev.freshUnreadable)
	for i, u := range ev.unreadable {
		if i == MaxListed {
			fmt.Fprintf(b, "... and %d more.\n", len(ev.unreadable)-MaxListed)
			break
		}
		fmt.Fprintf(b, "- %s\n", u)
	}
}

// compose returns the whole message: headers and a quoted-printable UTF-8
// body.
func compose(from *mail.Address, to []*mail.Address, subject, body string, date time.Time) []byte {
	var rcpt []string
	for _, a := range to {
		rcpt = append(rcpt, a.String())
	}
	var m bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&m, "%s: %s\r\n", k, v) }
	header("From", from.String())
	header("To", strings.Join(rcpt, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", oneLine(subject)))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID(from.Address, date))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	m.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&m)
	_, _ = qp.Write([]byte(body))
	_ = qp.Close()
	return m.Bytes()
}

// messageID returns a unique Message-ID in the sender's domain.
func messageID(from string, date time.Time) string {
	domain := from[strings.LastIndexByte(from, '@')+1:]
	if domain == "" || !isASCII(domain) {
		domain = "ticaga-sync.invalid"
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	return fmt.Sprintf("<%d.%s@%s>", date.UnixNano(), hex.EncodeToString(r[:]), domain)
}

// oneLine replaces control characters (CR, LF, ...) with spaces, so that
// text from the billing database cannot break a header or a list.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// isASCII reports whether s is plain ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
