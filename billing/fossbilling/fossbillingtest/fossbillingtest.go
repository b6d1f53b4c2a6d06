// Package fossbillingtest builds FOSSBilling-shaped databases for tests and
// demos: the client and admin tables as FOSSBilling's structure.sql defines
// them (bigint ids, UNIQUE email, a role column) and a bulk insert.
//
// It does not import "testing", so a demo binary may use it.
package fossbillingtest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ticaga/ticaga-sync/billing/internal/multirow"
)

// Schema is the DDL of client and admin (the columns the reader needs and
// their neighbours), InnoDB, utf8mb4 with utf8mb4_unicode_ci.
var Schema = []string{
	"CREATE TABLE `client` (\n" +
		"  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n" +
		"  `aid` varchar(255) DEFAULT NULL COMMENT 'Alternative id for foreign systems',\n" +
		"  `email` varchar(255) DEFAULT NULL,\n" +
		"  `pass` varchar(255) DEFAULT NULL,\n" +
		"  `role` varchar(30) NOT NULL DEFAULT 'client',\n" +
		"  `status` varchar(30) DEFAULT 'active' COMMENT 'active, suspended, canceled',\n" +
		"  `first_name` varchar(100) DEFAULT NULL,\n" +
		"  `last_name` varchar(100) DEFAULT NULL,\n" +
		"  `company` varchar(100) DEFAULT NULL,\n" +
		"  `created_at` datetime DEFAULT NULL,\n" +
		"  `updated_at` datetime DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `email` (`email`),\n" +
		"  KEY `alternative_id_idx` (`aid`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE `admin` (\n" +
		"  `id` bigint(20) NOT NULL AUTO_INCREMENT,\n" +
		"  `role` varchar(30) NOT NULL DEFAULT 'staff',\n" +
		"  `email` varchar(255) DEFAULT NULL,\n" +
		"  `name` varchar(255) DEFAULT NULL,\n" +
		"  `status` varchar(30) DEFAULT 'active',\n" +
		"  `created_at` datetime DEFAULT NULL,\n" +
		"  `updated_at` datetime DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `email` (`email`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}

// Create creates the tables of Schema in db's current database.
func Create(ctx context.Context, db *sql.DB) error {
	for _, s := range Schema {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("fossbillingtest: create tables: %w", err)
		}
	}
	return nil
}

// Client is one row of client to insert.
type Client struct {
	// ID is client.id; 0 lets AUTO_INCREMENT choose.
	ID int64
	// Role is client.role; "" means "client".
	Role string
	// Status is client.status; "" means "active".
	Status string
	// Email, FirstName, LastName and Company are stored as given; "" is
	// stored as NULL (the columns allow it; email is UNIQUE).
	Email, FirstName, LastName, Company string
	// UpdatedAt is client.created_at and updated_at as SQL text, such as
	// "0000-00-00 00:00:00"; "" leaves them NULL.
	UpdatedAt string
}

// AddClients inserts the clients with multi-row INSERTs.
func AddClients(ctx context.Context, db *sql.DB, cs []Client) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		role, status := c.Role, c.Status
		if role == "" {
			role = "client"
		}
		if status == "" {
			status = "active"
		}
		var id any
		if c.ID != 0 {
			id = c.ID
		}
		at := multirow.NullIfEmpty(c.UpdatedAt)
		rows[i] = []any{id, multirow.NullIfEmpty(c.Email), role, status, multirow.NullIfEmpty(c.FirstName),
			multirow.NullIfEmpty(c.LastName), multirow.NullIfEmpty(c.Company), at, at}
	}
	err := multirow.Insert(ctx, db, "INSERT INTO client (id, email, role, status, first_name, last_name, company, created_at, updated_at) VALUES", rows)
	if err != nil {
		return fmt.Errorf("fossbillingtest: insert clients: %w", err)
	}
	return nil
}
