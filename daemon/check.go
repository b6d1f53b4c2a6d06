package daemon

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga"
)

// CheckResult is one line of a source's check: a precondition (Name) that
// holds when Err is nil, or a Note that is neither a success nor a failure.
type CheckResult struct {
	Name string
	Err  error
	Note string
	// Skipped, when set, says why the check Name was not run (it needs
	// one that failed); it is a failure.
	Skipped string
}

// Check checks every precondition of the source's runs, in order, telling
// emit each result as it comes: that the source can run, its billing
// database and tables, that its selection reads customers, its store, its
// Ticaga and token, and how its Ticaga answers a missing user. Each check
// gets 30 seconds. It reports whether every check passed.
func (s *Source) Check(ctx context.Context, emit func(CheckResult)) bool {
	ok := true
	step := func(name string, f func(ctx context.Context) error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		err := f(cctx)
		emit(CheckResult{Name: name, Err: err})
		ok = ok && err == nil
	}
	if s.problem != nil {
		// The checks of its billing side and store need the wired source;
		// its Ticaga and token are still checked when it has a client (an
		// unreachable store).
		emit(CheckResult{Name: "source can run", Err: s.problem})
		const notRun = "not checked while the source cannot run (see the failure above)"
		for _, name := range append(s.sourceChecks(), "store reachable and writable ("+s.StoreVar()+")") {
			emit(CheckResult{Name: name, Skipped: notRun})
		}
		if s.ticaga != nil {
			s.checkTicaga(ctx, emit, step)
		} else {
			emit(CheckResult{Name: ticagaCheck(s.cfg), Skipped: notRun})
			emit(CheckResult{Name: notFoundCheck, Skipped: notRun})
		}
		return false
	}
	names := s.sourceChecks()
	if billing.IsAPI(s.cfg.BillingSystem) {
		step(names[0], s.engine.Source.Check)
	} else {
		step(names[0], func(ctx context.Context) error {
			db, err := s.billing.DB()
			if err != nil {
				return err
			}
			return db.PingContext(ctx)
		})
		step(names[1], s.engine.Source.Check)
		step(names[2], func(ctx context.Context) error {
			return ticagasync.CheckSelection(ctx, s.engine.Source)
		})
	}
	if cur, latest, err := s.store.SchemaVersion(ctx); err == nil && cur < latest {
		// Nothing to write to yet: the daemon creates its tables on start.
		emit(CheckResult{Note: fmt.Sprintf("store (%s) not migrated yet (schema %d of %d): `ticaga-sync migrate` or the daemon's start creates the tables",
			s.StoreVar(), cur, latest)})
		step("store reachable ("+s.StoreVar()+")", s.store.Ping)
	} else {
		step("store reachable and writable ("+s.StoreVar()+")", s.store.CheckWritable)
	}
	return s.checkTicaga(ctx, emit, step) && ok
}

// sourceChecks names the checks of the billing side, in order; the store's
// check follows them.
func (s *Source) sourceChecks() []string {
	if billing.IsAPI(s.cfg.BillingSystem) {
		return []string{fmt.Sprintf("TicketSource API reachable and key accepted (%s)", s.cfg.TicketSourceURL)}
	}
	return []string{"billing database reachable (BILLING_DSN)", fmt.Sprintf("billing tables readable (%s)", s.cfg.BillingSystem),
		"billing selection reads customers (BILLING_COMPANY_ID, BILLING_STATUSES)"}
}

// The names of the Ticaga checks.
const notFoundCheck = "Ticaga answers a missing user as documented (customers/get)"

func ticagaCheck(cfg configs.Config) string {
	return "Ticaga reachable and API token accepted (" + configs.RedactURL(cfg.TicagaURL) + ")"
}

// checkTicaga checks the source's Ticaga and token, then how it answers a
// missing user, with step; it reports whether both passed.
func (s *Source) checkTicaga(ctx context.Context, emit func(CheckResult), step func(string, func(context.Context) error)) bool {
	ok := true
	ticagaOK := true
	step(ticagaCheck(s.cfg), func(ctx context.Context) error {
		err := authError(s.ticaga.Ping(ctx), s.tokenFrom)
		ticagaOK = err == nil
		return err
	})
	// Every check runs whatever failed before, except one that needs a
	// failed one: it is reported as skipped, and why.
	if !ticagaOK {
		emit(CheckResult{Name: notFoundCheck, Skipped: "needs Ticaga reachable and the token accepted"})
		ok = false
	} else {
		var how string
		step(notFoundCheck, func(ctx context.Context) (err error) {
			how, err = probeNotFound(ctx, s.ticaga)
			ok = ok && err == nil
			return err
		})
		if how != "" {
			emit(CheckResult{Note: fmt.Sprintf("Ticaga says \"no such user\" with %s", how)})
		}
	}
	return ok
}

// probeMissingID is a user id no Ticaga has: the largest signed 32-bit
// integer, valid for any id column.
const probeMissingID = 2147483647

// probeNotFound asks Ticaga for a user that does not exist and says how it
// answers: the status of its "no such user" body, which the API pages do
// not document. Any other answer is an error: every gap in the id space
// would stay unknown, and no run could complete.
func probeNotFound(ctx context.Context, c *ticaga.Client) (string, error) {
	_, err := c.Customer(ctx, probeMissingID)
	var ae *ticaga.APIError
	switch {
	case err == nil:
		return "", fmt.Errorf("customers/get/%d answered a user, so how this Ticaga says \"no such user\" is unknown", probeMissingID)
	case errors.Is(err, ticaga.ErrNotFound) && errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403):
		return fmt.Sprintf("HTTP %d and the documented body; such an answer counts only while the token is proven good "+
			"(runs make a connection call after it)", ae.Status), nil
	case errors.Is(err, ticaga.ErrNotFound) && errors.As(err, &ae):
		return fmt.Sprintf("HTTP %d and the documented body", ae.Status), nil
	}
	return "", fmt.Errorf("a missing user is not answered with the documented {\"error\": \"User not authenticated\"}, "+
		"so every gap in the id space stays unknown and no run can link: %w", err)
}
