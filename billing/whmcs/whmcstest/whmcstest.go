// Package whmcstest builds WHMCS-shaped databases for tests and demos: the
// tblclients table as a WHMCS 8 dump defines it (TEXT names and email, an
// email(64) prefix index, zero-date timestamps, utf8) and a bulk insert.
//
// It does not import "testing", so a demo binary may use it.
package whmcstest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ticaga/ticaga-sync/billing/internal/multirow"
)

// Schema is the DDL of tblclients (the columns the reader needs and their
// neighbours) and of the staff table tbladmins (a few of its columns),
// InnoDB, utf8 with utf8_unicode_ci.
var Schema = []string{
	"CREATE TABLE `tblclients` (\n" +
		"  `id` int(10) NOT NULL AUTO_INCREMENT,\n" +
		"  `uuid` varchar(255) NOT NULL DEFAULT '',\n" +
		"  `firstname` text,\n" +
		"  `lastname` text,\n" +
		"  `companyname` text,\n" +
		"  `email` text NOT NULL,\n" +
		"  `datecreated` date NOT NULL,\n" +
		"  `groupid` int(10) NOT NULL DEFAULT '0',\n" +
		"  `status` enum('Active','Inactive','Closed') NOT NULL DEFAULT 'Active',\n" +
		"  `email_verified` tinyint(1) NOT NULL DEFAULT '0',\n" +
		"  `created_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  `updated_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `email` (`email`(64))\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
	"CREATE TABLE `tbladmins` (\n" +
		"  `id` int(10) NOT NULL AUTO_INCREMENT,\n" +
		"  `username` text NOT NULL,\n" +
		"  `firstname` text NOT NULL,\n" +
		"  `lastname` text NOT NULL,\n" +
		"  `email` text NOT NULL,\n" +
		"  `disabled` int(1) NOT NULL DEFAULT '0',\n" +
		"  `created_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  `updated_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  PRIMARY KEY (`id`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
}

// Create creates the tables of Schema in db's current database.
func Create(ctx context.Context, db *sql.DB) error {
	for _, s := range Schema {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("whmcstest: create tables: %w", err)
		}
	}
	return nil
}

// Client is one row of tblclients to insert. created_at and updated_at keep
// their zero-date default.
type Client struct {
	// ID is tblclients.id; 0 lets AUTO_INCREMENT choose.
	ID int64
	// FirstName, LastName and Company are stored as given; "" is stored as
	// NULL (the columns allow it).
	FirstName, LastName, Company string
	Email                        string
	// Status is tblclients.status; "" means "Active".
	Status string
	// DateCreated is tblclients.datecreated as SQL text; "" means the zero
	// date "0000-00-00".
	DateCreated string
}

// AddClients inserts the clients with multi-row INSERTs.
func AddClients(ctx context.Context, db *sql.DB, cs []Client) error {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		status := c.Status
		if status == "" {
			status = "Active"
		}
		created := c.DateCreated
		if created == "" {
			created = "0000-00-00"
		}
		var id any
		if c.ID != 0 {
			id = c.ID
		}
		rows[i] = []any{id, fmt.Sprintf("uuid-%d", i), multirow.NullIfEmpty(c.FirstName), multirow.NullIfEmpty(c.LastName),
			multirow.NullIfEmpty(c.Company), c.Email, created, status}
	}
	err := multirow.Insert(ctx, db, "INSERT INTO tblclients (id, uuid, firstname, lastname, companyname, email, datecreated, status) VALUES", rows)
	if err != nil {
		return fmt.Errorf("whmcstest: insert clients: %w", err)
	}
	return nil
}
