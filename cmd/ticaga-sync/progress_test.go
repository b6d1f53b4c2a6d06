package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// screen replays what was written to a terminal, as a person sees it: the
// finished lines and the line the cursor is on. "\r\033[K" erases the
// current line; "\n" finishes it; colours are dropped.
func screen(out string) (lines []string, current string) {
	for out != "" {
		switch {
		case strings.HasPrefix(out, clearLine):
			current, out = "", out[len(clearLine):]
		case strings.HasPrefix(out, "\033["): // colours
			out = out[strings.IndexByte(out, 'm')+1:]
		case out[0] == '\n':
			lines, current, out = append(lines, current), "", out[1:]
		default:
			current, out = current+out[:1], out[1:]
		}
	}
	return lines, current
}

func TestProgressBarOffATerminal(t *testing.T) {
	var buf bytes.Buffer
	if newTerminal(&buf) != nil || newProgressBar(nil, "blesta") != nil {
		t.Fatal("a terminal on a buffer: off a terminal there must be no bar")
	}
}

// The bar's text: the directory scan with its range and ETA when known,
// contacts, links with an ETA.
func TestProgressBarLine(t *testing.T) {
	clock := time.Unix(0, 0)
	p := &progressBar{out: &terminal{w: &bytes.Buffer{}}, source: "blesta", now: func() time.Time { return clock }}
	p.Progress(ticagasync.StageDirectory, 0, 0)
	clock = clock.Add(10 * time.Second)
	p.Progress(ticagasync.StageDirectory, 100, 1000)
	if got, want := p.line(), "blesta: directory 100/1000 ids (10%) ETA 1m30s, contacts 0"; got != want {
		t.Fatalf("line = %q, want %q", got, want)
	}
	p.Progress(ticagasync.StageDirectory, 120, 0) // a first scan: range unknown
	if got, want := p.line(), "blesta: directory 120 ids, contacts 0"; got != want {
		t.Fatalf("line = %q, want %q", got, want)
	}
	p.Progress(ticagasync.StageDirectory, 1000, 1000)
	clock = clock.Add(time.Second)
	p.Progress(ticagasync.StageContacts, 500, 500)
	p.Progress(ticagasync.StageExecute, 0, 40)
	clock = clock.Add(10 * time.Second)
	p.Progress(ticagasync.StageExecute, 10, 40)
	if got, want := p.line(), "blesta: directory 1000/1000 ids (100%), contacts 500, linking 10/40 (25%) ETA 30s"; got != want {
		t.Fatalf("line = %q, want %q", got, want)
	}
}

// On a terminal, log lines never share a line with the bar: info lines are
// left out, a warning is printed above the bar (cleared first, redrawn
// after), and once the run ends the bar is gone and the report stands
// alone.
func TestProgressBarAndLogLines(t *testing.T) {
	for _, level := range []string{"info", "debug"} {
		var buf bytes.Buffer
		tty := &terminal{w: &buf}
		log := tty.logger(configs.Daemon{LogLevel: level})
		clock := time.Unix(0, 0)
		p := &progressBar{out: tty, source: "blesta", now: func() time.Time { clock = clock.Add(time.Second); return clock }}

		p.Progress(ticagasync.StageContacts, 3, 3)
		p.Progress(ticagasync.StageExecute, 0, 3)
		log.Info().Int64("billing_id", 1).Msg("decision carried out")
		p.Progress(ticagasync.StageExecute, 1, 3)
		log.Warn().Int64("ticaga_id", 7).Msg("directory: could not revalidate user")
		log.Debug().Msg("a debug line")
		p.Progress(ticagasync.StageExecute, 3, 3)

		lines, current := screen(buf.String())
		if !strings.HasPrefix(current, "blesta: directory 0 ids, contacts 3, linking 3/3") {
			t.Fatalf("LOG_LEVEL=%s: the bar is %q", level, current)
		}
		want := []string{"WRN directory: could not revalidate user"}
		if level == "debug" {
			want = []string{"INF decision carried out", "WRN directory: could not revalidate user", "DBG a debug line"}
		}
		if len(lines) != len(want) {
			t.Fatalf("LOG_LEVEL=%s: lines on screen %q, want %q", level, lines, want)
		}
		for i, l := range lines {
			if !strings.Contains(l, want[i]) || strings.Contains(l, "blesta:") {
				t.Fatalf("LOG_LEVEL=%s: line %d = %q, want %q alone", level, i, l, want[i])
			}
		}

		p.RunFinished(nil)
		p.Progress(ticagasync.StageExecute, 3, 3) // late calls draw nothing
		log.Warn().Msg("after the run")
		buf.WriteString("Run 1 blesta: completed in 1s\n")
		lines, current = screen(buf.String())
		if current != "" || lines[len(lines)-1] != "Run 1 blesta: completed in 1s" || !strings.Contains(lines[len(lines)-2], "after the run") {
			t.Fatalf("LOG_LEVEL=%s: after the run the screen is %q + %q", level, lines, current)
		}
	}
}
