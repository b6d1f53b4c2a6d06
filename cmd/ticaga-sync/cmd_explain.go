package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdExplain tells why a customer is (not) linked: the decision the planner
// takes now, from the billing row, the cached Ticaga directory and the
// pairing table, with every fact behind it and the last run that touched
// the customer. It makes no Ticaga call.
func cmdExplain(ctx context.Context, args []string, env Env) int {
	var configFile, email, output string
	var client billingID
	var sources nameList
	fs := newFlags("explain", env, &configFile)
	fs.Var(&client, "client", "the billing client `ID` to explain (a number, or a TicketSource id cst-...)")
	fs.StringVar(&email, "email", "", "explain the customers and Ticaga users with this `ADDRESS`")
	fs.Var(&sources, "source", "only this source `NAME` (repeatable)")
	fs.StringVar(&output, "output", "text", "text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if (client == "") == (email == "") {
		fmt.Fprintln(env.Stderr, "ticaga-sync explain: give exactly one of --client ID or --email ADDRESS")
		return exitUsage
	}
	if output != "text" && output != "json" {
		fmt.Fprintf(env.Stderr, "ticaga-sync explain: --output must be text or json, got %q\n", output)
		return exitUsage
	}
	return withApp(ctx, configFile, env, true, func(a *daemon.App) int {
		found := false
		doc := explainJSON{Client: ticagasync.BillingID(client), Email: email, Sources: []explainSourceJSON{}}
		for _, s := range a.Select(sources, nil) {
			if s.Problem() != nil {
				doc.Sources = append(doc.Sources, explainSourceJSON{Source: s.Name(), Problem: oneLine(s.Problem()), Customers: []customerJSON{}})
				if output == "text" {
					fmt.Fprintf(env.Stdout, "source %s cannot run: %s\n\n", s.Name(), oneLine(s.Problem()))
				}
				continue
			}
			res, err := s.Engine().Explain(ctx, ticagasync.BillingID(client), email)
			if err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s\n", s.Name(), oneLine(err))
				return exitFailed
			}
			found = found || len(res.Explanations) > 0
			if output == "json" {
				doc.Sources = append(doc.Sources, newExplainSourceJSON(s, ticagasync.BillingID(client), res))
				continue
			}
			printExplainResult(env.Stdout, s, ticagasync.BillingID(client), email, res)
		}
		if output == "json" {
			doc.Found = found
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			if err := enc.Encode(doc); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: %v\n", err)
				return exitFailed
			}
		}
		if !found {
			if output == "text" {
				fmt.Fprintln(env.Stdout, "No source selects this customer (see above for why).")
			}
			return exitFailed
		}
		return exitOK
	})
}

// printExplainResult prints the explanation for the matching customers of
// one source or, for a customer it does not select, exactly why.
func printExplainResult(w io.Writer, s *daemon.Source, client ticagasync.BillingID, email string, res ticagasync.ExplainResult) {
	for _, x := range res.Explanations {
		printExplanation(w, s, res, x)
	}
	if len(res.Explanations) > 0 {
		return
	}
	switch {
	case res.EmailKey != "":
		fmt.Fprintf(w, "source %s: no selected billing customer has %q.\n", s.Name(), email)
		printUsers(w, res.UsersWithEmail)
		if res.DirectoryIncomplete() {
			fmt.Fprintf(w, "  (%s)\n", directoryNote(res))
		}
	case res.Lookup != nil:
		fmt.Fprintf(w, "source %s: %s\n", s.Name(), daemon.NotSelectedLine(client, *res.Lookup))
		if l := res.Lookup; l.Found {
			c := l.Contact
			fmt.Fprintf(w, "  billing row: name %q, email %q, status %s, billing company %d\n", c.Name(), c.Email, c.Status, c.CompanyID)
			if c.Problem != "" {
				fmt.Fprintf(w, "  problem: %s\n", c.Problem)
			}
		}
	default:
		fmt.Fprintf(w, "source %s: client %s is not selected (this billing reader cannot say why).\n", s.Name(), client)
	}
	fmt.Fprintln(w)
}

// printExplanation prints one customer's decision and the facts behind it.
func printExplanation(w io.Writer, s *daemon.Source, res ticagasync.ExplainResult, x ticagasync.Explanation) {
	d, c := x.Decision, x.Decision.Contact
	fmt.Fprintf(w, "Client %s (source %s, Ticaga %s)\n", c.BillingID, s.Name(), configs.RedactURL(s.Engine().Target))
	fmt.Fprintf(w, "  decision now:  %s %s\n", d.Action, d.Reason)
	if d.Detail != "" {
		fmt.Fprintf(w, "                 %s\n", d.Detail)
	}
	fmt.Fprintf(w, "  what to do:    %s\n", explainHint(x, res))
	if x := d.Exclusion; x != nil {
		reason := x.Reason
		if reason == "" {
			reason = "(no reason given)"
		}
		fmt.Fprintf(w, "  excluded:      by %s at %s: %s\n", x.By, stamp(x.At), reason)
	}

	fmt.Fprintln(w, "  billing row:")
	key, ok := ticagasync.NormalizeEmail(c.Email)
	fmt.Fprintf(w, "    name %q, company %q, status %s, billing company %d\n", c.Name(), c.Company, c.Status, c.CompanyID)
	switch {
	case c.Problem != "":
		fmt.Fprintf(w, "    problem: %s\n", c.Problem)
	case !ok:
		fmt.Fprintf(w, "    email %q is not a usable address\n", c.Email)
	default:
		fmt.Fprintf(w, "    email %q, matched as %q\n", c.Email, key)
		if len(x.OtherClients) > 0 {
			same := make([]string, len(x.OtherClients))
			for i, id := range x.OtherClients {
				same[i] = fmt.Sprint(id)
			}
			fmt.Fprintf(w, "    other billing clients with this email: %s\n", strings.Join(same, ", "))
		}
		printUsers(w, x.Users)
	}
	printUnknownUsers(w, s.Engine().UnreadableAfter, x.Unknown)

	fmt.Fprintln(w, "  ticaga_billing:")
	for _, p := range x.Pairings {
		fmt.Fprintf(w, "    Ticaga user %d <-> %s client %s (%q, company %d)\n", p.TicagaUserID, p.BillingSystem, p.BillingUserID, p.Email, p.CompanyID)
	}
	if len(x.Pairings) == 0 {
		fmt.Fprintln(w, "    no row pairs this client or its Ticaga user")
	}
	if rec := x.Recorded; rec != nil {
		fmt.Fprintf(w, "  last recorded: %s %s since %s (recorded by run %d at %s)\n", rec.Action, rec.Reason,
			stamp(rec.Since), rec.RunID, stamp(rec.LastSeen))
	} else {
		fmt.Fprintln(w, "  last recorded: nothing open (linked, or never seen by a run)")
	}
	fmt.Fprintf(w, "  (%s)\n", directoryNote(res))
	fmt.Fprintln(w)
}

// directoryNote says what the directory the decisions were made from
// knows.
func directoryNote(res ticagasync.ExplainResult) string {
	const relink = "a run re-reads the Ticaga user before linking"
	switch {
	case res.Scan != nil && res.Scan.Full:
		return fmt.Sprintf("decided now from the cached directory of %d Ticaga users; a full rescan stopped before id %d and the next run resumes it; %s",
			res.DirectoryUsers, res.Scan.Next, relink)
	case res.Scan != nil:
		return fmt.Sprintf("decided now from the cached directory of %d Ticaga users; its scan stopped before id %d, the users from there on are not read yet, and the next run resumes it; %s",
			res.DirectoryUsers, res.Scan.Next, relink)
	case res.DirectoryUsers == 0:
		return "decided now from the cached directory, which holds no Ticaga user: no run has read any yet, or Ticaga has none; until a run has read them, \"no Ticaga user\" only means none read"
	}
	return "decided now from the cached directory; " + relink
}

// explainHint is hint(d) for x, except for a decision that rests on a
// Ticaga user not being in a directory that is not wholly read: the next
// run may decide otherwise, and nothing should be changed before it.
func explainHint(x ticagasync.Explanation, res ticagasync.ExplainResult) string {
	d := x.Decision
	if res.DirectoryIncomplete() && restsOnAbsentUser(x) {
		return "nothing yet: Ticaga's users are not all read (see the note below), and this decision rests on a user that is not; the next run reads them and decides again. Change nothing before then."
	}
	return hint(d)
}

// restsOnAbsentUser reports whether x was decided as it was because no
// read Ticaga user has its email: no match, an account to create, or a
// pairing row whose Ticaga user has not been read with this email.
func restsOnAbsentUser(x ticagasync.Explanation) bool {
	switch d := x.Decision; {
	case d.Action == ticagasync.ActionNoMatch, d.Action == ticagasync.ActionCreate:
		return true
	case d.Reason == ticagasync.ReasonClientPairedElsewhere && len(x.Users) == 0:
		return true
	}
	return false
}

// printUsers prints the directory's users with an email.
func printUsers(w io.Writer, users []ticagasync.TicagaUser) {
	for _, u := range users {
		billing := "no billing id"
		if u.HasBillingID() {
			billing = fmt.Sprintf("billing id %s of %q", u.BillingID, u.BillingSystem)
		}
		fmt.Fprintf(w, "    Ticaga user %d %q: %s (read %s ago)\n", u.ID, u.Email, billing, time.Since(u.FetchedAt).Round(time.Second))
	}
	if len(users) == 0 {
		fmt.Fprintln(w, "    no Ticaga user in the directory has this email")
	}
}

// printUnknownUsers names the Ticaga users whose answer is unknown, which
// Explain lists when they could change the decision: any of them might
// have the customer's email.
func printUnknownUsers(w io.Writer, after int, unknown []ticagasync.UnknownUser) {
	if len(unknown) == 0 {
		return
	}
	fmt.Fprintln(w, "  unknown Ticaga users (any of them may have this email, which would change the decision):")
	for i, u := range unknown {
		if i == daemon.ListLimit {
			fmt.Fprintf(w, "    ... and %d more (see ticaga-sync status)\n", len(unknown)-daemon.ListLimit)
			break
		}
		state := "blocks every link until Ticaga answers it"
		if u.Unreadable(after) {
			state = "UNREADABLE: runs link around it"
		}
		fmt.Fprintf(w, "    %s (%s)\n", u, state)
	}
}

// hint says, in a sentence, what a person can do about a decision.
func hint(d ticagasync.Decision) string {
	switch d.Reason {
	case ticagasync.ReasonNone:
		switch d.Action {
		case ticagasync.ActionAlreadyLinked:
			return "nothing: linked on both sides."
		case ticagasync.ActionCreate:
			return "nothing: the next run creates its Ticaga account and links it."
		}
		return "nothing: the next run links it."
	case ticagasync.ReasonOperatorExcluded:
		return fmt.Sprintf("nothing: an operator excluded it; `ticaga-sync include --client %s` lets runs link it again.", d.Contact.BillingID)
	case ticagasync.ReasonProvisionLimit:
		return "nothing: a later run creates the account (SYNC_PROVISION_MAX accounts are created per run)."
	case ticagasync.ReasonProvisionBlocked:
		return "no account is created while a Ticaga user is unreadable (see ticaga-sync status); it is created once Ticaga answers it."
	case ticagasync.ReasonProvisionRefused:
		return "Ticaga refused the account (see the detail): correct the customer's data in the billing system; later runs try again."
	case ticagasync.ReasonTicagaEmailTaken:
		return "a Ticaga account with this email exists that the directory did not know; the next run reads it and links it."
	case ticagasync.ReasonNoTicagaUser:
		return "nothing to fix here: it links on the first run after a Ticaga account with this email exists."
	case ticagasync.ReasonMalformedEmail, ticagasync.ReasonBadBillingRow:
		return "correct the customer's primary contact email in the billing system."
	case ticagasync.ReasonDuplicateBillingEmail:
		return "give each billing client its own email, or link the right one by hand in the billing plugin."
	case ticagasync.ReasonDuplicateTicagaEmail:
		return "merge or remove the extra Ticaga accounts so one user has this email."
	case ticagasync.ReasonTicagaOtherBillingID, ticagasync.ReasonTicagaOtherBillingSystem:
		return "the Ticaga user is linked to another billing customer; if that is wrong, clear it in Ticaga and run again."
	case ticagasync.ReasonClientPairedElsewhere, ticagasync.ReasonTicagaUserPairedElsewhere:
		return "ticaga_billing pairs them otherwise; if that row is wrong, remove it with `ticaga-sync unlink` and run again."
	default:
		return "see the detail; `ticaga-sync sync --client ID` retries it."
	}
}
