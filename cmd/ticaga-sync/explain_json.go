package main

import (
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// stamp prints a time in the local zone with the zone's name, as every
// time a person reads is printed.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04:05 MST")
}

// The JSON of `explain --output json`. Field names are stable (README);
// times are RFC 3339 with their offset.
type explainJSON struct {
	Client  ticagasync.BillingID `json:"client,omitempty"`
	Email   string               `json:"email,omitempty"`
	Found   bool                 `json:"found"`
	Sources []explainSourceJSON  `json:"sources"`
}

type explainSourceJSON struct {
	Source string `json:"source"`
	Target string `json:"target,omitempty"`
	// Problem is why the source cannot run (its configuration).
	Problem   string         `json:"problem,omitempty"`
	Customers []customerJSON `json:"customers"`
	// NotSelected says why the client asked for is not selected.
	NotSelected *notSelectedJSON `json:"not_selected,omitempty"`
	// UsersWithEmail are the directory's users with the email asked for.
	UsersWithEmail []userJSON `json:"ticaga_users_with_email,omitempty"`
	// Directory is what the cached directory the decisions were made from
	// knows (absent for a source that could not be asked).
	Directory *explainDirectoryJSON `json:"directory,omitempty"`
}

type explainDirectoryJSON struct {
	CachedUsers int `json:"cached_users"`
	// ScanResumesAt is the id a scan for new users that has not reached
	// its end resumes at (absent when none).
	ScanResumesAt int64 `json:"scan_resumes_at,omitempty"`
	// Complete is false when "no Ticaga user" can only mean none read
	// yet: the directory was never read, or its scan is not finished.
	Complete bool `json:"complete"`
}

type notSelectedJSON struct {
	BillingID ticagasync.BillingID     `json:"billing_id"`
	Found     bool                     `json:"found"`
	Reasons   []ticagasync.NotSelected `json:"reasons"`
	Message   string                   `json:"message"`
	Status    string                   `json:"status,omitempty"`
	CompanyID int64                    `json:"billing_company_id,omitempty"`
	Problem   string                   `json:"problem,omitempty"`
}

type customerJSON struct {
	BillingID    ticagasync.BillingID     `json:"billing_id"`
	Email        string                   `json:"email"`
	Name         string                   `json:"name"`
	Company      string                   `json:"company"`
	Status       string                   `json:"status"`
	CompanyID    int64                    `json:"billing_company_id"`
	Problem      string                   `json:"problem,omitempty"`
	Action       ticagasync.Action        `json:"action"`
	Reason       ticagasync.Reason        `json:"reason"`
	TicagaID     int64                    `json:"ticaga_id,omitempty"`
	Detail       string                   `json:"detail,omitempty"`
	Hint         string                   `json:"what_to_do"`
	Exclusion    *ticagasync.Exclusion    `json:"exclusion,omitempty"`
	OtherClients []ticagasync.BillingID   `json:"other_clients_with_email"`
	Users        []userJSON               `json:"ticaga_users"`
	Pairings     []pairingJSON            `json:"pairings"`
	Unknown      []ticagasync.UnknownUser `json:"unknown_ticaga_users"`
	LastRecorded *recordedJSON            `json:"last_recorded"`
}

type userJSON struct {
	ID            int64     `json:"id"`
	Email         string    `json:"email"`
	BillingID     string    `json:"billing_id"`
	BillingSystem string    `json:"billing_system"`
	FetchedAt     time.Time `json:"fetched_at"`
}

type pairingJSON struct {
	TicagaID      int64                `json:"ticaga_id"`
	BillingID     ticagasync.BillingID `json:"billing_id"`
	BillingSystem string               `json:"billing_system"`
	Email         string               `json:"email"`
	CompanyID     int64                `json:"company_id"`
}

type recordedJSON struct {
	Action   ticagasync.Action `json:"action"`
	Reason   ticagasync.Reason `json:"reason"`
	Since    time.Time         `json:"since"`
	LastSeen time.Time         `json:"last_seen"`
	RunID    int64             `json:"run_id"`
}

func usersJSON(us []ticagasync.TicagaUser) []userJSON {
	out := []userJSON{}
	for _, u := range us {
		out = append(out, userJSON{ID: u.ID, Email: u.Email, BillingID: string(u.BillingID), BillingSystem: u.BillingSystem, FetchedAt: u.FetchedAt})
	}
	return out
}

func newExplainSourceJSON(s *daemon.Source, client ticagasync.BillingID, res ticagasync.ExplainResult) explainSourceJSON {
	out := explainSourceJSON{Source: s.Name(), Target: s.Engine().Target, Customers: []customerJSON{},
		Directory: &explainDirectoryJSON{CachedUsers: res.DirectoryUsers, Complete: !res.DirectoryIncomplete()}}
	if res.Scan != nil {
		out.Directory.ScanResumesAt = res.Scan.Next
	}
	for _, x := range res.Explanations {
		d, c := x.Decision, x.Decision.Contact
		cj := customerJSON{BillingID: c.BillingID, Email: c.Email, Name: c.Name(), Company: c.Company, Status: c.Status,
			CompanyID: c.CompanyID, Problem: c.Problem, Action: d.Action, Reason: d.Reason, TicagaID: d.TicagaID, Detail: d.Detail,
			Hint: explainHint(x, res), Exclusion: d.Exclusion, OtherClients: append([]ticagasync.BillingID{}, x.OtherClients...), Users: usersJSON(x.Users),
			Pairings: []pairingJSON{}, Unknown: append([]ticagasync.UnknownUser{}, x.Unknown...)}
		for _, p := range x.Pairings {
			cj.Pairings = append(cj.Pairings, pairingJSON{TicagaID: p.TicagaUserID, BillingID: p.BillingUserID,
				BillingSystem: p.BillingSystem, Email: p.Email, CompanyID: p.CompanyID})
		}
		if r := x.Recorded; r != nil {
			cj.LastRecorded = &recordedJSON{Action: r.Action, Reason: r.Reason, Since: r.Since, LastSeen: r.LastSeen, RunID: r.RunID}
		}
		out.Customers = append(out.Customers, cj)
	}
	if res.EmailKey != "" && len(res.Explanations) == 0 {
		out.UsersWithEmail = usersJSON(res.UsersWithEmail)
	}
	if l := res.Lookup; l != nil {
		why := append([]ticagasync.NotSelected{}, l.Why...)
		out.NotSelected = &notSelectedJSON{BillingID: client, Found: l.Found, Reasons: why, Message: daemon.NotSelectedLine(client, *l),
			Status: l.Contact.Status, CompanyID: l.Contact.CompanyID, Problem: l.Contact.Problem}
	}
	return out
}
