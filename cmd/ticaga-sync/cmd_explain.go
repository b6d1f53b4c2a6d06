package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdExplain tells why a customer is (not) linked: the decision the planner
// takes now, from the billing row, the cached Ticaga directory and the
// pairing table, with every fact behind it and the last run that touched
// the customer. It makes no Ticaga call.
func cmdExplain(ctx context.Context, args []string, env Env) int {
	var configFile, email string
	var client int64
	var sources nameList
	fs := newFlags("explain", env, &configFile)
	fs.Int64Var(&client, "client", 0, "the billing client `ID` to explain")
	fs.StringVar(&email, "email", "", "explain the customers and Ticaga users with this `ADDRESS`")
	fs.Var(&sources, "source", "only this source `NAME` (repeatable)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if (client <= 0) == (email == "") {
		fmt.Fprintln(env.Stderr, "ticaga-sync explain: give exactly one of --client ID or --email ADDRESS")
		return exitUsage
	}
	return withApp(ctx, configFile, env, true, func(a *app) int {
		found := false
		for _, s := range a.selected(sources, nil) {
			if s.problem != nil {
				fmt.Fprintf(env.Stdout, "source %s cannot run: %s\n\n", s.name, oneLine(s.problem))
				continue
			}
			ok, err := explainSource(ctx, env.Stdout, s, client, email)
			if err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s\n", s.name, oneLine(err))
				return exitFailed
			}
			found = found || ok
		}
		if !found {
			fmt.Fprintln(env.Stdout, "No billing customer matches (inactive, another company, or not in the billing database).")
			return exitFailed
		}
		return exitOK
	})
}

// explainSource prints the explanation for the matching customers of one
// source and reports whether any matched.
func explainSource(ctx context.Context, w io.Writer, s *source, client int64, email string) (bool, error) {
	var contacts []ticagasync.Contact
	if err := s.engine.Source.EachContact(ctx, func(c ticagasync.Contact) error { contacts = append(contacts, c); return nil }); err != nil {
		return false, fmt.Errorf("read billing contacts: %w", err)
	}
	users, err := s.store.DirectoryUsers(ctx, s.engine.Target)
	if err != nil {
		return false, err
	}
	var pairings []ticagasync.Pairing
	if err := s.store.EachPairing(ctx, func(p ticagasync.Pairing) error { pairings = append(pairings, p); return nil }); err != nil {
		return false, err
	}
	unknown, _, err := s.store.DirectoryProgress(ctx, s.engine.Target)
	if err != nil {
		return false, err
	}
	decisions := ticagasync.Plan(ticagasync.PlanInput{System: s.engine.System, Contacts: contacts, Users: users, Pairings: pairings})

	key, _ := ticagasync.NormalizeEmail(email)
	matched := false
	for _, d := range decisions {
		ck, _ := ticagasync.NormalizeEmail(d.Contact.Email)
		if (client > 0 && d.Contact.BillingID == client) || (key != "" && ck == key) {
			matched = true
			if err := explainDecision(ctx, w, s, d, contacts, users, pairings, unknown); err != nil {
				return true, err
			}
		}
	}
	if !matched && key != "" {
		fmt.Fprintf(w, "source %s: no selected billing customer has %q.\n", s.name, email)
		printUsersWithKey(w, users, key)
		fmt.Fprintln(w)
	}
	return matched, nil
}

func explainDecision(ctx context.Context, w io.Writer, s *source, d ticagasync.Decision, contacts []ticagasync.Contact,
	users []ticagasync.TicagaUser, pairings []ticagasync.Pairing, unknown []ticagasync.UnknownUser) error {
	c := d.Contact
	fmt.Fprintf(w, "Client %d (source %s, Ticaga %s)\n", c.BillingID, s.name, s.engine.Target)
	fmt.Fprintf(w, "  decision now:  %s %s\n", d.Action, d.Reason)
	if d.Detail != "" {
		fmt.Fprintf(w, "                 %s\n", d.Detail)
	}
	fmt.Fprintf(w, "  what to do:    %s\n", hint(d))

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
		var same []string
		for _, o := range contacts {
			if ok2, _ := ticagasync.NormalizeEmail(o.Email); ok2 == key && o.BillingID != c.BillingID {
				same = append(same, fmt.Sprint(o.BillingID))
			}
		}
		if len(same) > 0 {
			fmt.Fprintf(w, "    other billing clients with this email: %s\n", strings.Join(same, ", "))
		}
		printUsersWithKey(w, users, key)
	}
	printUnknownUsers(w, s.engine.UnreadableAfter, d, unknown)

	fmt.Fprintln(w, "  ticaga_billing:")
	n := 0
	for _, p := range pairings {
		if (p.BillingUserID == c.BillingID && strings.EqualFold(p.BillingSystem, s.engine.System)) || (d.TicagaID != 0 && p.TicagaUserID == d.TicagaID) {
			fmt.Fprintf(w, "    Ticaga user %d <-> %s client %d (%q, company %d)\n", p.TicagaUserID, p.BillingSystem, p.BillingUserID, p.Email, p.CompanyID)
			n++
		}
	}
	if n == 0 {
		fmt.Fprintln(w, "    no row pairs this client or its Ticaga user")
	}

	rec, found, err := s.store.DecisionFor(ctx, s.name, c.BillingID)
	if err != nil {
		return err
	}
	if found {
		fmt.Fprintf(w, "  last recorded: %s %s since %s (recorded by run %d at %s)\n", rec.Action, rec.Reason,
			rec.Since.Local().Format(time.DateTime), rec.RunID, rec.LastSeen.Local().Format(time.DateTime))
	} else {
		fmt.Fprintln(w, "  last recorded: nothing open (linked, or never seen by a run)")
	}
	fmt.Fprintln(w, "  (decided now from the cached directory; a run re-reads the Ticaga user before linking)")
	fmt.Fprintln(w)
	return nil
}

func printUsersWithKey(w io.Writer, users []ticagasync.TicagaUser, key string) {
	found := false
	for _, u := range users {
		if k, _ := ticagasync.NormalizeEmail(u.Email); k == key {
			found = true
			billing := "no billing id"
			if u.HasBillingID() {
				billing = fmt.Sprintf("billing id %s of %q", u.BillingID, u.BillingSystem)
			}
			fmt.Fprintf(w, "    Ticaga user %d %q: %s (read %s ago)\n", u.ID, u.Email, billing, time.Since(u.FetchedAt).Round(time.Second))
		}
	}
	if !found {
		fmt.Fprintln(w, "    no Ticaga user in the directory has this email")
	}
}

// printUnknownUsers names the Ticaga users whose answer is unknown when they
// could change decision d: any of them might have d's email, which would
// turn a link into a conflict or a missing match into a link. A linked
// customer, or one whose email is unusable, is not affected.
func printUnknownUsers(w io.Writer, after int, d ticagasync.Decision, unknown []ticagasync.UnknownUser) {
	if len(unknown) == 0 || (d.Action != ticagasync.ActionLink && d.Action != ticagasync.ActionNoMatch &&
		!(d.Action == ticagasync.ActionConflict && d.Reason == ticagasync.ReasonDuplicateTicagaEmail)) {
		return
	}
	fmt.Fprintln(w, "  unknown Ticaga users (any of them may have this email, which would change the decision):")
	for i, u := range unknown {
		if i == listLimit {
			fmt.Fprintf(w, "    ... and %d more (see ticaga-sync status)\n", len(unknown)-listLimit)
			break
		}
		state := "blocks every link until Ticaga answers it"
		if u.Unreadable(after) {
			state = "UNREADABLE: runs link around it"
		}
		fmt.Fprintf(w, "    Ticaga user %d: %s; unknown in %d run(s) since %s: %s\n", u.ID, state, u.Runs,
			u.FirstAt.Local().Format(time.DateTime+" MST"), u.LastError)
	}
}

// hint says, in a sentence, what a person can do about a decision.
func hint(d ticagasync.Decision) string {
	switch d.Reason {
	case ticagasync.ReasonNone:
		if d.Action == ticagasync.ActionAlreadyLinked {
			return "nothing: linked on both sides."
		}
		return "nothing: the next run links it."
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
