package sync_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const notFoundBody = `{"error": "User not authenticated"}`

// unknownRows returns ticaga_sync_unknown as ticaga_id -> runs.
func (h *harness) unknownRows() map[int64]int {
	h.t.Helper()
	unknown, _, err := h.store.DirectoryProgress(h.t.Context(), h.fake.URL())
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[int64]int{}
	for _, u := range unknown {
		out[u.ID] = u.Runs
	}
	return out
}

// Issue: one user id that always answers 500. The first run links
// nothing; so does the second, which re-reads that id first and names it;
// the id is remembered, never forgotten, until Ticaga answers it.
func TestUnknownUserIsRememberedAcrossRuns(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		h.engine.UnreadableAfter = 0 // never give up: every run must wait for it
		w := seedWorld(h)
		broken := h.user("mallory@example.com", "", "") // between the others
		h.fake.SetUserFault(broken, ticagatest.UserFault{Status: 500, Body: []byte(`{"message":"Server Error"}`)})

		for run := 1; run <= 2; run++ {
			var mu gosync.Mutex
			var order []int64
			h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if endpoint == "customers/get" && len(order) < 3 {
					var id int64
					fmt.Sscan(r.PathValue("id"), &id)
					order = append(order, id)
				}
			}})
			rep, err := h.run(ticagasync.RunOptions{})
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("id %d", broken)) || !strings.Contains(err.Error(), "nothing was linked") {
				t.Fatalf("run %d: err = %v, want one naming id %d and nothing linked", run, err, broken)
			}
			if len(h.pairings()) != 0 || len(h.fake.Assignments()) != 0 {
				t.Fatalf("run %d linked with an unknown user in range", run)
			}
			if got := h.unknownRows(); !maps.Equal(got, map[int64]int{broken: run}) {
				t.Fatalf("run %d: unknown rows = %v, want %d seen in %d runs", run, got, broken, run)
			}
			if len(rep.Directory.Unknown) != 1 || rep.Directory.Unknown[0].ID != broken ||
				!strings.Contains(rep.Directory.Unknown[0].LastError, "HTTP 500") {
				t.Fatalf("run %d: report's unknown users = %+v", run, rep.Directory.Unknown)
			}
			mu.Lock()
			first := append([]int64(nil), order...)
			mu.Unlock()
			if run == 2 && (len(first) == 0 || first[0] != broken) {
				t.Fatalf("run 2 read %v first, want the unknown id %d", first, broken)
			}
			// Every other user was read and saved: the scan went past it.
			if _, ok := userCached(h, w.uAlready); !ok {
				t.Fatalf("run %d: the users after the unknown one were not saved", run)
			}
		}

		h.fake.ClearUserFault(broken)
		rep := h.mustRun(ticagasync.RunOptions{})
		if h.pairings()[w.uLink] != w.link || len(h.unknownRows()) != 0 || len(rep.Directory.Unknown) != 0 {
			t.Fatalf("once answered: pairings %v, unknown %v", h.pairings(), h.unknownRows())
		}
	})
}

func userCached(h *harness, id int64) (ticagasync.TicagaUser, bool) {
	users, err := h.store.DirectoryUsers(h.t.Context(), h.fake.URL())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, u := range users {
		if u.ID == id {
			return u, true
		}
	}
	return ticagasync.TicagaUser{}, false
}

// After TICAGA_UNREADABLE_AFTER runs an unknown user stops blocking links,
// is still re-read by every run, and is reported.
func TestUnreadableUserIsLinkedAroundAndReported(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		h.engine.UnreadableAfter = 2
		w := seedWorld(h)
		broken := h.user("mallory@example.com", "", "")
		h.fake.SetUserFault(broken, ticagatest.UserFault{Status: 502, Body: []byte("<html>Bad Gateway</html>"),
			Header: http.Header{"Content-Type": {"text/html"}}})

		if _, err := h.run(ticagasync.RunOptions{}); err == nil {
			t.Fatal("run 1 succeeded with an unknown user")
		}
		rep, err := h.run(ticagasync.RunOptions{})
		if err != nil {
			t.Fatalf("run 2: %v", err)
		}
		if h.pairings()[w.uLink] != w.link {
			t.Fatalf("run 2 did not link around the unreadable user: %v", h.pairings())
		}
		if len(rep.Directory.Unreadable) != 1 || rep.Directory.Unreadable[0].ID != broken || rep.Directory.Unreadable[0].Runs != 2 ||
			!strings.Contains(rep.Directory.Unreadable[0].LastError, "HTML") {
			t.Fatalf("report's unreadable users = %+v", rep.Directory.Unreadable)
		}
		calls := h.fake.Calls("customers/get")
		rep = h.mustRun(ticagasync.RunOptions{})
		if h.fake.Calls("customers/get") == calls || len(rep.Directory.Unreadable) != 1 || h.unknownRows()[broken] != 3 {
			t.Fatalf("run 3 did not retry and report the unreadable user: %+v, rows %v", rep.Directory, h.unknownRows())
		}
		h.fake.ClearUserFault(broken)
		rep = h.mustRun(ticagasync.RunOptions{})
		if len(rep.Directory.Unreadable) != 0 || len(h.unknownRows()) != 0 {
			t.Fatalf("an answered user stayed unreadable: %+v", rep.Directory)
		}
	})
}

// Each malformed answer about a user is unknown, with one error naming the
// endpoint, the id and the status, and is never learned as a user.
func TestMalformedAnswersAreUnknownNeverLearned(t *testing.T) {
	for name, f := range map[string]ticagatest.UserFault{
		"html on 200":      {Status: 200, Body: []byte("<html><body>Welcome</body></html>"), Header: http.Header{"Content-Type": {"text/html"}}},
		"truncated json":   {Status: 200, Body: []byte(`{"user": {"id": 3, "email": "mal`)},
		"empty body":       {Status: 200},
		"user null":        {Status: 200, Body: []byte(`{"user": null}`)},
		"user list":        {Status: 200, Body: []byte(`{"user": []}`)},
		"email a number":   {Status: 200, Body: []byte(`{"user": {"id": 3, "email": 12345}}`)},
		"another id":       {Status: 200, Body: []byte(`{"user": {"id": 4, "email": "alice@example.com"}}`)},
		"nul bytes":        {Status: 200, Body: []byte("{\"user\": {\"id\": 3, \"email\": \"a\x00@example.com\"}}")},
		"unknown error":    {Status: 200, Body: []byte(`{"error": "Database connection lost"}`)},
		"redirect":         {Status: 302, Header: http.Header{"Location": {"https://sso.example.com/login?token=x"}}},
		"slower than wait": {Delay: 3 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t)
			h.engine = h.newEngineWith(token, func(c *ticaga.Config) { c.Timeout = time.Second })
			h.client(blestatest.Client{Email: "alice@example.com"})
			h.user("bob@example.com", "", "")
			h.user("carol@example.com", "", "")
			id := h.user("alice@example.com", "", "") // id 3
			h.fake.SetUserFault(id, f)

			_, err := h.run(ticagasync.RunOptions{})
			if err == nil {
				t.Fatal("the run linked with a malformed answer in range")
			}
			rows := h.unknownRows()
			if _, ok := rows[id]; !ok || len(rows) != 1 {
				t.Fatalf("unknown rows = %v, want only %d", rows, id)
			}
			if _, ok := userCached(h, id); ok {
				t.Fatal("the malformed answer was learned as a user")
			}
			if _, ok := userCached(h, 4); ok {
				t.Fatal("an answer about another id was stored under that id")
			}
			unknown, _, _ := h.store.DirectoryProgress(t.Context(), h.fake.URL())
			msg := unknown[0].LastError
			wantStatus := fmt.Sprintf("HTTP %d", f.Status)
			if f.Status == 0 {
				wantStatus = "no answer"
			}
			if !strings.Contains(msg, "customers/get") || !strings.Contains(msg, "3") || !strings.Contains(msg, wantStatus) {
				t.Fatalf("error %q does not name the endpoint, the id and %q", msg, wantStatus)
			}
			if strings.Contains(msg, token) {
				t.Fatal("the error carries the token")
			}
			if len(h.pairings()) != 0 {
				t.Fatal("linked")
			}
		})
	}
}

// newEngineWith builds an engine whose client config is changed by edit.
func (h *harness) newEngineWith(tok string, edit func(*ticaga.Config)) *ticagasync.Engine {
	h.t.Helper()
	e := h.newEngine(tok)
	cfg := ticaga.Config{BaseURL: h.fake.URL(), Token: ticaga.Secret(tok), Timeout: 5 * time.Second,
		MaxRetries: 1, RetryBaseDelay: 10 * time.Millisecond, Logger: zerolog.Nop()}
	edit(&cfg)
	client, err := ticaga.New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	e.Ticaga = client
	return e
}

// outcome is a run's result in comparable form: each customer's action and
// reason, and the pairings.
func outcomeOf(h *harness, rep *ticagasync.Report) (map[int64]string, map[int64]int64) {
	got := map[int64]string{}
	for d := range rep.All() {
		got[bid(d.Contact.BillingID)] = string(d.Action) + "/" + string(d.Reason)
	}
	return got, h.pairings()
}

// A Ticaga may answer "no such user" with 200, 404, 410, or 401/403 (with
// the documented body); each links exactly alike. On 401/403 the harshest
// case is modelled: a rejected token gets the very same answer.
func TestNotFoundStatusVariantsLinkAlike(t *testing.T) {
	var want map[int64]string
	var wantPairs map[int64]int64
	for _, status := range []int{200, 404, 410, 401, 403} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			h := newHarness(t)
			seedWorld(h)
			// Holes in the id space: deleted users answer "no such user".
			for _, email := range []string{"gone1@example.com", "gone2@example.com"} {
				h.fake.DeleteUser(h.user(email, "", ""))
			}
			h.user("late@example.com", "", "")
			h.fake.SetNotFoundStatus(status)
			if status == 401 || status == 403 {
				h.fake.SetAuthFailure(status, notFoundBody)
			}
			rep := h.mustRun(ticagasync.RunOptions{})
			got, pairs := outcomeOf(h, rep)
			if status == 200 {
				want, wantPairs = got, pairs
				return
			}
			if !maps.Equal(got, want) || !maps.Equal(pairs, wantPairs) {
				t.Fatalf("not-found on %d:\n got %v %v\nwant %v %v", status, got, pairs, want, wantPairs)
			}
			if rep.Directory.Size != 11 {
				t.Fatalf("directory size %d, want 11", rep.Directory.Size)
			}
			if status == 401 || status == 403 {
				if c := rep.APICalls[ticagasync.EndpointConnection]; c < 2 {
					t.Fatalf("%d connection calls: the 401 not-founds were not proven by a probe", c)
				}
			}
			// A second run needs no assign and stays the same.
			rep = h.mustRun(ticagasync.RunOptions{})
			if rep.APICalls[ticagasync.EndpointAssign] != 0 {
				t.Fatal("second run assigned")
			}
		})
	}
}

// A token revoked in the middle of a run, on a Ticaga whose rejected token
// and missing user look the same, aborts the run before anything more is
// written: in the scan, and while linking.
func TestRevokedTokenMidRunAborts(t *testing.T) {
	for _, when := range []string{"customers/get", "customers/assign"} {
		t.Run(when, func(t *testing.T) {
			h := newHarness(t)
			w := seedWorld(h)
			h.fake.SetNotFoundStatus(401)
			h.fake.SetAuthFailure(401, notFoundBody)
			var n atomic.Int32
			h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
				if endpoint == when && n.Add(1) == 2 {
					h.fake.RevokeToken()
				}
			}})
			before := h.dump("ticaga_sync_directory")
			_, err := h.run(ticagasync.RunOptions{})
			if !errors.Is(err, ticagasync.ErrUnauthorized) {
				t.Fatalf("err = %v, want ErrUnauthorized", err)
			}
			if when == "customers/get" {
				if got := h.dump("ticaga_sync_directory"); got != before {
					t.Fatalf("the directory changed after the token was revoked:\n%s", got)
				}
				if len(h.pairings()) != 0 || len(h.fake.Assignments()) != 0 {
					t.Fatal("linked after the token was revoked")
				}
			}
			if h.count("ticaga_sync_decisions") != 0 || h.count("ticaga_sync_unknown") != 0 {
				t.Fatal("decisions or unknown users were recorded after the token was revoked")
			}
			// At most the links made before the revocation (2) are paired,
			// each the right one.
			for tid, bid := range h.pairings() {
				if !(tid == w.uLink && bid == w.link) && !(tid == w.uLinkPadded && bid == w.linkPadded) && !(tid == w.uAlready && bid == w.alreadyBilling) {
					t.Fatalf("wrong pairing %d -> %d", tid, bid)
				}
			}
		})
	}
}

// A hostile network on every endpoint: 30% 5xx, 10% 429 with Retry-After,
// 5% dropped connections and 5% HTML 502 pages. Within 3 runs the pairings
// equal a fault-free run's, and no assign call or pairing row is ever
// wrong.
func TestFaultMixConvergesWithinThreeRuns(t *testing.T) {
	h := newHarness(t)
	h.engine = h.newEngineWith(token, func(c *ticaga.Config) {
		c.MaxRetries = 0 // the production default
		c.RetryBaseDelay = 0
		// The mix's 429s say Retry-After: 1, as a throttle of a one-second
		// window would: the pacer then adds no rounding second to each.
		c.PaceWindow = time.Second
	})
	h.engine.UnreadableAfter = 3
	want := map[int64]int64{} // ticaga id -> billing id
	for i := range 40 {
		email := fmt.Sprintf("customer%02d@example.com", i)
		bid := h.client(blestatest.Client{Email: email})
		if i%4 != 3 { // one in four has no Ticaga account
			want[h.user(email, "", "")] = bid
		}
		if i%10 == 0 {
			h.fake.DeleteUser(h.user(fmt.Sprintf("deleted%02d@example.com", i), "", ""))
		}
	}
	h.fake.SetFaultMix(ticagatest.FaultMix{ServerError: 0.30, TooManyRequests: 0.10, Drop: 0.05, HTML: 0.05, RetryAfter: time.Second})
	check := func(run int) {
		for _, a := range h.fake.Assignments() {
			if fmt.Sprint(want[a.TicagaID]) != a.BillingID || a.BillingSystem != "Blesta" {
				t.Fatalf("run %d: wrong assign %+v", run, a)
			}
		}
		for tid, bid := range h.pairings() {
			if want[tid] != bid {
				t.Fatalf("run %d: wrong pairing %d -> %d", run, tid, bid)
			}
		}
	}
	runs := 0
	for runs < 3 && !maps.Equal(h.pairings(), want) {
		runs++
		rep, err := h.run(ticagasync.RunOptions{})
		t.Logf("run %d: %s %+v, %d API calls, err %v", runs, rep.Outcome, rep.Counts, rep.TotalAPICalls(), err)
		check(runs)
	}
	if !maps.Equal(h.pairings(), want) {
		t.Fatalf("not converged after 3 runs: %d of %d pairings", len(h.pairings()), len(want))
	}
	t.Logf("converged in %d run(s)", runs)
}

// A first scan stopped mid-way resumes where it was on the next run: the
// answers it had are not read again.
func TestStoppedFirstScanResumes(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		const users = 1200
		for i := range users {
			h.user(fmt.Sprintf("u%04d@example.com", i), "", "")
		}
		h.client(blestatest.Client{Email: "u1150@example.com"})
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var n atomic.Int32
		h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
			if endpoint == "customers/get" && n.Add(1) == 700 {
				cancel()
			}
		}})
		_, err := h.engine.Run(ctx, ticagasync.RunOptions{})
		if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "resumes") {
			t.Fatalf("stopped run: %v", err)
		}
		_, pos, _ := h.store.DirectoryProgress(t.Context(), h.fake.URL())
		saved, _ := h.store.DirectoryUsers(t.Context(), h.fake.URL())
		if pos == nil || pos.Next < 690 || len(saved) < int(pos.Next)-1 {
			t.Fatalf("after the stop: position %+v, %d users saved", pos, len(saved))
		}
		h.fake.SetHooks(ticagatest.Hooks{})
		h.fake.ResetCalls()
		rep := h.mustRun(ticagasync.RunOptions{})
		if rep.Directory.ResumedAt != pos.Next || rep.Directory.Size != users || len(h.pairings()) != 1 {
			t.Fatalf("resumed run: %+v, pairings %v", rep.Directory, h.pairings())
		}
		// The rest, the gap, and the link's confirmation; never the first 700.
		if got, most := h.fake.Calls("customers/get"), users-int(pos.Next)+1+5+8+1; got > most {
			t.Fatalf("resumed run read %d users, want at most %d", got, most)
		}
		if _, pos, _ := h.store.DirectoryProgress(t.Context(), h.fake.URL()); pos != nil {
			t.Fatalf("a finished scan left its position: %+v", pos)
		}
	})
}

// An unknown answer neither ends nor extends the run of ids without a
// user: deleted ids and broken ids together never end the scan before a
// readable user above them, so a duplicate email there is seen even once
// the broken ids are unreadable.
func TestUnknownAnswersDoNotEndTheScan(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		h.engine.DirectoryGap, h.engine.Concurrency, h.engine.UnreadableAfter = 20, 2, 3
		h.client(blestatest.Client{Email: "alice@example.com"})
		h.user("alice@example.com", "", "")
		for range 10 {
			h.fake.DeleteUser(h.user("deleted@example.com", "", ""))
		}
		for range 10 {
			h.fake.SetUserFault(h.user("broken@example.com", "", ""), ticagatest.UserFault{Status: 500, Body: []byte(`{"message":"Server Error"}`)})
		}
		for range 4 {
			h.fake.DeleteUser(h.user("deleted@example.com", "", ""))
		}
		dup := h.user("Alice@example.com", "", "")
		var rep *ticagasync.Report
		for range 3 {
			rep, _ = h.run(ticagasync.RunOptions{})
		}
		if _, ok := userCached(h, dup); !ok {
			t.Fatalf("user %d above the broken ids was never read", dup)
		}
		if len(h.pairings()) != 0 || rep.Counts.Conflict != 1 {
			t.Fatalf("run 3: %+v, pairings %v; want the duplicate email as a conflict", rep.Counts, h.pairings())
		}
	})
}

// A Ticaga that stops answering customers/get above its users breaks the
// scan off; the next run resumes at the first unanswered id, and the ids of
// that run of unknown answers are not remembered (so they never pile up or
// turn "unreadable").
func TestBrokenOffScanDoesNotPileUpUnknownIDs(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		h.client(blestatest.Client{Email: "alice@example.com"})
		h.user("alice@example.com", "", "")
		h.user("bob@example.com", "", "")
		for id := int64(3); id <= 60; id++ {
			h.fake.SetUserFault(id, ticagatest.UserFault{Status: 503, Body: []byte(`{"message":"Service Unavailable"}`)})
		}
		for run := 1; run <= 3; run++ {
			_, err := h.run(ticagasync.RunOptions{})
			if err == nil || !strings.Contains(err.Error(), "stopped answering customers/get") {
				t.Fatalf("run %d: %v", run, err)
			}
			_, pos, _ := h.store.DirectoryProgress(t.Context(), h.fake.URL())
			if rows := h.unknownRows(); len(rows) != 0 || pos == nil || pos.Next != 3 {
				t.Fatalf("run %d: unknown rows %v, position %+v; want none and 3", run, rows, pos)
			}
		}
		for id := int64(3); id <= 60; id++ {
			h.fake.ClearUserFault(id)
		}
		h.mustRun(ticagasync.RunOptions{})
		if len(h.pairings()) != 1 {
			t.Fatalf("pairings %v after Ticaga answered again", h.pairings())
		}
	})
}

// On a Ticaga whose rejected token looks like a missing user, a token
// revoked while linking stops the links at once: the first such answer is
// proven before it counts.
func TestRevokedTokenStopsLinksAtOnce(t *testing.T) {
	h := newHarness(t)
	for i := range 30 {
		email := fmt.Sprintf("c%02d@example.com", i)
		h.client(blestatest.Client{Email: email})
		h.user(email, "", "")
	}
	h.fake.SetNotFoundStatus(401)
	h.fake.SetAuthFailure(401, notFoundBody)
	var assigns, after atomic.Int32
	h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
		if endpoint != "customers/assign" {
			return
		}
		if assigns.Add(1) == 2 {
			h.fake.RevokeToken()
		} else if assigns.Load() > 2 {
			after.Add(1)
		}
	}})
	rep, err := h.run(ticagasync.RunOptions{})
	if !errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if n := after.Load(); n > int32(h.engine.Concurrency) {
		t.Fatalf("%d assign calls after the token was revoked, want at most the %d in flight", n, h.engine.Concurrency)
	}
	for d := range rep.All() {
		if d.Reason == ticagasync.ReasonTicagaUserGone {
			t.Fatalf("a rejected token was read as a deleted user: %+v", d)
		}
	}
}

// A Ticaga whose user ids start far above 1 (old test accounts deleted, or
// ids handed out from a high base): the first scan sees no user in its gap,
// probes ids far above (at the gap times 2, 4, 8, ...), and scans up to and
// past the first user it finds. Here ids 600-699 hold users: the probe at
// 645 finds one.
func TestFirstScanFindsUsersWhoseIdsStartHigh(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		id := h.client(blestatest.Client{Email: "alice@example.com"})
		h.fake.AddUser(ticagatest.User{ID: 600, Name: "Alice", Email: "alice@example.com"})
		for i := int64(601); i < 700; i++ {
			h.fake.AddUser(ticagatest.User{ID: i, Name: "User", Email: fmt.Sprintf("u%d@example.com", i)})
		}
		rep := h.mustRun(ticagasync.RunOptions{})
		if rep.Directory.Size != 100 || decisionFor(rep, id).Action != ticagasync.ActionLink {
			t.Fatalf("directory %+v, decision %+v; want both users found and alice linked", rep.Directory, decisionFor(rep, id))
		}
		// A Ticaga with no user at all costs the probes and finds nothing.
		empty := newMemHarness(t)
		rep = empty.mustRun(ticagasync.RunOptions{})
		if rep.Directory.Size != 0 || len(empty.unknownRows()) != 0 {
			t.Fatalf("empty Ticaga: %+v", rep.Directory)
		}
	})
}
