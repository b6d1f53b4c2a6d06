// Package blestatest builds Blesta-shaped databases for tests, benchmarks and
// demos: the clients, client_groups and contacts tables exactly as Blesta
// defines them, and helpers that insert clients with their primary contact.
//
// It does not import "testing", so a demo binary may use it. The DDL keeps to
// mainstream MySQL syntax and also runs on go-mysql-server.
package blestatest

import (
	"context"
	"database/sql"
	"fmt"
)

// Schema is the DDL of Blesta's clients, client_groups and contacts tables as
// Blesta installs them: InnoDB, utf8 (utf8mb3) with utf8_unicode_ci.
var Schema = schema("utf8", "utf8_unicode_ci")

// SchemaUTF8MB4 is Schema as found on installs converted to utf8mb4.
var SchemaUTF8MB4 = schema("utf8mb4", "utf8mb4_unicode_ci")

func schema(charset, collation string) []string {
	tail := ") ENGINE=InnoDB DEFAULT CHARSET=" + charset + " COLLATE=" + collation
	return []string{
		"CREATE TABLE `client_groups` (\n" +
			"  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n" +
			"  `name` varchar(64) NOT NULL,\n" +
			"  `description` text,\n" +
			"  `company_id` int(10) unsigned NOT NULL,\n" +
			"  PRIMARY KEY (`id`)\n" + tail,
		"CREATE TABLE `clients` (\n" +
			"  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n" +
			"  `id_format` varchar(64) NOT NULL,\n" +
			"  `id_value` int(10) unsigned NOT NULL,\n" +
			"  `user_id` int(10) unsigned NOT NULL,\n" +
			"  `client_group_id` int(10) unsigned NOT NULL,\n" +
			"  `status` enum('active','inactive','fraud') NOT NULL DEFAULT 'active',\n" +
			"  PRIMARY KEY (`id`),\n" +
			"  UNIQUE KEY `user_id` (`user_id`)\n" + tail,
		"CREATE TABLE `contacts` (\n" +
			"  `id` int(10) unsigned NOT NULL AUTO_INCREMENT,\n" +
			"  `client_id` int(10) unsigned NOT NULL,\n" +
			"  `user_id` int(10) unsigned DEFAULT NULL,\n" +
			"  `contact_type` enum('primary','billing','other') NOT NULL DEFAULT 'primary',\n" +
			"  `contact_type_id` int(10) unsigned DEFAULT NULL,\n" +
			"  `first_name` varchar(128) NOT NULL,\n" +
			"  `last_name` varchar(128) NOT NULL,\n" +
			"  `title` varchar(64) DEFAULT NULL,\n" +
			"  `company` varchar(128) DEFAULT NULL,\n" +
			"  `email` varchar(255) NOT NULL,\n" +
			"  `date_added` datetime NOT NULL,\n" +
			"  PRIMARY KEY (`id`),\n" +
			"  KEY `client_id` (`client_id`,`contact_type`)\n" + tail,
	}
}

// Create creates the tables of Schema, or of SchemaUTF8MB4 when utf8mb4 is
// true, in db's current database.
func Create(ctx context.Context, db *sql.DB, utf8mb4 bool) error {
	stmts := Schema
	if utf8mb4 {
		stmts = SchemaUTF8MB4
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("blestatest: create tables: %w", err)
		}
	}
	return nil
}
