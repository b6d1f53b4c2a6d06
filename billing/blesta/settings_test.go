package blesta_test

import (
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

func TestPluginSettings(t *testing.T) {
	db, dsn := testdb.Open(t)
	ctx := t.Context()
	gdb, err := billing.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := blesta.PluginSettings(ctx, gdb); err == nil || !strings.Contains(err.Error(), "set TICAGA_URL") {
		t.Fatalf("without the plugin's table: %v", err)
	}
	for _, row := range [][3]string{
		{"2", "https://two.example/", "key-two"},
		{"1", "https://one.example", "key-one"},
		{"x", "https://bad.example", "key-bad"},
		{"3", "https://nokey.example", ""},
	} {
		if err := blestatest.AddPluginSetting(ctx, db, row[0], row[1], row[2]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := blesta.PluginSettings(ctx, gdb)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d rows", len(got))
	}
	byURL := map[string]blesta.PluginSetting{}
	for _, s := range got {
		byURL[s.APIURL] = s
	}
	if s := byURL["https://two.example"]; s.CompanyID != 2 || s.APIKey != "key-two" || s.Problem() != "" {
		t.Errorf("company 2 = %+v (%s)", s, s.Problem())
	}
	if p := byURL["https://bad.example"].Problem(); !strings.Contains(p, `company_id "x"`) {
		t.Errorf("bad company id problem = %q", p)
	}
	if p := byURL["https://nokey.example"].Problem(); p != "api_key is empty" {
		t.Errorf("missing key problem = %q", p)
	}
	if got[0].CompanyID != 0 || got[1].CompanyID != 1 || got[2].CompanyID != 2 {
		t.Errorf("not ordered by company: %+v", got)
	}
}
