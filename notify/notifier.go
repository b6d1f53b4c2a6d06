// Package notify tells ops about runs worth a look: a run whose open
// decisions (customers left unlinked: conflicts, failed links, invalid
// emails, no matches) changed since the last notification, a failed run,
// and the first good run after a failure. It sends to an optional webhook
// (a JSON Payload by POST) and an optional email (plain text through SMTP).
//
// The rules, per source and per channel:
//
//   - a dry run, a run that never started (nil report: the lock was held)
//     and a run cut short by its context being cancelled (the daemon
//     stopping: an error wrapping context.Canceled, or links left untried
//     with reason run_cancelled) notify nothing and leave the State as is;
//   - a failed run notifies once; the same error on the next runs does not
//     notify again, another error does;
//   - the first run that goes through after a failure notifies "recovered";
//   - otherwise a run notifies when its set of open decisions changed: the
//     message lists the new ones in detail and counts the resolved ones.
//     The same conflicts run after run notify nothing; links made alone do
//     not notify (they show in the counts of the next message).
//
// What each channel was last told is kept in a State; a channel whose
// delivery failed keeps its old State and so gets the news after the next
// run, while the other channel is not told twice.
package notify

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Notifier sends the notifications of every source. It is safe for
// concurrent use; runs of one source are handled one at a time.
type Notifier struct {
	cfg      Config
	cfgErr   error
	log      zerolog.Logger
	watched  map[ticagasync.Action]bool
	channels []channel

	mu      sync.Mutex
	sources map[string]*sourceState
}

// sourceState is one source's State, with the lock serialising its runs.
type sourceState struct {
	mu    sync.Mutex
	state State
}

// channel is one way of telling ops.
type channel interface {
	// name identifies the channel in State, errors and logs.
	name() string
	// send delivers ev; the error never contains a secret.
	send(ctx context.Context, ev event) error
}

// New returns a Notifier for cfg, with defaults filled in. A cfg that does
// not pass Validate gives a Notifier whose AfterRun returns that error; call
// Validate first to report it at start-up.
func New(cfg Config, log zerolog.Logger) *Notifier {
	if cfg.WebhookTimeout == 0 {
		cfg.WebhookTimeout = DefaultWebhookTimeout
	}
	if cfg.SMTP.Timeout == 0 {
		cfg.SMTP.Timeout = DefaultSMTPTimeout
	}
	if cfg.SMTP.TLS == "" {
		cfg.SMTP.TLS = TLSStartTLS
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Notifier{cfg: cfg, cfgErr: cfg.Validate(), log: log, sources: map[string]*sourceState{}}
	if len(cfg.Actions) > 0 {
		n.watched = map[ticagasync.Action]bool{}
		for _, a := range cfg.Actions {
			n.watched[a] = true
		}
	}
	if n.cfgErr != nil {
		return n
	}
	if cfg.WebhookURL != "" {
		n.channels = append(n.channels, newWebhook(cfg))
	}
	if cfg.SMTP.Addr != "" {
		n.channels = append(n.channels, newEmail(cfg.SMTP, cfg.Now))
	}
	return n
}

// Enabled reports whether a channel is configured (a webhook URL or an SMTP
// address). A Notifier that is not enabled does nothing.
func (n *Notifier) Enabled() bool { return n.cfg.WebhookURL != "" || n.cfg.SMTP.Addr != "" }

// AfterRun sends what rep, a finished run of source, is worth (see the
// package rules) to every channel, and moves source's State on for the
// channels that delivered. A channel's failure does not stop the other; the
// errors are joined, each prefixed with its channel ("webhook: ...",
// "email: ..."), and never contain the webhook's token or the SMTP password.
//
// Pass every run of the daemon's schedule (the full set of customers). A run
// limited to some customers (sync --client) would make the others look
// resolved: do not pass it.
func (n *Notifier) AfterRun(ctx context.Context, source string, rep *ticagasync.Report) error {
	if !n.Enabled() || rep == nil || rep.DryRun || interrupted(rep) {
		return nil
	}
	if n.cfgErr != nil {
		return fmt.Errorf("notify: %w", n.cfgErr)
	}
	ss := n.source(source)
	ss.mu.Lock()
	defer ss.mu.Unlock()

	open := openDecisions(rep, n.watch)
	var errs []error
	for _, ch := range n.channels {
		cs := ss.state.channel(ch.name())
		ev, ok := decide(cs, source, rep, open)
		if !ok {
			continue
		}
		log := n.log.With().Str("source", source).Str("channel", ch.name()).Str("event", string(ev.kind)).
			Int("new", len(ev.fresh)).Int("resolved", ev.resolved).Logger()
		if err := ch.send(ctx, ev); err != nil {
			log.Warn().Err(err).Msg("notification not delivered; retried after the next run")
			errs = append(errs, fmt.Errorf("%s: %w", ch.name(), err))
			continue
		}
		cs.delivered(ev)
		log.Info().Msg("notification sent")
	}
	return errors.Join(errs...)
}

// State returns a copy of what source's notifications last told each
// channel, to keep across restarts.
func (n *Notifier) State(source string) State {
	ss := n.source(source)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.state.clone()
}

// SetState replaces source's State, typically with one kept from a previous
// process. Call it before the source's first AfterRun.
func (n *Notifier) SetState(source string, s State) {
	ss := n.source(source)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.state = s.clone()
}

// source returns source's state holder, creating it.
func (n *Notifier) source(name string) *sourceState {
	n.mu.Lock()
	defer n.mu.Unlock()
	ss := n.sources[name]
	if ss == nil {
		ss = &sourceState{}
		n.sources[name] = ss
	}
	return ss
}

// watch reports whether open action a is worth a notification.
func (n *Notifier) watch(a ticagasync.Action) bool { return n.watched == nil || n.watched[a] }
