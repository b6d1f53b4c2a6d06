package billing

import (
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/internal/mysqlx"
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
	db, err := mysqlx.Open(dsn, mysqlx.Settings{
		DialTimeout:     DialTimeout,
		ReadTimeout:     ReadTimeout,
		WriteTimeout:    WriteTimeout,
		MaxOpenConns:    MaxOpenConns,
		MaxIdleConns:    2,
		ConnMaxLifetime: 5 * time.Minute,
		ConnMaxIdleTime: time.Minute,
	})
	if err != nil {
		return nil, fmt.Errorf("billing database DSN: %w", err)
	}
	return db.Gorm, nil
}
