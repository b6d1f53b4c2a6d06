package main

import (
	"context"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

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
	cfg, code := loadConfig(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	a, err := openApp(ctx, cfg, zerolog.Nop())
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	defer a.Close()

	recent, err := a.store.RecentRuns(ctx, runs)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: read run history: %s\n", oneLine(err))
		return exitFailed
	}
	open, err := a.store.OpenDecisions(ctx)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: read open decisions: %s\n", oneLine(err))
		return exitFailed
	}

	w := env.Stdout
	fmt.Fprintf(w, "Recent runs (%d):\n", len(recent))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  RUN\tSOURCE\tSTARTED\tTOOK\tOUTCOME\tCONTACTS\tLINKED\tALREADY\tNO MATCH\tCONFLICT\tINVALID\tFAILED\tAPI CALLS")
	for _, r := range recent {
		took := "-"
		if !r.FinishedAt.IsZero() {
			took = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		c := r.Counts
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Source,
			r.StartedAt.Local().Format(time.DateTime), took, r.Outcome, c.Contacts, c.Linked, c.AlreadyLinked,
			c.NoMatch, c.Conflict, c.InvalidEmail, c.Failed, r.APICalls)
		if r.Error != "" {
			fmt.Fprintf(tw, "  \terror: %s\n", r.Error)
		}
	}
	tw.Flush()

	groups := map[string][]ticagasync.DecisionRecord{}
	for _, d := range open {
		k := string(d.Action) + " / " + string(d.Reason)
		groups[k] = append(groups[k], d)
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return rank(groups[keys[i]][0].Action) < rank(groups[keys[j]][0].Action) || (rank(groups[keys[i]][0].Action) == rank(groups[keys[j]][0].Action) && keys[i] < keys[j])
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
			fmt.Fprintf(tw, "    client %d\t%s\tsince %s\t%s\n", d.BillingID, d.Email, d.Since.Local().Format(time.DateTime), d.Detail)
		}
		tw.Flush()
	}
	return exitOK
}

// rank orders the actions by how urgently a person should look.
func rank(a ticagasync.Action) int {
	switch a {
	case ticagasync.ActionFailed:
		return 0
	case ticagasync.ActionConflict:
		return 1
	case ticagasync.ActionInvalidEmail:
		return 2
	default:
		return 3
	}
}
