// Package mysqlx opens the MySQL and MariaDB databases ticaga-sync reads
// and writes (the billing database, the store) the one same way, and keeps
// their passwords out of what it says: one parse of the DSN, one set of
// driver defaults, one silent gorm handle, one redactor.
package mysqlx

import (
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrNoDatabase is the error of Open for a DSN without a database name. Its
// text reads well after the name of the setting ("BILLING_DSN: names no
// database ...").
var ErrNoDatabase = errors.New("names no database (user:password@tcp(host:3306)/dbname)")

// Settings are what Open applies where the DSN says nothing, and the limits
// of the pool it makes.
type Settings struct {
	// DialTimeout, ReadTimeout and WriteTimeout apply when the DSN sets no
	// timeout, readTimeout or writeTimeout; 0 keeps the driver's default
	// (none).
	DialTimeout, ReadTimeout, WriteTimeout time.Duration
	// UTCTimes forces parseTime=true and loc=UTC, whatever the DSN says, so
	// that DATETIME columns scan into time.Time in UTC.
	UTCTimes bool
	// MaxOpenConns, MaxIdleConns, ConnMaxLifetime and ConnMaxIdleTime are
	// the pool's limits (see database/sql); 0 keeps database/sql's default.
	MaxOpenConns, MaxIdleConns       int
	ConnMaxLifetime, ConnMaxIdleTime time.Duration
}

// DB is a database opened by Open.
type DB struct {
	// Gorm is the silent gorm handle on SQL (see Gorm).
	Gorm *gorm.DB
	// SQL is the pool, limited as Settings say.
	SQL *sql.DB
	// Config is the parsed DSN with the settings applied. It holds the
	// password: never print it.
	Config *mysql.Config
	// Connector makes connections as SQL does, for a second pool (the
	// store's run locks).
	Connector driver.Connector
}

// Open parses dsn, a go-sql-driver DSN such as
// "sync:secret@tcp(db.example.com:3306)/blesta", and makes a pool and a
// silent gorm handle on it. Where the DSN names neither a charset nor a
// collation it uses utf8mb4; it applies s. It does not connect: the first
// query, or a Ping, does.
//
// A DSN without a database name gives ErrNoDatabase. Any error is
// redacted (see Scrub): it never contains the password, and reads well
// after the name of the setting ("invalid DSN: ...").
func Open(dsn string, s Settings) (*DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, errors.New(Scrub(err.Error(), dsn))
	}
	if cfg.DBName == "" {
		return nil, ErrNoDatabase
	}
	if !hasParam(dsn, "charset") && !hasParam(dsn, "collation") {
		if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
			return nil, errors.New(Scrub(err.Error(), dsn))
		}
	}
	if s.UTCTimes {
		cfg.ParseTime, cfg.Loc = true, time.UTC
	}
	cfg.Logger = driverLog
	if cfg.Timeout == 0 {
		cfg.Timeout = s.DialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = s.ReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = s.WriteTimeout
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, errors.New(Scrub(err.Error(), dsn))
	}
	sqlDB := sql.OpenDB(connector)
	sqlDB.SetMaxOpenConns(s.MaxOpenConns)
	sqlDB.SetMaxIdleConns(s.MaxIdleConns)
	sqlDB.SetConnMaxLifetime(s.ConnMaxLifetime)
	sqlDB.SetConnMaxIdleTime(s.ConnMaxIdleTime)
	gdb, err := Gorm(sqlDB)
	if err != nil {
		sqlDB.Close()
		return nil, errors.New(Scrub(err.Error(), dsn))
	}
	return &DB{Gorm: gdb, SQL: sqlDB, Config: cfg, Connector: connector}, nil
}

// Gorm wraps an open pool in a gorm handle that logs nothing, does not ping
// and runs no statement in a transaction of its own. Closing the pool is
// the caller's.
func Gorm(db *sql.DB) (*gorm.DB, error) {
	g, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: db, SkipInitializeWithVersion: true}), &gorm.Config{
		Logger:                 logger.Discard,
		DisableAutomaticPing:   true,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		return nil, fmt.Errorf("gorm: %w", err)
	}
	return g, nil
}
