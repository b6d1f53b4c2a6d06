// Package statuspage serves the daemon's read-only status page (/ on
// HTTP_ADDR): each source, its recent runs, the freshness of its Ticaga
// directory, the customers not linked grouped by reason with the facts
// behind each, and the Ticaga users that stay unreadable.
//
// The page is rendered on the server with html/template (every value is
// escaped), needs no JavaScript, and reads its data through
// ticagasync.StatusReader, whose queries are bounded: each list is capped
// and says how many more there are. It shows no secret: the Ticaga URL it
// is given is already redacted, and it never renders a source's Target.
package statuspage

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Source is one source as the page shows it.
type Source struct {
	// Name is the source's name (runs, decisions and locks are kept under
	// it).
	Name string
	// System is the billing system's kind ("blesta", "whmcs", ...).
	System string
	// Ticaga is the source's Ticaga URL for people, with any password
	// already redacted.
	Ticaga string
	// Target is the key of the source's Ticaga directory in the store (the
	// raw TICAGA_URL). It is used for queries and never shown.
	Target string
	// UnreadableAfter is TICAGA_UNREADABLE_AFTER: runs after which an
	// unknown Ticaga user is unreadable (0: never).
	UnreadableAfter int
	// Problem is why the source cannot run ("" when it can); Reader may
	// then be nil.
	Problem string
	// Reader reads the source's runs, directory and decisions.
	Reader ticagasync.StatusReader
}

// Options configure Handler.
type Options struct {
	// Sources returns the sources as they are now (the daemon's current
	// configuration, which a reload replaces).
	Sources func() []Source
	// Runs is how many recent runs are shown per source (default 10).
	Runs int
	// PerGroup is how many customers are listed per reason, and Users how
	// many unreadable Ticaga users per source (default 20 each); the page
	// says how many more there are.
	PerGroup, Users int
	// Location is the time zone times are shown in (default time.Local);
	// each time carries its zone.
	Location *time.Location
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Timeout bounds the reads of one request (default 10s).
	Timeout time.Duration
	// Version is shown in the footer.
	Version string
}

func (o Options) withDefaults() Options {
	if o.Runs <= 0 {
		o.Runs = 10
	}
	if o.PerGroup <= 0 {
		o.PerGroup = 20
	}
	if o.Users <= 0 {
		o.Users = 20
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Sources == nil {
		o.Sources = func() []Source { return nil }
	}
	return o
}

// maxConcurrent bounds the pages rendered at once, so that a burst of
// requests cannot take the store's connections from the runs.
const maxConcurrent = 2

//go:embed page.html.tmpl
var pageSource string

//go:embed page.css
var pageCSS string

var (
	pageTemplate = template.Must(template.New("page").Parse(pageSource))
	// contentSecurityPolicy allows the page's one inline style sheet and
	// nothing else: no script, no image, no frame, no form.
	contentSecurityPolicy = func() string {
		sum := sha256.Sum256([]byte(pageCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	}()
)

// Handler serves the status page for GET and HEAD (405 for any other
// method). Mount it on the exact path "/" ("/{$}"): it answers every
// request it is given.
func Handler(opt Options) http.Handler {
	opt = opt.withDefaults()
	sem := make(chan struct{}, maxConcurrent)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), opt.Timeout)
		defer cancel()
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			http.Error(w, "busy: try again", http.StatusServiceUnavailable)
			return
		}
		v := build(ctx, opt)
		var buf bytes.Buffer
		if err := pageTemplate.Execute(&buf, v); err != nil {
			http.Error(w, "status page: "+err.Error(), http.StatusInternalServerError)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(buf.Bytes())
		}
	})
}
