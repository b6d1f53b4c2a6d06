package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	if newProgressBar(&buf, "blesta") != nil {
		t.Fatal("a progress bar on a buffer: it must stay silent when not a terminal")
	}
	clock := time.Unix(0, 0)
	p := &progressBar{w: &buf, source: "blesta", now: func() time.Time { return clock }}
	p.Progress(ticagasync.StageDirectory, 120, 0)
	clock = clock.Add(time.Second)
	p.Progress(ticagasync.StageContacts, 500, 500)
	p.Progress(ticagasync.StageExecute, 0, 40)
	clock = clock.Add(10 * time.Second)
	p.Progress(ticagasync.StageExecute, 10, 40)
	if got, want := p.line(), "blesta: directory 120 read, contacts 500, linking 10/40 (25%) ETA 30s"; got != want {
		t.Fatalf("line = %q, want %q", got, want)
	}
	p.RunFinished(nil)
	if !strings.HasSuffix(buf.String(), "\r\033[K") || !strings.Contains(buf.String(), "contacts 500") {
		t.Fatalf("output = %q", buf.String())
	}
}
