package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// clearLine returns the cursor to the start of the line and erases it.
const clearLine = "\r\033[K"

// terminal is stderr when it is a terminal, shared by the progress bar and
// the log lines of a one-off run: each write of a log line clears the bar
// first and redraws it after, so that lines never interleave with it.
type terminal struct {
	w io.Writer

	mu  sync.Mutex
	bar string // the bar's text, "" when none is shown
}

// newTerminal returns w as a terminal, or nil when w is not one: off a
// terminal nothing changes (plain log lines, no bar).
func newTerminal(w io.Writer) *terminal {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &terminal{w: w}
}

// Write writes a log line above the bar.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bar != "" {
		io.WriteString(t.w, clearLine)
	}
	n, err := t.w.Write(p)
	if t.bar != "" {
		io.WriteString(t.w, t.bar)
	}
	return n, err
}

// draw replaces the bar with line ("" clears it).
func (t *terminal) draw(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, clearLine+line)
	t.bar = line
}

// logger is the one-off run's logger on the terminal: console lines written
// above the bar. Lines below warn are left out at the default level (info)
// (the bar and the report say what they would), and printed above the bar
// when LOG_LEVEL asks for debug or trace.
func (t *terminal) logger(d configs.Daemon) zerolog.Logger {
	log := daemon.NewLoggerTo(d, t, true)
	if log.GetLevel() == zerolog.InfoLevel {
		log = log.Level(zerolog.WarnLevel)
	}
	return log
}

// progressBar draws one status line of a run on a terminal: the directory
// scan (ids scanned, of how many when the range is known, with an ETA),
// contacts read, links carried out with an ETA. It is a
// ticagasync.Observer; a nil terminal gives no bar.
type progressBar struct {
	out    *terminal
	source string
	now    func() time.Time

	mu        sync.Mutex
	dirDone   int
	dirTotal  int
	dirStart  time.Time
	contacts  int
	done      int
	total     int
	execStart time.Time
	drawn     time.Time
	finished  bool
}

func newProgressBar(out *terminal, source string) *progressBar {
	if out == nil {
		return nil
	}
	return &progressBar{out: out, source: source, now: time.Now}
}

// Progress implements ticagasync.Observer.
func (p *progressBar) Progress(stage ticagasync.Stage, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.finished {
		return
	}
	switch stage {
	case ticagasync.StageDirectory:
		if p.dirStart.IsZero() {
			p.dirStart = p.now()
		}
		p.dirDone, p.dirTotal = done, total
	case ticagasync.StageContacts:
		p.contacts = done
	case ticagasync.StageExecute:
		if p.execStart.IsZero() {
			p.execStart = p.now()
		}
		p.done, p.total = done, total
	}
	// Redraw at most ten times a second, and always at the end of a stage.
	if now := p.now(); now.Sub(p.drawn) >= 100*time.Millisecond || (total > 0 && done == total) {
		p.drawn = now
		p.out.draw(p.line())
	}
}

// line is the status text.
func (p *progressBar) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: directory ", p.source)
	if p.dirTotal > 0 {
		fmt.Fprintf(&b, "%d/%d ids (%d%%)", p.dirDone, p.dirTotal, p.dirDone*100/p.dirTotal)
		if p.contacts == 0 && p.dirDone > 0 && p.dirDone < p.dirTotal {
			b.WriteString(eta(p.now().Sub(p.dirStart), p.dirDone, p.dirTotal))
		}
	} else {
		fmt.Fprintf(&b, "%d ids", p.dirDone)
	}
	fmt.Fprintf(&b, ", contacts %d", p.contacts)
	if p.total > 0 {
		fmt.Fprintf(&b, ", linking %d/%d (%d%%)", p.done, p.total, p.done*100/p.total)
		if p.done > 0 && p.done < p.total {
			b.WriteString(eta(p.now().Sub(p.execStart), p.done, p.total))
		}
	}
	return b.String()
}

// eta is " ETA 1m30s": the time left at the pace so far.
func eta(elapsed time.Duration, done, total int) string {
	per := elapsed / time.Duration(done)
	return fmt.Sprintf(" ETA %s", (per * time.Duration(total-done)).Round(time.Second))
}

// LockHeld implements ticagasync.Observer.
func (p *progressBar) LockHeld(string, bool) {}

// RunFinished clears the bar for good, so the report is printed alone.
func (p *progressBar) RunFinished(*ticagasync.Report) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished = true
	p.out.draw("")
}
