package metrics

import (
	"context"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// ShutdownTimeout bounds how long Serve waits for requests in flight once
// its context ends; connections still open after it are closed.
const ShutdownTimeout = 5 * time.Second

// Handler serves, for GET and HEAD:
//
//   - /metrics: the series of g, in the Prometheus exposition formats;
//   - /healthz: 200 "ok" while the process runs (liveness);
//   - /readyz: 200 "ready", or 503 with h's reasons one per line (readiness,
//     see Health). A nil h is always ready.
//
// Every other path is 404, and every other method 405.
func Handler(h *Health, g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeText(w, http.StatusOK, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if h == nil {
			writeText(w, http.StatusOK, "ready\n")
			return
		}
		ok, reasons := h.Ready()
		if ok {
			writeText(w, http.StatusOK, "ready\n")
			return
		}
		writeText(w, http.StatusServiceUnavailable, strings.Join(reasons, "\n")+"\n")
	})
	return mux
}

// writeText writes a plain text answer that no cache keeps.
func writeText(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// Listen opens a TCP listener on addr (host:port; port 0 picks a free one)
// for Serve. Call it before starting the daemon's work, so that a taken
// port fails at once. Its error names addr, e.g. "listen on
// 127.0.0.1:9464: bind: address already in use"; errors.Is sees the cause
// (syscall.EADDRINUSE).
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) && op.Err != nil {
			err = op.Err // its text repeats the address
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Serve serves handler on ln until ctx ends, then shuts down gracefully:
// requests in flight get ShutdownTimeout to finish, after which the
// remaining connections are closed. It closes ln. It returns nil after a
// shutdown, or at once the error that stopped the server otherwise.
func Serve(ctx context.Context, ln net.Listener, handler http.Handler, log zerolog.Logger) error {
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          stdlog.New(serverLog{log}, "", 0),
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	log.Info().Str("addr", addr).Msg("serving /metrics, /healthz and /readyz")

	select {
	case err := <-done:
		return fmt.Errorf("serve http on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn().Err(err).Str("addr", addr).Msg("http shutdown: closing the remaining connections")
		_ = srv.Close()
	}
	<-done // http.ErrServerClosed
	log.Info().Str("addr", addr).Msg("http listener stopped")
	return nil
}

// serverLog passes the http.Server's own messages (bad requests, handler
// panics) to the logger as warnings.
type serverLog struct{ log zerolog.Logger }

// Write implements io.Writer for log.Logger.
func (s serverLog) Write(p []byte) (int, error) {
	s.log.Warn().Msg("http server: " + strings.TrimSpace(string(p)))
	return len(p), nil
}
