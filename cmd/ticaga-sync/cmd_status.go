package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdStatus prints whether a daemon is running and its next runs, the
// recent runs and their kind, the excluded customers and those that are not
// linked, grouped by reason; --output json prints the same as one object.
func cmdStatus(ctx context.Context, args []string, env Env) int {
	var configFile, output string
	var runs, per int
	fs := newFlags("status", env, &configFile)
	fs.IntVar(&runs, "runs", 10, "how many recent runs to show")
	fs.IntVar(&per, "limit", 10, "how many customers to list per reason")
	fs.StringVar(&output, "output", "text", "text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if output != "text" && output != "json" {
		fmt.Fprintf(env.Stderr, "ticaga-sync status: --output must be text or json, got %q\n", output)
		return exitUsage
	}
	d, code := loadDaemon(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	dm := askDaemon(ctx, d.ControlSocket)
	return withDaemon(ctx, d, env, true, func(a *daemon.App) int {
		var recent []ticagasync.RunRecord
		var open []ticagasync.DecisionRecord
		var excluded []ticagasync.Exclusion
		err := a.EachStore(func(st *store.Store) error {
			r, err := st.RecentRuns(ctx, runs)
			if err != nil {
				return fmt.Errorf("read run history: %w", err)
			}
			o, err := st.OpenDecisions(ctx)
			if err != nil {
				return fmt.Errorf("read open decisions: %w", err)
			}
			x, err := st.AllExclusions(ctx)
			if err != nil {
				return err
			}
			recent, open, excluded = append(recent, r...), append(open, o...), append(excluded, x...)
			return nil
		})
		if err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
			return exitFailed
		}
		sort.SliceStable(recent, func(i, j int) bool { return recent[i].StartedAt.After(recent[j].StartedAt) })
		recent = recent[:min(len(recent), runs)]
		if output == "json" {
			if code := writeStatusJSON(ctx, env, a, dm, recent, open, excluded); code != exitOK {
				return code
			}
			return sourcesProblemCode(env, a)
		}
		printDaemon(env.Stdout, dm)
		printDirectories(ctx, env.Stdout, a)
		printStatus(env.Stdout, recent, open, per)
		printExclusions(env.Stdout, excluded, per)
		return sourcesProblemCode(env, a)
	})
}

// sourcesProblemCode says on stderr which sources cannot run (their store
// or settings; status showed what it could of the others) and returns
// exitFailed when any cannot, so that a script or a monitor running
// `status` sees a broken source.
func sourcesProblemCode(env Env, a *daemon.App) int {
	code := exitOK
	for _, s := range a.Sources() {
		if s.Problem() != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: source %s cannot run: %s\n", s.Name(), oneLine(s.Problem()))
			code = exitFailed
		}
	}
	return code
}

// daemonAnswer is what the control socket said: the daemon's status, or
// why it is unknown; neither when no daemon runs.
type daemonAnswer struct {
	socket string
	status *daemon.DaemonStatus
	err    error
}

// askDaemon asks the control socket whether a daemon runs; no daemon is no
// error.
func askDaemon(ctx context.Context, socket string) daemonAnswer {
	if socket == "" {
		return daemonAnswer{}
	}
	st, err := daemon.StatusViaDaemon(ctx, socket)
	if errors.Is(err, daemon.ErrNoDaemon) {
		err = nil
	}
	return daemonAnswer{socket: socket, status: st, err: err}
}

// printDaemon says whether a daemon is running and when each of its
// sources runs next.
func printDaemon(w io.Writer, dm daemonAnswer) {
	switch {
	case dm.socket == "":
		fmt.Fprintln(w, "Daemon: unknown (CONTROL_SOCKET is empty, so a running daemon cannot be asked)")
	case dm.err != nil:
		fmt.Fprintf(w, "Daemon: unknown: %s\n", oneLine(dm.err))
	case dm.status == nil:
		fmt.Fprintf(w, "Daemon: not running (nothing answers on %s)\n", dm.socket)
	default:
		st := dm.status
		fmt.Fprintf(w, "Daemon: running on %s, process %d, version %s, since %s\n", st.Host, st.PID, st.Version, stamp(st.StartedAt))
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, s := range st.Sources {
			next := "running now"
			if !s.Running && s.NextRun != nil {
				next = "next run " + stamp(*s.NextRun)
			}
			fmt.Fprintf(tw, "  %s\t%s\t(SYNC_SCHEDULE %s)\n", s.Source, next, s.Schedule)
		}
		tw.Flush()
	}
	fmt.Fprintln(w)
}

// printExclusions lists the excluded customers.
func printExclusions(w io.Writer, xs []ticagasync.Exclusion, per int) {
	fmt.Fprintf(w, "\nExcluded (%d):\n", len(xs))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for i, x := range xs {
		if i == per {
			fmt.Fprintf(tw, "  ... and %d more (--limit, or --output json)\n", len(xs)-per)
			break
		}
		reason := x.Reason
		if reason == "" {
			reason = "(no reason given)"
		}
		fmt.Fprintf(tw, "  %s: client %s\tby %s at %s\t%s\n", x.Source, x.BillingID, x.By, stamp(x.At), reason)
	}
	tw.Flush()
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
			stamp(pos.SavedAt))
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
	fmt.Fprintln(tw, "  RUN\tSOURCE\tKIND\tSTARTED\tTOOK\tOUTCOME\tCONTACTS\tLINKED\tCREATED\tALREADY\tNO MATCH\tCONFLICT\tINVALID\tFAILED\tAPI CALLS")
	for _, r := range recent {
		took := "-"
		if !r.FinishedAt.IsZero() {
			took = r.FinishedAt.Sub(r.StartedAt).Round(time.Millisecond).String()
		}
		c := r.Counts
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.ID, r.Source, kindOf(r),
			stamp(r.StartedAt), took, r.Outcome, c.Contacts, c.Linked, c.Created, c.AlreadyLinked,
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
			fmt.Fprintf(tw, "    client %s\t%s\tsince %s\t%s\n", d.BillingID, d.Email, stamp(d.Since), d.Detail)
		}
		tw.Flush()
	}
}

// kindOf is how a recorded run was started; runs recorded before the
// history kept it were scheduled or one-off (dry runs were not recorded).
func kindOf(r ticagasync.RunRecord) string {
	if r.Kind == "" {
		return "-"
	}
	return string(r.Kind)
}
