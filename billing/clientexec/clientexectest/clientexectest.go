// Package clientexectest builds ClientExec-shaped databases for tests and
// demos: the users and groups tables as ClientExec 6.7 defines them (MyISAM,
// utf8 with utf8_general_ci, zero-date timestamps) and a bulk insert.
//
// It does not import "testing", so a demo binary may use it.
package clientexectest

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/ticaga/ticaga-sync/billing/internal/multirow"
)

// The groups Create inserts.
const (
	CustomerGroup = 1 // groups.isadmin = 0
	AdminGroup    = 2 // groups.isadmin = 1
)

// Schema is the DDL of groups and users (the columns the reader needs and
// their neighbours).
var Schema = []string{
	"CREATE TABLE `groups` (\n" +
		"  `id` int(11) NOT NULL AUTO_INCREMENT,\n" +
		"  `name` varchar(40) NOT NULL DEFAULT '',\n" +
		"  `isadmin` tinyint(1) NOT NULL DEFAULT '0',\n" +
		"  PRIMARY KEY (`id`)\n" +
		") ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci",
	"CREATE TABLE `users` (\n" +
		"  `id` int(11) NOT NULL AUTO_INCREMENT,\n" +
		"  `company_id` int(11) NOT NULL DEFAULT '0',\n" +
		"  `groupid` int(11) NOT NULL DEFAULT '1',\n" +
		"  `status` tinyint(4) NOT NULL DEFAULT '0',\n" +
		"  `firstname` varchar(25) NOT NULL DEFAULT '',\n" +
		"  `lastname` varchar(25) NOT NULL DEFAULT '',\n" +
		"  `email` varchar(254) NOT NULL DEFAULT '',\n" +
		"  `organization` varchar(60) DEFAULT NULL,\n" +
		"  `dateActivated` date DEFAULT NULL,\n" +
		"  `updated_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  `created_at` timestamp NOT NULL DEFAULT '0000-00-00 00:00:00',\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  KEY `groupid` (`groupid`)\n" +
		") ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_general_ci",
}

// Create creates the tables of Schema in db's current database with two
// groups: CustomerGroup and AdminGroup.
func Create(ctx context.Context, db *sql.DB) error {
	for _, s := range Schema {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("clientexectest: create tables: %w", err)
		}
	}
	_, err := db.ExecContext(ctx, "INSERT INTO `groups` (id, name, isadmin) VALUES (?, 'Customers', 0), (?, 'Administrators', 1)",
		CustomerGroup, AdminGroup)
	if err != nil {
		return fmt.Errorf("clientexectest: insert groups: %w", err)
	}
	return nil
}

// User is one row of users to insert. dateActivated stays NULL and the
// timestamps keep their zero-date default.
type User struct {
	// ID is users.id; 0 lets AUTO_INCREMENT choose.
	ID        int64
	CompanyID int64
	// GroupID is users.groupid; 0 means CustomerGroup.
	GroupID int64
	// Status is users.status: 1 active, 0 pending, -1 inactive,
	// -2 cancelled, -3 fraud. The zero value is pending.
	Status                     int
	FirstName, LastName, Email string
	// Organization is stored as given; "" is stored as NULL.
	Organization string
}

// AddUsers inserts the users with multi-row INSERTs.
func AddUsers(ctx context.Context, db *sql.DB, us []User) error {
	rows := make([][]any, len(us))
	for i, u := range us {
		group := u.GroupID
		if group == 0 {
			group = CustomerGroup
		}
		var id any
		if u.ID != 0 {
			id = u.ID
		}
		rows[i] = []any{id, u.CompanyID, group, u.Status, u.FirstName, u.LastName, u.Email, multirow.NullIfEmpty(u.Organization)}
	}
	err := multirow.Insert(ctx, db, "INSERT INTO users (id, company_id, groupid, status, firstname, lastname, email, organization) VALUES", rows)
	if err != nil {
		return fmt.Errorf("clientexectest: insert users: %w", err)
	}
	return nil
}
