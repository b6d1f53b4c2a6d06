package blesta

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// PluginSetting is one row of the Ticaga Blesta plugin's ticaga_settings
// table: the Ticaga a Blesta company is connected to.
type PluginSetting struct {
	// CompanyID is the Blesta company; 0 when the row's company_id is not a
	// positive number.
	CompanyID int64
	// RawCompanyID is company_id as stored (a VARCHAR in the plugin).
	RawCompanyID string
	APIURL       string
	// APIKey is the Ticaga API token. Never log it.
	APIKey string
}

// Problem says why the row cannot be used, or "" when it can.
func (s PluginSetting) Problem() string {
	var missing []string
	if s.CompanyID <= 0 {
		missing = append(missing, fmt.Sprintf("company_id %q is not a company id", s.RawCompanyID))
	}
	if s.APIURL == "" {
		missing = append(missing, "api_url is empty")
	}
	if s.APIKey == "" {
		missing = append(missing, "api_key is empty")
	}
	return strings.Join(missing, ", ")
}

// PluginSettings reads every row of ticaga_settings, ordered by company.
// The table is small (one row per Blesta company).
func PluginSettings(ctx context.Context, db *gorm.DB) ([]PluginSetting, error) {
	rows, err := db.WithContext(ctx).Raw("SELECT company_id, api_url, api_key FROM ticaga_settings").Rows()
	if err != nil {
		return nil, fmt.Errorf("blesta: read the Ticaga plugin's ticaga_settings (set TICAGA_URL when the plugin is not installed): %w", err)
	}
	defer rows.Close()
	var out []PluginSetting
	for rows.Next() {
		var company, apiURL, apiKey sql.NullString
		if err := rows.Scan(&company, &apiURL, &apiKey); err != nil {
			return nil, fmt.Errorf("blesta: read ticaga_settings: %w", err)
		}
		s := PluginSetting{
			RawCompanyID: company.String,
			APIURL:       strings.TrimRight(strings.TrimSpace(apiURL.String), "/"),
			APIKey:       strings.TrimSpace(apiKey.String),
		}
		if id, err := strconv.ParseInt(strings.TrimSpace(company.String), 10, 64); err == nil && id > 0 {
			s.CompanyID = id
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("blesta: read ticaga_settings: %w", err)
	}
	slices.SortStableFunc(out, func(a, b PluginSetting) int { return cmp.Compare(a.CompanyID, b.CompanyID) })
	return out, nil
}
