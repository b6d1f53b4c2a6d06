package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The control socket lets `ticaga-sync sync` ask a running daemon to do the
// run, so a one-off never races the scheduler. It speaks HTTP over a Unix
// socket with mode 0660: access is by file permissions (the service user
// and its group).

// SyncRequest asks the daemon on the control socket for a one-off run
// (ticaga-sync sync): the run's options, and which sources run it.
type SyncRequest struct {
	// DryRun, Full and Clients are the run's ticagasync.RunOptions.
	DryRun  bool                   `json:"dry_run"`
	Full    bool                   `json:"full"`
	Clients []ticagasync.BillingID `json:"clients"`
	// Companies limits the run to those billing companies, Sources to
	// those sources (both: any when empty), as App.Select and Source.Sync
	// do.
	Companies []int64  `json:"companies"`
	Sources   []string `json:"sources"`
	// Wait is how long a run waits for a lock held by another run.
	Wait time.Duration `json:"wait_ns"`
}

// controlResult is one source's Outcome as the control socket carries it.
type controlResult struct {
	Source string      `json:"source"`
	Report *JSONReport `json:"report,omitempty"`
	Msg    string      `json:"message,omitempty"`
	Code   int         `json:"code"`
	// NotSelected is Outcome.NotSelected.
	NotSelected bool `json:"not_selected,omitempty"`
}

// writeControlResult writes o as its controlResult in JSON, with every
// decision of its report (already linked ones too), streamed.
func writeControlResult(w io.Writer, o Outcome) error {
	src, err := json.Marshal(o.Source)
	if err != nil {
		return err
	}
	rest, err := json.Marshal(controlResult{Msg: o.Msg, Code: o.Code, NotSelected: o.NotSelected})
	if err != nil {
		return err
	}
	// rest is {"source":"",...}: the fields after the report follow it.
	_, after, found := bytes.Cut(rest, []byte(`"source":"",`))
	if !found {
		return fmt.Errorf("control answer: %s does not start with an empty source", rest)
	}
	if _, err := fmt.Fprintf(w, `{"source":%s,`, src); err != nil {
		return err
	}
	if o.Report != nil {
		if _, err := io.WriteString(w, `"report":`); err != nil {
			return err
		}
		if err := WriteJSONReport(w, o.Report, true, ""); err != nil {
			return err
		}
		if _, err := io.WriteString(w, ","); err != nil {
			return err
		}
	}
	_, err = w.Write(after)
	return err
}

// serveControl listens on path and serves sync requests with a's sources
// until ctx ends. It returns once listening; done is closed when the
// listener is closed and every request has been answered. A run in
// progress when ctx ends gets grace to finish, like a scheduled one.
func serveControl(ctx context.Context, path string, a *App, log zerolog.Logger, grace time.Duration, status func() DaemonStatus) (done <-chan struct{}, err error) {
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return nil, fmt.Errorf("CONTROL_SOCKET: %w", err)
	}
	if c, err := net.Dial("unix", path); err == nil {
		c.Close()
		return nil, fmt.Errorf("CONTROL_SOCKET: another daemon is listening on %s", path)
	}
	_ = os.Remove(path) // a stale socket from a daemon that died (a clean stop unlinks it)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("CONTROL_SOCKET: %w", err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		ln.Close()
		return nil, fmt.Errorf("CONTROL_SOCKET: %w", err)
	}

	// Runs requested here end like scheduled ones: grace after ctx ends.
	runCtx, cancelRuns := context.WithCancel(context.WithoutCancel(ctx))
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/sync", func(w http.ResponseWriter, r *http.Request) {
		var req SyncRequest
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil {
			http.Error(w, "bad request: "+err.Error(), http.StatusBadRequest)
			return
		}
		log.Info().Bool("dry_run", req.DryRun).Strs("sources", req.Sources).Msg("one-off run requested on the control socket")
		opt := ticagasync.RunOptions{DryRun: req.DryRun, Full: req.Full, Clients: req.Clients, LockWait: req.Wait}
		// The answer is a JSON array of controlResult, written as each
		// source's run ends, one decision at a time: no report is held
		// whole. A client that went away makes the writes fail, not the
		// runs.
		w.Header().Set("Content-Type", "application/json")
		bw := bufio.NewWriter(w)
		bw.WriteByte('[')
		for i, s := range a.Select(req.Sources, req.Companies) {
			// The run belongs to the daemon: a client that goes away does
			// not cancel it halfway; the daemon's stop does.
			o := s.Sync(runCtx, req.Companies, opt)
			if i > 0 {
				bw.WriteByte(',')
			}
			// A client gone away still gets its runs carried out: the
			// write error only ends what it would have read.
			_ = writeControlResult(bw, o)
		}
		bw.WriteString("]\n")
		_ = bw.Flush()
	})
	mux.HandleFunc("GET /v1/status", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(status())
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		// Shutdown closes the listener (which unlinks the socket) and waits
		// for the requests in progress; their runs are cancelled after grace.
		t := time.AfterFunc(grace, cancelRuns)
		defer t.Stop()
		defer cancelRuns()
		// After grace, a cancelled run still records its end (bounded: 30s
		// for decisions, 10s for the run record) before its request ends.
		sctx, cancel := context.WithTimeout(context.Background(), grace+45*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return stopped, nil
}

// DaemonStatus is what a running daemon says of itself on the control
// socket (GET /v1/status).
type DaemonStatus struct {
	PID       int            `json:"pid"`
	Host      string         `json:"host"`
	Version   string         `json:"version"`
	StartedAt time.Time      `json:"started_at"`
	Sources   []SourceStatus `json:"sources"`
}

// SourceStatus is one scheduled source of a running daemon.
type SourceStatus struct {
	Source   string `json:"source"`
	Schedule string `json:"schedule"`
	// NextRun is when the next scheduled run starts; null while a run is
	// in progress (Running).
	NextRun *time.Time `json:"next_run"`
	Running bool       `json:"running"`
}

// daemonStatus returns the function that answers GET /v1/status for the
// schedulers of one generation.
func daemonStatus(version string, names, specs []string, scheds []*ticagasync.Scheduler) func() DaemonStatus {
	host, _ := os.Hostname()
	started := time.Now()
	return func() DaemonStatus {
		st := DaemonStatus{PID: os.Getpid(), Host: host, Version: version, StartedAt: started, Sources: []SourceStatus{}}
		for i, s := range scheds {
			next, running := s.Next()
			ss := SourceStatus{Source: names[i], Schedule: specs[i], Running: running}
			if !next.IsZero() {
				ss.NextRun = &next
			}
			st.Sources = append(st.Sources, ss)
		}
		return st
	}
}

// StatusViaDaemon asks the daemon on the control socket path about itself.
// It returns ErrNoDaemon when no daemon listens there: not running is not
// an error of the caller's.
func StatusViaDaemon(ctx context.Context, path string) (*DaemonStatus, error) {
	client, err := controlClient(path)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://ticaga-sync/v1/status", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("control socket %s: HTTP %d: %s (a daemon of an older version?)", path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	var st DaemonStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	return &st, nil
}

// controlClient returns an HTTP client over the control socket path, or
// ErrNoDaemon when nothing listens there.
func controlClient(path string) (*http.Client, error) {
	conn, err := net.Dial("unix", path)
	if err != nil {
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("the daemon's control socket %s is not accessible (run as the service user or a member of its group): %w", path, err)
		}
		return nil, ErrNoDaemon
	}
	conn.Close()
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		},
	}}, nil
}

// ErrNoDaemon means no daemon answers on the control socket.
var ErrNoDaemon = errors.New("no daemon on the control socket")

// SyncViaDaemon asks the daemon listening on the control socket path to
// carry out req, and returns each selected source's Outcome (none when no
// source of the daemon matches). It returns ErrNoDaemon when no daemon
// listens there: the caller then runs in its own process. The Reports of
// the Outcomes carry every decision, already linked customers included.
func SyncViaDaemon(ctx context.Context, path string, req SyncRequest) ([]Outcome, error) {
	client, err := controlClient(path)
	if err != nil {
		return nil, err
	}
	body, _ := json.Marshal(req)
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://ticaga-sync/v1/sync", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("control socket %s: HTTP %d: %s", path, resp.StatusCode, bytes.TrimSpace(msg))
	}
	var results []controlResult
	if err := json.NewDecoder(resp.Body).Decode(&results); err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	outs := make([]Outcome, len(results))
	for i, r := range results {
		outs[i] = Outcome{Source: r.Source, Msg: r.Msg, Code: r.Code, NotSelected: r.NotSelected}
		if r.Report != nil {
			outs[i].Report = r.Report.Report()
		}
	}
	return outs, nil
}
