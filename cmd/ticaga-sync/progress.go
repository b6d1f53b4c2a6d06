package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// progressBar draws one status line of a run on a terminal: directory users
// read, contacts read, links carried out with an ETA. It is a
// ticagasync.Observer; newProgressBar returns nil when w is not a terminal,
// so logs and pipes never see it.
type progressBar struct {
	w      io.Writer
	source string
	now    func() time.Time

	mu        sync.Mutex
	directory int
	contacts  int
	done      int
	total     int
	execStart time.Time
	drawn     time.Time
}

func newProgressBar(w io.Writer, source string) *progressBar {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progressBar{w: w, source: source, now: time.Now}
}

// Progress implements ticagasync.Observer.
func (p *progressBar) Progress(stage ticagasync.Stage, done, total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch stage {
	case ticagasync.StageDirectory:
		p.directory = done
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
		fmt.Fprintf(p.w, "\r\033[K%s", p.line())
	}
}

// line is the status text.
func (p *progressBar) line() string {
	s := fmt.Sprintf("%s: directory %d read, contacts %d", p.source, p.directory, p.contacts)
	if p.total > 0 {
		s += fmt.Sprintf(", linking %d/%d (%d%%)", p.done, p.total, p.done*100/p.total)
		if p.done > 0 && p.done < p.total {
			per := p.now().Sub(p.execStart) / time.Duration(p.done)
			s += fmt.Sprintf(" ETA %s", (per * time.Duration(p.total-p.done)).Round(time.Second))
		}
	}
	return s
}

// LockHeld implements ticagasync.Observer.
func (p *progressBar) LockHeld(string, bool) {}

// RunFinished clears the line before the report is printed.
func (p *progressBar) RunFinished(*ticagasync.Report) {
	fmt.Fprint(p.w, "\r\033[K")
}
