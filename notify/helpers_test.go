package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/syncbuf"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// t0 is the start of every test run.
var t0 = time.Date(2026, 5, 4, 10, 15, 0, 0, time.UTC)

// conflict returns a duplicate_billing_email conflict for billing id id.
func conflict(id int64, email string) ticagasync.Decision {
	return ticagasync.Decision{Contact: ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), Email: email},
		Action: ticagasync.ActionConflict, Reason: ticagasync.ReasonDuplicateBillingEmail,
		Detail: "billing clients share this email"}
}

// noMatch returns a no_match decision for billing id id.
func noMatch(id int64) ticagasync.Decision {
	return ticagasync.Decision{Contact: ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), Email: "nobody@example.com"},
		Action: ticagasync.ActionNoMatch, Reason: ticagasync.ReasonNoTicagaUser, Detail: "no Ticaga user has this email"}
}

// linked returns a decision of action a (link or already_linked).
func linked(id int64, a ticagasync.Action) ticagasync.Decision {
	return ticagasync.Decision{Contact: ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), Email: "ok@example.com"}, Action: a, TicagaID: id + 100}
}

// report returns the report of completed run id with decisions ds.
func report(id int64, ds ...ticagasync.Decision) *ticagasync.Report {
	return &ticagasync.Report{RunID: id, Source: "blesta", StartedAt: t0, FinishedAt: t0.Add(2 * time.Second),
		Outcome: ticagasync.OutcomeCompleted, Counts: ticagasync.Tally(ds), Decisions: ds}
}

// failedReport returns the report of run id that failed with err.
func failedReport(id int64, err error) *ticagasync.Report {
	r := report(id)
	r.Outcome, r.Err = ticagasync.OutcomeFailed, err
	return r
}

// hit is one request the hook received.
type hit struct {
	method, contentType, userAgent, query string
	payload                               Payload
	raw                                   map[string]json.RawMessage
}

// hook is a webhook receiver answering the statuses queued in answers (200
// once they run out).
type hook struct {
	t   *testing.T
	srv *httptest.Server

	mu      sync.Mutex
	hits    []hit
	answers []int
}

// newHook starts a hook on loopback.
func newHook(t *testing.T) *hook {
	h := &hook{t: t}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		x := hit{method: r.Method, contentType: r.Header.Get("Content-Type"), userAgent: r.UserAgent(), query: r.URL.RawQuery}
		if err := json.Unmarshal(body, &x.payload); err != nil {
			t.Errorf("hook: payload: %v", err)
		}
		_ = json.Unmarshal(body, &x.raw)
		h.mu.Lock()
		h.hits = append(h.hits, x)
		status := http.StatusOK
		if len(h.answers) > 0 {
			status, h.answers = h.answers[0], h.answers[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

// answer queues statuses for the next requests.
func (h *hook) answer(statuses ...int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers = append(h.answers, statuses...)
}

// take returns the requests received since the last take.
func (h *hook) take() []hit {
	h.mu.Lock()
	defer h.mu.Unlock()
	got := h.hits
	h.hits = nil
	return got
}

// takeOne returns the one request received since the last take.
func (h *hook) takeOne(t *testing.T) hit {
	t.Helper()
	got := h.take()
	if len(got) != 1 {
		t.Fatalf("hook got %d requests, want 1", len(got))
	}
	return got[0]
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer = syncbuf.Buffer

// newNotifier returns a Notifier for cfg logging into the returned buffer,
// with no pause before a webhook retry and a fixed clock.
func newNotifier(t *testing.T, cfg Config) (*Notifier, *syncBuffer) {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0.Add(time.Minute) }
	}
	logs := &syncBuffer{}
	n := New(cfg, zerolog.New(logs))
	for _, ch := range n.channels {
		if w, ok := ch.(*webhook); ok {
			w.retryDelay = time.Millisecond
		}
	}
	return n, logs
}

// billingIDs returns the billing ids of a payload's new list.
func billingIDs(p Payload) []int64 {
	var ids []int64
	for _, d := range p.New {
		n, _ := d.BillingID.Int()
		ids = append(ids, n)
	}
	return ids
}

// assertAbsent fails when any of secrets shows in text.
func assertAbsent(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(text, s) {
			t.Errorf("%s shows the secret %q: %s", what, s, text)
		}
	}
}
