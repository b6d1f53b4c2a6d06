package notify

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// stateVersion is the version of State's JSON form.
const stateVersion = 1

// State is what a source's notifications last told each channel: the open
// decisions delivered (by fingerprint) and whether the last run reported was
// a failure, with its error text. AfterRun compares a run against it and
// moves it on only for the channels that delivered, so a channel that failed
// gets the same news again after the next run, and a channel that succeeded
// does not get it twice.
//
// The zero State knows nothing: the first run with open decisions is
// reported in full. A Notifier keeps one State per source in memory; State
// and SetState let a caller keep them across restarts, in JSON (MarshalJSON,
// UnmarshalJSON).
type State struct {
	channels map[string]*channelState
}

// channelState is what one channel was last told about one source.
type channelState struct {
	open   map[fingerprint]struct{}
	failed bool
	err    string
}

// fingerprint identifies an open decision: the same customer with the same
// action, reason and Ticaga user is the same news. The detail sentence and
// the email are left out so that a reworded detail does not re-notify.
type fingerprint struct {
	BillingID ticagasync.BillingID `json:"billing_id"`
	Action    ticagasync.Action    `json:"action"`
	Reason    ticagasync.Reason    `json:"reason,omitempty"`
	TicagaID  int64                `json:"ticaga_id,omitempty"`
}

// fingerprintOf returns d's fingerprint.
func fingerprintOf(d ticagasync.Decision) fingerprint {
	return fingerprint{BillingID: d.Contact.BillingID, Action: d.Action, Reason: d.Reason, TicagaID: d.TicagaID}
}

// channel returns the state of the named channel, creating it.
func (s *State) channel(name string) *channelState {
	if s.channels == nil {
		s.channels = map[string]*channelState{}
	}
	cs := s.channels[name]
	if cs == nil {
		cs = &channelState{}
		s.channels[name] = cs
	}
	return cs
}

// clone returns a deep copy of s.
func (s State) clone() State {
	c := State{channels: make(map[string]*channelState, len(s.channels))}
	for name, cs := range s.channels {
		c.channels[name] = &channelState{open: maps.Clone(cs.open), failed: cs.failed, err: cs.err}
	}
	return c
}

// stateJSON is State's JSON form.
type stateJSON struct {
	Version  int                         `json:"version"`
	Channels map[string]channelStateJSON `json:"channels"`
}

// channelStateJSON is one channel's JSON form; Open is sorted so that equal
// states encode to equal bytes.
type channelStateJSON struct {
	Open   []fingerprint `json:"open"`
	Failed bool          `json:"failed,omitempty"`
	Error  string        `json:"error,omitempty"`
}

// MarshalJSON encodes the state as
//
//	{"version":1,"channels":{"webhook":{"open":[{"billing_id":5,
//	"action":"conflict","reason":"duplicate_billing_email"}],"failed":false}}}
func (s State) MarshalJSON() ([]byte, error) {
	out := stateJSON{Version: stateVersion, Channels: map[string]channelStateJSON{}}
	for name, cs := range s.channels {
		open := slices.SortedFunc(maps.Keys(cs.open), compareFingerprints)
		if open == nil {
			open = []fingerprint{}
		}
		out.Channels[name] = channelStateJSON{Open: open, Failed: cs.failed, Error: cs.err}
	}
	return json.Marshal(out)
}

// UnmarshalJSON decodes what MarshalJSON encoded. JSON null gives the zero
// State; an unknown version is an error.
func (s *State) UnmarshalJSON(b []byte) error {
	var in stateJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return fmt.Errorf("notify state: %w", err)
	}
	*s = State{}
	if string(b) == "null" {
		return nil
	}
	if in.Version != stateVersion {
		return fmt.Errorf("notify state: unknown version %d", in.Version)
	}
	for name, c := range in.Channels {
		cs := s.channel(name)
		cs.failed, cs.err = c.Failed, c.Error
		cs.open = make(map[fingerprint]struct{}, len(c.Open))
		for _, fp := range c.Open {
			cs.open[fp] = struct{}{}
		}
	}
	return nil
}

// compareFingerprints orders fingerprints by billing id, then the rest.
func compareFingerprints(a, b fingerprint) int {
	return cmp.Or(ticagasync.CompareBillingIDs(a.BillingID, b.BillingID), cmp.Compare(a.Action, b.Action),
		cmp.Compare(a.Reason, b.Reason), cmp.Compare(a.TicagaID, b.TicagaID))
}
