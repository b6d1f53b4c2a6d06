package daemon

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// JSONDecision is one decision in the JSON report.
type JSONDecision struct {
	BillingID ticagasync.BillingID `json:"billing_id"`
	Email     string               `json:"email"`
	CompanyID int64                `json:"company_id,omitempty"`
	Name      string               `json:"name,omitempty"`
	TicagaID  *int64               `json:"ticaga_id"`
	Action    string               `json:"action"`
	Reason    string               `json:"reason"`
	Detail    string               `json:"detail,omitempty"`
	Assigned  bool                 `json:"assigned,omitempty"`
	// Exclusion is who excluded the customer, when and why (action
	// excluded).
	Exclusion *ticagasync.Exclusion `json:"exclusion,omitempty"`
}

// JSONReport is the JSON report of one run: what `sync --output json`
// prints and the control socket carries.
type JSONReport struct {
	RunID      int64                      `json:"run_id,omitempty"`
	Source     string                     `json:"source"`
	Outcome    string                     `json:"outcome"`
	DryRun     bool                       `json:"dry_run"`
	Kind       ticagasync.RunKind         `json:"kind"`
	StartedAt  time.Time                  `json:"started_at"`
	FinishedAt time.Time                  `json:"finished_at"`
	Counts     ticagasync.Counts          `json:"counts"`
	APICalls   int                        `json:"api_calls"`
	ByEndpoint map[string]int             `json:"api_calls_by_endpoint"`
	Directory  ticagasync.DirectoryReport `json:"directory"`
	Error      string                     `json:"error,omitempty"`
	// LinkNotes is set when the run recorded links on the billing side
	// (TicketSource notes).
	LinkNotes *ticagasync.LinkNotesReport `json:"link_notes,omitempty"`
	Decisions []JSONDecision              `json:"decisions"`
}

// NewJSONReport is the JSON report of a run: decisions of already-linked
// customers are left out unless all is set (the control socket carries
// every decision, so the client can write a --report file). It holds every
// decision it reports: WriteJSONReport writes the same text without.
func NewJSONReport(rep *ticagasync.Report, all bool) JSONReport {
	out := jsonHead(rep)
	for d := range rep.All() {
		if jd, ok := jsonDecision(d, all); ok {
			out.Decisions = append(out.Decisions, jd)
		}
	}
	return out
}

// jsonHead is the JSON report of rep without its decisions.
func jsonHead(rep *ticagasync.Report) JSONReport {
	out := JSONReport{
		RunID: rep.RunID, Source: rep.Source, Outcome: string(rep.Outcome), DryRun: rep.DryRun, Kind: rep.Kind,
		StartedAt: rep.StartedAt.UTC(), FinishedAt: rep.FinishedAt.UTC(), Counts: rep.Counts,
		APICalls: rep.TotalAPICalls(), ByEndpoint: rep.APICalls, Directory: rep.Directory,
		Decisions: []JSONDecision{},
	}
	if out.ByEndpoint == nil {
		out.ByEndpoint = map[string]int{}
	}
	if n := rep.LinkNotes; n.Written > 0 || n.Failed > 0 {
		out.LinkNotes = &n
	}
	if rep.Err != nil {
		out.Error = rep.Err.Error()
	}
	return out
}

// jsonDecision is d in the JSON report; ok is false for an already linked
// customer unless all is set.
func jsonDecision(d ticagasync.Decision, all bool) (JSONDecision, bool) {
	if d.Action == ticagasync.ActionAlreadyLinked && !all {
		return JSONDecision{}, false
	}
	jd := JSONDecision{BillingID: d.Contact.BillingID, Email: d.Contact.Email, CompanyID: d.Contact.CompanyID,
		Name: d.Contact.Name(), Action: string(d.Action),
		Reason: string(d.Reason), Detail: d.Detail, Assigned: d.Assigned, Exclusion: d.Exclusion}
	if d.TicagaID != 0 {
		id := d.TicagaID
		jd.TicagaID = &id
	}
	return jd, true
}

// decisionsField is how the (last) decisions field of an indented
// JSONReport with no decision reads.
const decisionsField = `"decisions": []`

// WriteJSONReport writes NewJSONReport(rep, all) to w as
// json.MarshalIndent(report, prefix, "  ") would, without a final newline,
// one decision at a time: its memory does not grow with the decisions.
func WriteJSONReport(w io.Writer, rep *ticagasync.Report, all bool, prefix string) error {
	head, err := json.MarshalIndent(jsonHead(rep), prefix, "  ")
	if err != nil {
		return err
	}
	cut := bytes.LastIndex(head, []byte(decisionsField))
	if cut < 0 {
		return errors.New("daemon: JSON report without its decisions field")
	}
	bw := bufio.NewWriter(w)
	bw.Write(head[:cut+len(decisionsField)-1]) // up to the opening bracket
	inner := prefix + "    "
	n := 0
	keep := func(a ticagasync.Action) bool { return all || a != ticagasync.ActionAlreadyLinked }
	for d := range rep.Select(keep) {
		jd, _ := jsonDecision(d, all)
		b, err := json.MarshalIndent(jd, inner, "  ")
		if err != nil {
			return err
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n" + inner)
		bw.Write(b)
		n++
	}
	if n > 0 {
		bw.WriteString("\n" + prefix + "  ")
	}
	bw.WriteByte(']')
	bw.Write(head[cut+len(decisionsField):])
	return bw.Flush()
}

// Report turns a JSON report (from the daemon's control socket) back into
// a Report for printing. Only the decisions the JSON report holds are in
// it; the counts are whole. A decision's contact has its name as FirstName.
func (jr JSONReport) Report() *ticagasync.Report {
	rep := &ticagasync.Report{
		RunID: jr.RunID, Source: jr.Source, StartedAt: jr.StartedAt, FinishedAt: jr.FinishedAt, DryRun: jr.DryRun, Kind: jr.Kind,
		Outcome: ticagasync.Outcome(jr.Outcome), Counts: jr.Counts, APICalls: jr.ByEndpoint, Directory: jr.Directory,
	}
	if jr.LinkNotes != nil {
		rep.LinkNotes = *jr.LinkNotes
	}
	if jr.Error != "" {
		rep.Err = errors.New(jr.Error)
	}
	for _, d := range jr.Decisions {
		dec := ticagasync.Decision{
			Contact: ticagasync.Contact{BillingID: d.BillingID, CompanyID: d.CompanyID, Email: d.Email, FirstName: d.Name},
			Action:  ticagasync.Action(d.Action), Reason: ticagasync.Reason(d.Reason), Detail: d.Detail, Assigned: d.Assigned,
			Exclusion: d.Exclusion,
		}
		if d.TicagaID != nil {
			dec.TicagaID = *d.TicagaID
		}
		rep.Decisions = append(rep.Decisions, dec)
	}
	return rep
}

// ListLimit is how many decisions (or Ticaga users) of each kind the text
// reports list.
const ListLimit = 20

// WriteTextReport prints a summary a person reads in five seconds, then the
// customers that need a person, most actionable first.
func WriteTextReport(w io.Writer, rep *ticagasync.Report) {
	c := rep.Counts
	what := "run"
	if rep.DryRun {
		what = "dry run (nothing written)"
	}
	id := ""
	if rep.RunID != 0 {
		id = fmt.Sprintf(" %d", rep.RunID)
	}
	fmt.Fprintf(w, "%s%s %s: %s in %s\n", strings.ToUpper(what[:1])+what[1:], id, rep.Source, rep.Outcome,
		rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond))
	linked := "linked"
	if rep.DryRun {
		linked = "to link"
	}
	created := ""
	if c.Created > 0 {
		created = fmt.Sprintf(", %d %s", c.Created, map[bool]string{true: "to create", false: "Ticaga accounts created"}[rep.DryRun])
	}
	excluded := ""
	if c.Excluded > 0 {
		excluded = fmt.Sprintf(", %d excluded", c.Excluded)
	}
	fmt.Fprintf(w, "  %d contacts: %d %s%s, %d already linked, %d no match, %d conflict, %d invalid email, %d failed%s\n",
		c.Contacts, c.Linked, linked, created, c.AlreadyLinked, c.NoMatch, c.Conflict, c.InvalidEmail, c.Failed, excluded)
	fmt.Fprintf(w, "  Ticaga API calls: %d%s\n", rep.TotalAPICalls(), endpointBreakdown(rep.APICalls))
	d := rep.Directory
	fmt.Fprintf(w, "  directory: %d users (%d read, %d new, %d changed, %d removed)\n", d.Size, d.Fetched, d.Added, d.Changed, d.Removed)
	if n := rep.LinkNotes; n.Written > 0 || n.Failed > 0 {
		fmt.Fprintf(w, "  links recorded on the billing side: %d, failed %d%s\n", n.Written, n.Failed, errSuffix(n.Error))
	}
	if d.ResumedAt > 0 {
		fmt.Fprintf(w, "  directory scan resumed at Ticaga id %d, where an interrupted run left it\n", d.ResumedAt)
	}
	if rep.Err != nil {
		fmt.Fprintf(w, "  error: %s\n", OneLine(rep.Err))
	}
	writeUnknownUsers(w, "Ticaga users whose answer is unknown (nothing is linked until they are answered or unreadable)", d.Unknown)
	writeUnknownUsers(w, "Unreadable Ticaga users (linked around: a customer with one's email may be missed or linked to another user)", d.Unreadable)
	section(w, rep, ticagasync.ActionFailed, "Failed (retried next run)")
	section(w, rep, ticagasync.ActionConflict, "Conflicts (a person decides)")
	section(w, rep, ticagasync.ActionInvalidEmail, "Invalid email")
	section(w, rep, ticagasync.ActionLink, map[bool]string{true: "Would link", false: "Linked"}[rep.DryRun])
	section(w, rep, ticagasync.ActionCreate, map[bool]string{true: "Would create a Ticaga account", false: "Ticaga accounts created"}[rep.DryRun])
	section(w, rep, ticagasync.ActionNoMatch, "No Ticaga user")
	section(w, rep, ticagasync.ActionExcluded, "Excluded by an operator (ticaga-sync include undoes it)")
}

// writeUnknownUsers lists Ticaga users whose answer stayed unknown, with
// how long and the last error.
func writeUnknownUsers(w io.Writer, title string, us []ticagasync.UnknownUser) {
	writeList(w, title, us, func(u ticagasync.UnknownUser) string {
		return u.String()
	})
}

// writeList prints title with the count, then a tab-aligned line per item,
// at most ListLimit of them; nothing for no items.
func writeList[T any](w io.Writer, title string, items []T, line func(T) string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s: %d\n", title, len(items))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, it := range items {
		if i == ListLimit {
			fmt.Fprintf(tw, "  ... and %d more (see --output json or ticaga-sync status)\n", len(items)-ListLimit)
			break
		}
		fmt.Fprintf(tw, "  %s\n", line(it))
	}
	tw.Flush()
}

func endpointBreakdown(m map[string]int) string {
	if len(m) == 0 {
		return ""
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func section(w io.Writer, rep *ticagasync.Report, a ticagasync.Action, title string) {
	var ds []ticagasync.Decision
	for d := range rep.All() {
		if d.Action == a {
			ds = append(ds, d)
		}
	}
	writeList(w, title, ds, func(d ticagasync.Decision) string {
		ticaga := "-"
		if d.TicagaID != 0 {
			ticaga = fmt.Sprintf("ticaga %d", d.TicagaID)
		}
		return fmt.Sprintf("client %s\t%s\t%s\t%s\t%s", d.Contact.BillingID, d.Contact.Email, ticaga, d.Reason, d.Detail)
	})
}

// errSuffix is ": err" for a non-empty err.
func errSuffix(err string) string {
	if err == "" {
		return ""
	}
	return ": " + err
}
