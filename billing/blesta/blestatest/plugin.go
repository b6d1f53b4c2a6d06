package blestatest

import (
	"context"
	"database/sql"
	"fmt"
)

// PluginSettingsTable is the Ticaga Blesta plugin's ticaga_settings table as
// its installer creates it: one Ticaga connection per Blesta company.
const PluginSettingsTable = "CREATE TABLE `ticaga_settings` (\n" +
	"  `api_key` text NULL,\n" +
	"  `api_url` varchar(255) NOT NULL,\n" +
	"  `company_id` varchar(255) NOT NULL,\n" +
	"  PRIMARY KEY (`api_url`)\n" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci"

// AddPluginSetting creates ticaga_settings when missing and inserts a row.
// An empty apiKey is stored as NULL.
func AddPluginSetting(ctx context.Context, db *sql.DB, companyID, apiURL, apiKey string) error {
	if _, err := db.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS"+PluginSettingsTable[len("CREATE TABLE"):]); err != nil {
		return fmt.Errorf("create ticaga_settings: %w", err)
	}
	var key any
	if apiKey != "" {
		key = apiKey
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO ticaga_settings (api_key, api_url, company_id) VALUES (?, ?, ?)", key, apiURL, companyID); err != nil {
		return fmt.Errorf("insert ticaga_settings: %w", err)
	}
	return nil
}
