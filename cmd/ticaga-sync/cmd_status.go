package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdStatus prints the recent runs and the customers that are not linked,
// grouped by reason.
func cmdStatus(ctx context.Context, args []string, env Env) int {
	var configFile string
	var runs, per int
	fs := newFlags("status", env, &configFile)
	fs.IntVar(&runs, "runs", 10, "how many recent runs to show")
	fs.IntVar(&per, "limit", 10, "how many customers to list per reason")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	return withApp(ctx, configFile, env, true, func(a *daemon.App) int {
		var recent []ticagasync.RunRecord
		var open []ticagasync.DecisionRecord
		err := a.EachStore(func(st *store.Store) error {
			r, err := st.RecentRuns(ctx, runs)
			if err != nil {
				return fmt.Errorf("read run history: %w", err)
			}
			o, err := st.OpenDecisions(ctx)
			if err != nil {
				return fmt.Errorf("read open decisions: %w", err)
			}
			recent, open = append(recent, r...), append(open, o...)
			return nil
		})
		if err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
			return exitFailed
		}
		sort.SliceStable(recent, func(i, j int) bool { return recent[i].StartedAt.After(recent[j].StartedAt) })
		recent = recent[:min(len(recent), runs)]
		printDirectories(ctx, env.Stdout, a)
		printStatus(env.Stdout, recent, open, per)
		return exitOK
	})
}

// printDirectories prints each source's cached Ticaga directory: its size
// and how old its oldest entry is.
func printDirectories(ctx context.Context, w io.Writer, a *daemon.App) {
	fmt.Fprintln(w, "Ticaga directories:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range a.Sources() {
		if s.Problem() != nil {
			fmt.Fprintf(tw, "  %s\tcannot run: %s\n", s.Name(), oneLine(s.Problem()))
			continue
		}
		target := s.Engine().Target
		n, maxID, oldest, err := s.Store().DirectoryStats(ctx, target)
		switch {
		case err != nil:
			fmt.Fprintf(tw, "  %s\t%s\n", s.Name(), oneLine(err))
		case n == 0:
			fmt.Fprintf(tw, "  %s\t%s\tempty: the first run scans it\n", s.Name(), target)
		default:
			fmt.Fprintf(tw, "  %s\t%s\t%d users (highest id %d), oldest entry read %s ago\n", s.Name(), target, n, maxID,
				time.Since(oldest).Round(time.Second))
		}
		if err == nil {
			printDirectoryProgress(ctx, tw, s)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// printDirectoryProgress prints a source's interrupted scan and its Ticaga
// users whose answer is unknown: pending ones block its links, unreadable
// ones are linked around.
func printDirectoryProgress(ctx context.Context, w io.Writer, s *daemon.Source) {
	e := s.Engine()
	unknown, pos, err := s.Store().DirectoryProgress(ctx, e.Target)
	if err != nil {
		fmt.Fprintf(w, "  \t%s\n", oneLine(err))
		return
	}
	if pos != nil {
		kind := "scan"
		if pos.Full {
			kind = "full rescan"
		}
		fmt.Fprintf(w, "  \t\tinterrupted %s: the next run resumes at id %d (saved %s)\n", kind, pos.Next,
			pos.SavedAt.Local().Format(time.DateTime+" MST"))
	}
	for _, u := range unknown {
		state := fmt.Sprintf("unknown (blocks links; unreadable after %d runs)", e.UnreadableAfter)
		switch {
		case u.Unreadable(e.UnreadableAfter):
			state = "UNREADABLE (linked around)"
		case e.UnreadableAfter == 0:
			state = "unknown (blocks links; TICAGA_UNREADABLE_AFTER=0)"
		}
		fmt.Fprintf(w, "  \t\t%s: %s\n", state, u)
	}
}

// printStatus prints the recent runs and the open decisions grouped by
// source, action and reason.
func printStatus(w io.Writer, recent []ticagasync.RunRecord, open []ticagasync.DecisionRecord, per int) {
	fmt.Fprintf(w, "Recent runs (%d):\n", len(recent))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RUN\tSOURCE\tSTARTED\tTOOK\tOUTCOME\tCONTACTS\tLINKED\tCREATED\tALREADY\tNO MATCH\tCONFLICT\tINVALID\tFAILED\tAPI CALLS")
	for _, r := range recent {
		took := "-"
		if !r.FinishedAt.IsZero() {
			took = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		c := r.Counts
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Source,
			r.StartedAt.Local().Format(time.DateTime), took, r.Outcome, c.Contacts, c.Linked, c.Created, c.AlreadyLinked,
			c.NoMatch, c.Conflict, c.InvalidEmail, c.Failed, r.APICalls)
		if r.Error != "" {
			fmt.Fprintf(tw, "  \terror: %s\n", r.Error)
		}
	}
	tw.Flush()

	groups := map[string][]ticagasync.DecisionRecord{}
	for _, d := range open {
		k := d.Source + ": " + string(d.Action) + " / " + string(d.Reason)
		groups[k] = append(groups[k], d)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := groups[keys[i]][0].Action.Urgency(), groups[keys[j]][0].Action.Urgency()
		return ri < rj || (ri == rj && keys[i] < keys[j])
	})
	fmt.Fprintf(w, "\nNot linked (%d):\n", len(open))
	for _, k := range keys {
		ds := groups[k]
		fmt.Fprintf(w, "  %s: %d\n", k, len(ds))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for i, d := range ds {
			if i == per {
				fmt.Fprintf(tw, "    ... and %d more\n", len(ds)-per)
				break
			}
			fmt.Fprintf(tw, "    client %s\t%s\tsince %s\t%s\n", d.BillingID, d.Email, d.Since.Local().Format(time.DateTime), d.Detail)
		}
		tw.Flush()
	}
}
