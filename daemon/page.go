package daemon

import (
	"net/http"

	"github.com/ticaga/ticaga-sync/metrics"
	"github.com/ticaga/ticaga-sync/statuspage"
)

// httpHandler serves HTTP_ADDR: the status page on exactly "/", and
// /metrics, /healthz and /readyz; every other path is 404.
func (st *daemonState) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/{$}", statuspage.Handler(statuspage.Options{Sources: st.pageSources, Version: st.version}))
	mux.Handle("/", metrics.Handler(st.health, st.reg))
	return mux
}

// pageSources is what the status page shows now: the running generation's
// sources, or none while the daemon reloads.
func (st *daemonState) pageSources() []statuspage.Source {
	if p := st.page.Load(); p != nil {
		return *p
	}
	return nil
}

// showOnPage makes a's sources those of the status page, each read from
// its store, with its Ticaga URL redacted.
func (st *daemonState) showOnPage(a *App) {
	st.page.Store(new(pageSourcesOf(a)))
}

// pageSourcesOf describes a's sources for the status page. A source that
// cannot run is shown with its problem.
func pageSourcesOf(a *App) []statuspage.Source {
	out := make([]statuspage.Source, 0, len(a.sources))
	for _, s := range a.sources {
		ps := statuspage.Source{
			Name:            s.name,
			System:          s.cfg.BillingSystem,
			Ticaga:          s.cfg.Redacted()["TICAGA_URL"],
			Target:          s.cfg.TicagaURL,
			UnreadableAfter: s.cfg.TicagaUnreadableAfter,
		}
		if s.engine != nil {
			ps.Target, ps.UnreadableAfter = s.engine.Target, s.engine.UnreadableAfter
		}
		switch {
		case s.problem != nil:
			ps.Problem = OneLine(s.problem)
		case s.store != nil:
			ps.Reader = s.store
		}
		out = append(out, ps)
	}
	return out
}
