package statuspage

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// page is what the template renders.
type page struct {
	CSS       template.CSS
	Generated string
	Version   string
	Sources   []sourceView
	PerGroup  int
}

type sourceView struct {
	Name, System, Ticaga string
	Problem              string
	// Errors are the reads that failed, one line each.
	Errors    []string
	Runs      []runView
	RunsShown int
	Directory *directoryView
	// Unreadable lists the first unreadable users; UnreadableMore counts
	// the rest. Pending counts the unknown users that still block links.
	Unreadable      []userView
	UnreadableTotal int
	UnreadableMore  int
	UnreadableAfter int
	Pending         int
	NotLinked       int
	Groups          []groupView
}

type runView struct {
	ID                   int64
	Outcome              string
	Class                string // ok, running or not-ok
	DryRun               bool
	Started, Took        string
	Counts, Error, Calls string
}

type directoryView struct {
	Users              int
	MaxID              int64
	Oldest, Newest     string
	Scan               string
	Empty, ScanRunning bool
}

type userView struct {
	ID                  int64
	Since, Last, Errors string
	Runs                int
}

type groupView struct {
	Action, Reason string
	Total, More    int
	Customers      []customerView
}

type customerView struct {
	BillingID ticagasync.BillingID
	Email     string
	TicagaID  int64
	Detail    string
	Since     string
}

// build reads every source and makes the page. A read that fails is shown
// in its source's section; the rest of the page is still shown.
func build(ctx context.Context, opt Options) page {
	now := opt.Now()
	p := page{CSS: template.CSS(pageCSS), Generated: stamp(now, now, opt.Location), Version: opt.Version, PerGroup: opt.PerGroup}
	for _, s := range opt.Sources() {
		p.Sources = append(p.Sources, buildSource(ctx, opt, s, now))
	}
	return p
}

func buildSource(ctx context.Context, opt Options, s Source, now time.Time) sourceView {
	v := sourceView{Name: s.Name, System: s.System, Ticaga: s.Ticaga, Problem: s.Problem, UnreadableAfter: s.UnreadableAfter}
	if s.Reader == nil {
		return v
	}
	fail := func(what string, err error) {
		v.Errors = append(v.Errors, what+": "+oneLine(err.Error()))
	}
	loc := opt.Location

	runs, err := s.Reader.SourceRuns(ctx, s.Name, opt.Runs)
	if err != nil {
		fail("recent runs", err)
	}
	for _, r := range runs {
		v.Runs = append(v.Runs, runOf(r, now, loc))
	}
	v.RunsShown = opt.Runs

	f, err := s.Reader.DirectoryFreshness(ctx, s.Target)
	if err != nil {
		fail("directory", err)
	} else {
		d := &directoryView{Users: f.Users, MaxID: f.MaxID, Empty: f.Users == 0}
		if !d.Empty {
			d.Oldest, d.Newest = stamp(f.Oldest, now, loc), stamp(f.Newest, now, loc)
		}
		if sc := f.Scan; sc != nil {
			kind := "scan"
			if sc.Full {
				kind = "full rescan"
			}
			d.ScanRunning = true
			d.Scan = fmt.Sprintf("A %s is under way or was interrupted: the next id to read is %d (started %s, position saved %s).",
				kind, sc.Next, stamp(sc.StartedAt, now, loc), stamp(sc.SavedAt, now, loc))
		}
		v.Directory = d
	}

	// Unreadable: unknown for UnreadableAfter runs (never when it is 0);
	// the others still block links.
	_, unknown, err := s.Reader.UnknownUsers(ctx, s.Target, 0, 0)
	if err != nil {
		fail("unknown Ticaga users", err)
	} else if s.UnreadableAfter > 0 {
		us, total, err := s.Reader.UnknownUsers(ctx, s.Target, s.UnreadableAfter, opt.Users)
		if err != nil {
			fail("unreadable Ticaga users", err)
		}
		for _, u := range us {
			v.Unreadable = append(v.Unreadable, userView{ID: u.ID, Since: stamp(u.FirstAt, now, loc),
				Last: stamp(u.LastAt, now, loc), Runs: u.Runs, Errors: oneLine(u.LastError)})
		}
		v.UnreadableTotal, v.UnreadableMore = total, total-len(us)
		v.Pending = max(unknown-total, 0)
	} else {
		v.Pending = unknown
	}

	groups, err := s.Reader.DecisionGroups(ctx, s.Name, opt.PerGroup)
	if err != nil {
		fail("customers not linked", err)
	}
	for _, g := range groups {
		gv := groupView{Action: string(g.Action), Reason: string(g.Reason), Total: g.Total, More: g.Total - len(g.Decisions)}
		if gv.Reason == "" {
			gv.Reason = "no reason given"
		}
		for _, d := range g.Decisions {
			gv.Customers = append(gv.Customers, customerView{BillingID: d.BillingID, Email: d.Email, TicagaID: d.TicagaID,
				Detail: oneLine(d.Detail), Since: stamp(d.Since, now, loc)})
		}
		v.NotLinked += g.Total
		v.Groups = append(v.Groups, gv)
	}
	return v
}

func runOf(r ticagasync.RunRecord, now time.Time, loc *time.Location) runView {
	v := runView{ID: r.ID, Outcome: string(r.Outcome), DryRun: r.DryRun, Started: stamp(r.StartedAt, now, loc),
		Class: "not-ok", Error: oneLine(r.Error)}
	switch r.Outcome {
	case ticagasync.OutcomeCompleted:
		v.Class = "ok"
	case ticagasync.OutcomeRunning:
		v.Class = "running"
	}
	switch {
	case !r.FinishedAt.IsZero():
		v.Took = duration(r.FinishedAt.Sub(r.StartedAt))
	case r.Outcome == ticagasync.OutcomeRunning:
		v.Took = "running for " + duration(now.Sub(r.StartedAt))
	default:
		v.Took = "unknown"
	}
	if r.Outcome == ticagasync.OutcomeRunning {
		v.Counts = "In progress: its counts are recorded when it ends"
		return v
	}
	c := r.Counts
	v.Counts = fmt.Sprintf("%d contacts: %d linked, %d created, %d already linked, %d no match, %d conflict, %d invalid email, %d failed",
		c.Contacts, c.Linked, c.Created, c.AlreadyLinked, c.NoMatch, c.Conflict, c.InvalidEmail, c.Failed)
	v.Calls = fmt.Sprintf("%d Ticaga API calls", r.APICalls)
	return v
}

// stamp shows t in loc with its zone, and how long ago it was:
// "2026-12-02 03:04:05 UTC (5m ago)".
func stamp(t, now time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "never"
	}
	s := t.In(loc).Format("2006-01-02 15:04:05 MST")
	switch d := now.Sub(t); {
	case d < 0:
		return s
	case d < time.Second:
		return s + " (just now)"
	default:
		return s + " (" + duration(d) + " ago)"
	}
}

// duration rounds d for people: "850ms", "12s", "3m20s", "2h5m", "3d4h".
func duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	default:
		days := d / (24 * time.Hour)
		return fmt.Sprintf("%dd%dh", days, (d-days*24*time.Hour)/time.Hour)
	}
}

// oneLine makes s one line (control characters become spaces).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
}
