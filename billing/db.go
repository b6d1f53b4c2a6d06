package billing

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	gormmysql "gorm.io/driver/mysql"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// Connection settings OpenDB applies when the DSN does not set them.
const (
	DialTimeout  = 10 * time.Second
	ReadTimeout  = 60 * time.Second
	WriteTimeout = 30 * time.Second
	// MaxOpenConns bounds the connections to the billing database: a
	// reader runs one query at a time, so a few are plenty.
	MaxOpenConns = 4
)

// OpenDB opens a billing database from a go-sql-driver DSN such as
// "sync:secret@tcp(db.example.com:3306)/blesta". Where the DSN says
// nothing, it uses charset utf8mb4, DialTimeout, ReadTimeout and
// WriteTimeout; it limits the pool to MaxOpenConns connections and silences
// gorm's logger. It does not connect: a reader's Check does. An error never
// contains the password.
func OpenDB(dsn string) (*gorm.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, errors.New("billing database DSN: " + redact(err.Error(), dsn))
	}
	if cfg.DBName == "" {
		return nil, errors.New("billing database DSN: no database name (want user:password@tcp(host:3306)/dbname)")
	}
	if cfg.Collation == "" && !strings.Contains(cfg.FormatDSN(), "charset=") {
		if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
			return nil, fmt.Errorf("billing database DSN: %w", err)
		}
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DialTimeout
	}
	if cfg.ReadTimeout == 0 {
		cfg.ReadTimeout = ReadTimeout
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = WriteTimeout
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, errors.New("billing database DSN: " + redact(err.Error(), dsn))
	}
	sqlDB := sql.OpenDB(connector)
	sqlDB.SetMaxOpenConns(MaxOpenConns)
	sqlDB.SetMaxIdleConns(2)
	sqlDB.SetConnMaxLifetime(5 * time.Minute)
	sqlDB.SetConnMaxIdleTime(time.Minute)
	db, err := gorm.Open(gormmysql.New(gormmysql.Config{Conn: sqlDB, SkipInitializeWithVersion: true}), &gorm.Config{
		Logger:                 logger.Discard,
		DisableAutomaticPing:   true,
		SkipDefaultTransaction: true,
	})
	if err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("open billing database: %w", err)
	}
	return db, nil
}

// redact removes from msg whatever in dsn may be the password: the text
// between the first ':' and the last '@' before the database name.
func redact(msg, dsn string) string {
	if slash := strings.LastIndex(dsn, "/"); slash >= 0 {
		dsn = dsn[:slash]
	}
	at := strings.LastIndex(dsn, "@")
	if at < 0 {
		return msg
	}
	userinfo := dsn[:at]
	colon := strings.Index(userinfo, ":")
	if colon < 0 || colon == len(userinfo)-1 {
		return msg
	}
	return strings.ReplaceAll(msg, userinfo[colon+1:], "xxxxx")
}
