package sync

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestBillingIDOrderAndForms(t *testing.T) {
	ids := []BillingID{"cst-b", "10", "9", "cst-A", "-1", "100", "cst-a"}
	slices.SortFunc(ids, CompareBillingIDs)
	want := []BillingID{"-1", "9", "10", "100", "cst-A", "cst-a", "cst-b"}
	if !slices.Equal(ids, want) {
		t.Fatalf("sorted = %v, want %v", ids, want)
	}
	if n, ok := BillingID("17").Int(); !ok || n != 17 {
		t.Fatalf(`"17".Int() = %d, %v`, n, ok)
	}
	for _, notNumber := range []BillingID{"017", "+17", " 17", "cst-17", "", "99999999999999999999"} {
		if _, ok := notNumber.Int(); ok {
			t.Errorf("%q.Int() ok, want not a number", notNumber)
		}
	}
	for in, want := range map[string]BillingID{" 017 ": "17", "cst-dQyWKER4Orw5glVX": "cst-dQyWKER4Orw5glVX", "42": "42"} {
		if got, err := ParseBillingID(in); err != nil || got != want {
			t.Errorf("ParseBillingID(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "  ", "cst 1", "cst-\x00", string(make([]byte, 65))} {
		if got, err := ParseBillingID(bad); err == nil {
			t.Errorf("ParseBillingID(%q) = %q, want an error", bad, got)
		}
	}
}

func TestBillingIDJSON(t *testing.T) {
	type row struct {
		ID BillingID `json:"billing_id"`
	}
	for id, want := range map[BillingID]string{"17": `{"billing_id":17}`, "cst-x1": `{"billing_id":"cst-x1"}`, "017": `{"billing_id":"017"}`} {
		b, err := json.Marshal(row{id})
		if err != nil || string(b) != want {
			t.Errorf("Marshal(%q) = %s, %v; want %s", id, b, err, want)
		}
		var back row
		if err := json.Unmarshal(b, &back); err != nil || back.ID != id {
			t.Errorf("Unmarshal(%s) = %q, %v", b, back.ID, err)
		}
	}
	var r row
	for in, want := range map[string]BillingID{`{"billing_id":"2"}`: "2", `{"billing_id":2}`: "2", `{"billing_id":null}`: ""} {
		if err := json.Unmarshal([]byte(in), &r); err != nil || r.ID != want {
			t.Errorf("Unmarshal(%s) = %q, %v; want %q", in, r.ID, err, want)
		}
	}
	if err := json.Unmarshal([]byte(`{"billing_id":1.5}`), &r); err == nil {
		t.Errorf("Unmarshal of 1.5 succeeded")
	}
}
