package sync

import (
	"strings"
	"testing"
)

func TestProvisionPlan(t *testing.T) {
	nm := func(id int64, status string) Decision {
		return Decision{Contact: Contact{BillingID: BillingIDOf(id), Email: "x@example.com", Status: status}, Action: ActionNoMatch, Reason: ReasonNoTicagaUser}
	}
	other := Decision{Contact: Contact{BillingID: "9"}, Action: ActionConflict, Reason: ReasonDuplicateBillingEmail}
	gone := Decision{Contact: Contact{BillingID: "8"}, Action: ActionNoMatch, Reason: ReasonTicagaUserGone}
	for _, tt := range []struct {
		name       string
		p          Provisioning
		unreadable []UnknownUser
		want       []string // action/reason per decision
	}{
		{"off", Provisioning{Max: 5}, nil, []string{"no_match/no_ticaga_user", "no_match/no_ticaga_user", "no_match/no_ticaga_user", "conflict/duplicate_billing_email", "no_match/ticaga_user_deleted"}},
		{"on", Provisioning{Enabled: true, Max: 5}, nil, []string{"create/", "create/", "create/", "conflict/duplicate_billing_email", "no_match/ticaga_user_deleted"}},
		{"brake", Provisioning{Enabled: true, Max: 2}, nil, []string{"create/", "create/", "no_match/provision_limit", "conflict/duplicate_billing_email", "no_match/ticaga_user_deleted"}},
		{"statuses", Provisioning{Enabled: true, Max: 5, Statuses: []string{"Active"}}, nil, []string{"create/", "no_match/no_ticaga_user", "create/", "conflict/duplicate_billing_email", "no_match/ticaga_user_deleted"}},
		{"incomplete directory", Provisioning{Enabled: true, Max: 5}, []UnknownUser{{ID: 17}}, []string{"no_match/provision_directory_incomplete", "no_match/provision_directory_incomplete", "no_match/provision_directory_incomplete", "conflict/duplicate_billing_email", "no_match/ticaga_user_deleted"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ds := []Decision{nm(1, "active"), nm(2, "inactive"), nm(3, "active"), other, gone}
			tt.p.provision(ds, tt.unreadable, nil)
			for i, d := range ds {
				if got := string(d.Action) + "/" + string(d.Reason); got != tt.want[i] {
					t.Errorf("decision %d = %s, want %s", i, got, tt.want[i])
				}
				if d.Reason == ReasonProvisionBlocked && !strings.Contains(d.Detail, "id 17") {
					t.Errorf("detail %q does not name the unreadable user", d.Detail)
				}
			}
		})
	}
}
