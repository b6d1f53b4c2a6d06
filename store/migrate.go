package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// ErrIncompatibleTable means the existing ticaga_billing table lacks a column
// or key ticaga-sync needs. The table belongs to the Blesta plugin and is
// never altered: a person fixes it.
var ErrIncompatibleTable = errors.New("incompatible ticaga_billing table")

// pairingTableDDL is the Blesta plugin's definition of ticaga_billing, used
// only when the table does not exist yet.
const pairingTableDDL = "CREATE TABLE IF NOT EXISTS `ticaga_billing` (" +
	"`ticaga_userid` INT(10) NOT NULL DEFAULT 0," +
	"`billing_userid` INT(10) NOT NULL DEFAULT 0," +
	"`email_address` VARCHAR(255) NOT NULL DEFAULT ''," +
	"`billing_system` VARCHAR(255) NOT NULL DEFAULT ''," +
	"`company_id` INT(10) NOT NULL," +
	"PRIMARY KEY (`ticaga_userid`)" +
	") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

const tableOptions = " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"

const migrationsDDL = "CREATE TABLE IF NOT EXISTS `ticaga_sync_migrations` (" +
	"`version` INT NOT NULL PRIMARY KEY," +
	"`name` VARCHAR(191) NOT NULL," +
	"`applied_at` DATETIME(3) NOT NULL" +
	")" + tableOptions

// migration is one schema step, applied once and recorded by version. Its
// statements are idempotent (IF NOT EXISTS; an ADD COLUMN whose column
// exists counts as done), so a crash between the DDL and its record is
// repaired by the next Migrate.
type migration struct {
	version int
	name    string
	stmts   []string
}

// migrations are the steps in order; append only, never edit an applied one.
var migrations = []migration{
	{1, "create ticaga_sync_runs", []string{"CREATE TABLE IF NOT EXISTS `ticaga_sync_runs` (" +
		"`id` BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY," +
		"`source` VARCHAR(191) NOT NULL," +
		"`started_at` DATETIME(3) NOT NULL," +
		"`finished_at` DATETIME(3) NULL," +
		"`outcome` VARCHAR(16) NOT NULL," +
		"`dry_run` BOOL NOT NULL DEFAULT 0," +
		"`contacts` INT NOT NULL DEFAULT 0," +
		"`linked` INT NOT NULL DEFAULT 0," +
		"`already_linked` INT NOT NULL DEFAULT 0," +
		"`no_match` INT NOT NULL DEFAULT 0," +
		"`conflict` INT NOT NULL DEFAULT 0," +
		"`invalid_email` INT NOT NULL DEFAULT 0," +
		"`failed` INT NOT NULL DEFAULT 0," +
		"`api_calls` INT NOT NULL DEFAULT 0," +
		"`error` TEXT NULL," +
		"KEY `idx_runs_source_started` (`source`, `started_at`)" +
		")" + tableOptions}},
	{2, "create ticaga_sync_directory", []string{"CREATE TABLE IF NOT EXISTS `ticaga_sync_directory` (" +
		"`target` VARCHAR(191) NOT NULL," +
		"`ticaga_id` BIGINT NOT NULL," +
		"`email` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`email_key` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`name` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`company` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`billing_id` VARCHAR(64) NOT NULL DEFAULT ''," +
		"`billing_system` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`fetched_at` DATETIME(3) NOT NULL," +
		"PRIMARY KEY (`target`, `ticaga_id`)," +
		"KEY `idx_directory_email` (`target`, `email_key`(191))" +
		")" + tableOptions}},
	{3, "create ticaga_sync_decisions", []string{"CREATE TABLE IF NOT EXISTS `ticaga_sync_decisions` (" +
		"`source` VARCHAR(191) NOT NULL," +
		"`billing_id` BIGINT NOT NULL," +
		"`email` VARCHAR(255) NOT NULL DEFAULT ''," +
		"`action` VARCHAR(32) NOT NULL," +
		"`reason` VARCHAR(64) NOT NULL DEFAULT ''," +
		"`ticaga_id` BIGINT NULL," +
		"`detail` TEXT NULL," +
		"`since` DATETIME(3) NOT NULL," +
		"`last_seen` DATETIME(3) NOT NULL," +
		"`run_id` BIGINT NOT NULL DEFAULT 0," +
		"PRIMARY KEY (`source`, `billing_id`)" +
		")" + tableOptions}},
	{4, "create ticaga_sync_notify", []string{"CREATE TABLE IF NOT EXISTS `ticaga_sync_notify` (" +
		"`source` VARCHAR(191) NOT NULL PRIMARY KEY," +
		"`state` MEDIUMTEXT NOT NULL," +
		"`updated_at` DATETIME(3) NOT NULL" +
		")" + tableOptions}},
	{5, "create ticaga_sync_unknown and ticaga_sync_scan", []string{
		"CREATE TABLE IF NOT EXISTS `ticaga_sync_unknown` (" +
			"`target` VARCHAR(191) NOT NULL," +
			"`ticaga_id` BIGINT NOT NULL," +
			"`first_at` DATETIME(3) NOT NULL," +
			"`last_at` DATETIME(3) NOT NULL," +
			"`runs` INT NOT NULL DEFAULT 0," +
			"`last_error` TEXT NULL," +
			"PRIMARY KEY (`target`, `ticaga_id`)" +
			")" + tableOptions,
		"CREATE TABLE IF NOT EXISTS `ticaga_sync_scan` (" +
			"`target` VARCHAR(191) NOT NULL PRIMARY KEY," +
			"`next_id` BIGINT NOT NULL," +
			"`full_scan` BOOL NOT NULL DEFAULT 0," +
			"`started_at` DATETIME(3) NOT NULL," +
			"`saved_at` DATETIME(3) NOT NULL" +
			")" + tableOptions,
	}},
	{6, "ticaga_sync_runs.created", []string{
		// Not IF NOT EXISTS (go-mysql-server lacks it): a column that is
		// already there (error 1060) counts as done.
		"ALTER TABLE `ticaga_sync_runs` ADD COLUMN `created` INT NOT NULL DEFAULT 0",
	}},
	{7, "ticaga_sync_pairings for string billing ids; string ids in ticaga_sync_decisions", []string{
		// The plugin's ticaga_billing.billing_userid is an INT: pairings of
		// billing systems whose ids are strings (TicketSource's cst-...)
		// live in the daemon's own table, with when the link was recorded
		// on the billing side (a TicketSource note).
		"CREATE TABLE IF NOT EXISTS `ticaga_sync_pairings` (" +
			"`ticaga_userid` BIGINT NOT NULL PRIMARY KEY," +
			"`billing_userid` VARCHAR(64) NOT NULL," +
			"`email_address` VARCHAR(255) NOT NULL DEFAULT ''," +
			"`billing_system` VARCHAR(191) NOT NULL DEFAULT ''," +
			"`company_id` BIGINT NOT NULL DEFAULT 0," +
			"`linked_at` DATETIME(3) NOT NULL," +
			"`recorded_at` DATETIME(3) NULL," +
			"KEY `idx_pairings_billing` (`billing_system`, `billing_userid`)" +
			")" + tableOptions,
		"ALTER TABLE `ticaga_sync_decisions` MODIFY `billing_id` VARCHAR(64) NOT NULL",
	}},
	{8, "create ticaga_sync_exclusions and ticaga_sync_locks; ticaga_sync_runs.kind and .excluded", []string{
		// billing_id is text: some billing systems' ids are not numbers.
		"CREATE TABLE IF NOT EXISTS `ticaga_sync_exclusions` (" +
			"`source` VARCHAR(191) NOT NULL," +
			"`billing_id` VARCHAR(191) NOT NULL," +
			"`reason` TEXT NULL," +
			"`excluded_by` VARCHAR(191) NOT NULL DEFAULT ''," +
			"`excluded_at` DATETIME(3) NOT NULL," +
			"PRIMARY KEY (`source`, `billing_id`)" +
			")" + tableOptions,
		// Who took each run lock, so that one who finds it held can say.
		"CREATE TABLE IF NOT EXISTS `ticaga_sync_locks` (" +
			"`name` VARCHAR(191) NOT NULL PRIMARY KEY," +
			"`connection_id` BIGINT NOT NULL," +
			"`host` VARCHAR(191) NOT NULL DEFAULT ''," +
			"`pid` INT NOT NULL DEFAULT 0," +
			"`since` DATETIME(3) NOT NULL" +
			")" + tableOptions,
		"ALTER TABLE `ticaga_sync_runs` ADD COLUMN `kind` VARCHAR(16) NOT NULL DEFAULT ''",
		"ALTER TABLE `ticaga_sync_runs` ADD COLUMN `excluded` INT NOT NULL DEFAULT 0",
	}},
}

// writeProbes are the tables ticaga-sync writes, each with a column of its
// primary key, for CheckWritable.
var writeProbes = []struct{ table, column string }{
	{"ticaga_billing", "ticaga_userid"},
	{"ticaga_sync_migrations", "version"},
	{"ticaga_sync_runs", "id"},
	{"ticaga_sync_directory", "ticaga_id"},
	{"ticaga_sync_decisions", "billing_id"},
	{"ticaga_sync_notify", "source"},
	{"ticaga_sync_unknown", "ticaga_id"},
	{"ticaga_sync_scan", "next_id"},
	{"ticaga_sync_exclusions", "billing_id"},
	{"ticaga_sync_locks", "name"},
	{"ticaga_sync_pairings", "ticaga_userid"},
}

// migrateWait is how long Migrate waits for another process migrating.
const migrateWait = 2 * time.Minute

// Migrate brings the schema up to date. It checks an existing ticaga_billing
// (never altering it) or creates it with the plugin's definition, then
// applies each versioned step not yet recorded in ticaga_sync_migrations.
// Two processes migrating at once take turns (GET_LOCK). When ticaga_billing
// is unusable it returns an error wrapping ErrIncompatibleTable that names
// the column, and creates nothing.
func (s *Store) Migrate(ctx context.Context) error {
	db, err := s.database(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	release, err := s.acquire(ctx, lockName(migrateLockPrefix, db, ""), migrateWait, func(error) {})
	if errors.Is(err, ticagasync.ErrLocked) {
		return fmt.Errorf("migrate: another process kept migrating the schema for %s: %w", migrateWait, err)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer release()

	exists, err := s.checkPairingTable(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if !exists {
		if err := s.with(ctx).Exec(pairingTableDDL).Error; err != nil {
			return fmt.Errorf("migrate: create ticaga_billing: %w", err)
		}
		s.log.Info().Msg("created ticaga_billing with the Blesta plugin's definition")
	}
	if err := s.with(ctx).Exec(migrationsDDL).Error; err != nil {
		return fmt.Errorf("migrate: create ticaga_sync_migrations: %w", err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, m := range migrations {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.stmts {
			if err := s.with(ctx).Exec(stmt).Error; err != nil && !isDuplicateColumn(err) {
				return fmt.Errorf("migrate: step %d (%s): %w", m.version, m.name, err)
			}
		}
		err := s.with(ctx).Exec("INSERT INTO ticaga_sync_migrations (version, name, applied_at) VALUES (?, ?, ?)",
			m.version, m.name, s.utc(time.Time{})).Error
		if err != nil {
			return fmt.Errorf("migrate: record step %d: %w", m.version, err)
		}
		s.log.Info().Int("version", m.version).Str("step", m.name).Msg("applied migration")
	}
	return nil
}

// SchemaVersion returns the highest applied migration (0 before the first
// Migrate) and the highest this build knows.
func (s *Store) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	return s.schemaVersion(ctx)
}

func (s *Store) schemaVersion(ctx context.Context) (current, latest int, err error) {
	latest = migrations[len(migrations)-1].version
	ok, err := s.tableExists(ctx, "ticaga_sync_migrations")
	if err != nil || !ok {
		return 0, latest, err
	}
	applied, err := s.appliedVersions(ctx)
	for v := range applied {
		current = max(current, v)
	}
	return current, latest, err
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	var versions []int
	if err := s.with(ctx).Raw("SELECT version FROM ticaga_sync_migrations").Scan(&versions).Error; err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	applied := make(map[int]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// CheckWritable proves, without changing any row, that the schema is
// current and that the connection may insert, update and delete in
// ticaga_billing and every ticaga_sync_ table (the statements match no row,
// but the server still checks privileges and read-only mode).
func (s *Store) CheckWritable(ctx context.Context) error {
	exists, err := s.checkPairingTable(ctx)
	if err != nil {
		return err
	}
	if !exists {
		return errors.New("table ticaga_billing does not exist: run `ticaga-sync migrate`")
	}
	current, latest, err := s.schemaVersion(ctx)
	if err != nil {
		return err
	}
	if current < latest {
		return fmt.Errorf("schema is at version %d of %d: run `ticaga-sync migrate`", current, latest)
	}
	for _, p := range writeProbes {
		for _, stmt := range []string{
			fmt.Sprintf("INSERT INTO `%s` SELECT * FROM `%s` WHERE 1 = 0", p.table, p.table),
			fmt.Sprintf("UPDATE `%s` SET `%s` = `%s` WHERE 1 = 0", p.table, p.column, p.column),
			fmt.Sprintf("DELETE FROM `%s` WHERE 1 = 0", p.table),
		} {
			if err := s.with(ctx).Exec(stmt).Error; err != nil {
				return fmt.Errorf("cannot write table %s: %w", p.table, err)
			}
		}
	}
	return nil
}

// tableExists reports whether the current database has the table.
func (s *Store) tableExists(ctx context.Context, table string) (bool, error) {
	var n int64
	err := s.with(ctx).Raw("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
		table).Row().Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table %s: %w", table, err)
	}
	return n > 0, nil
}
