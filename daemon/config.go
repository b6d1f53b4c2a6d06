package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Exit codes of ticaga-sync. An Outcome carries one, and the control socket
// sends it to the command that asked for the run.
const (
	ExitOK     = 0 // completed (no_match and conflicts are not failures)
	ExitFailed = 1 // failed, or completed with failed clients
	ExitUsage  = 2 // usage or configuration error
	ExitLocked = 3 // the run lock is held elsewhere
)

// Load reads the daemon's configuration: configs.LoadDaemon (an env file,
// or a .toml sources file; lookup nil means os.LookupEnv). Its error joins
// every problem, one line each, naming the variable; the Daemon is
// returned even then.
func Load(ctx context.Context, path string, lookup func(string) (string, bool)) (configs.Daemon, error) {
	return configs.LoadDaemon(ctx, path, lookup)
}

// CheckSchedules checks every source's SYNC_SCHEDULE, which only the
// daemon (Run) uses; the error names every source whose schedule is not
// valid (configs.Validate has already checked them; this guards callers
// that build a Daemon by hand).
func CheckSchedules(d configs.Daemon) error {
	var errs []error
	for _, s := range d.Sources {
		if _, err := ticagasync.ParseSchedule(s.Config.SyncSchedule); err != nil {
			errs = append(errs, fmt.Errorf("source %s: SYNC_SCHEDULE: %v", s.Name, err))
		}
	}
	return errors.Join(errs...)
}

// ConfigErrorLines returns the lines that report a configuration error:
// "ticaga-sync: configuration: " and one problem each.
func ConfigErrorLines(err error) []string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = "ticaga-sync: configuration: " + l
	}
	return lines
}

// NewLogger builds the logger the daemon-wide settings ask for (LOG_LEVEL,
// LOG_FORMAT), writing to w: console lines on a terminal or when asked,
// JSON otherwise.
func NewLogger(d configs.Daemon, w io.Writer) zerolog.Logger {
	isTerm := false
	if f, ok := w.(*os.File); ok {
		isTerm = term.IsTerminal(int(f.Fd()))
	}
	return NewLoggerTo(d, w, isTerm)
}

// NewLoggerTo is NewLogger for a writer that is known to be a terminal
// (isTerm) or not, such as one that wraps a terminal.
func NewLoggerTo(d configs.Daemon, w io.Writer, isTerm bool) zerolog.Logger {
	level, err := zerolog.ParseLevel(strings.ToLower(d.LogLevel))
	if err != nil || d.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	// Runs log from several goroutines; serialise writes for writers that
	// are not safe for concurrent use.
	var out io.Writer = zerolog.SyncWriter(w)
	if d.ConsoleLogs(isTerm) {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !isTerm}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

// OneLine is err's text on one line: the lines of a joined error are
// separated by "; ".
func OneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
