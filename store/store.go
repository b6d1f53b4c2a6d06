// Package store keeps everything ticaga-sync remembers in MySQL or MariaDB:
// the Blesta plugin's ticaga_billing pairings, the Ticaga user directory, the
// run history, the open decisions and the run lock. It implements
// ticagasync.Store.
//
// The SQL is plain MySQL (ON DUPLICATE KEY UPDATE, GET_LOCK,
// information_schema) so that the same code runs on MySQL, MariaDB and the
// embedded go-mysql-server. The schema is created by explicit, versioned
// migrations (see Migrate), never by gorm's AutoMigrate.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/ticaga/ticaga-sync/internal/mysqlx"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Pool limits of a Store made by Open.
const (
	maxOpenConns    = 8
	maxIdleConns    = 4
	connMaxLifetime = 30 * time.Minute
	connMaxIdleTime = 5 * time.Minute
	dialTimeout     = 10 * time.Second
)

// Store is the MySQL/MariaDB implementation of ticagasync.Store. It is safe
// for concurrent use.
type Store struct {
	db    *gorm.DB
	log   zerolog.Logger
	now   func() time.Time
	owned bool // Close closes the pool

	// pageSize is the number of ticaga_billing rows EachPairing reads per
	// query; batchSize the number of rows per multi-row statement.
	pageSize  int
	batchSize int
	// keepAlive is how often a held lock's connection is checked.
	keepAlive time.Duration
	// lockDB gives each held lock its own connection, outside the bounded
	// pool of db; nil (FromDB) means db's pool.
	lockDB *sql.DB

	schemaMu sync.Mutex
	schema   string // DATABASE(), cached once known
}

var _ ticagasync.Store = (*Store)(nil)
var _ ticagasync.LinkRecords = (*Store)(nil)

// Option adjusts a Store made by Open or FromDB.
type Option func(*Store)

// WithLogger sets the logger (default: the one given to Open, or none).
func WithLogger(log zerolog.Logger) Option { return func(s *Store) { s.log = log } }

// WithClock sets the clock used for times the caller leaves zero.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open connects to the database named by dsn, a go-sql-driver DSN
// ("user:pass@tcp(host:3306)/ticaga?tls=true"), and checks that it answers.
// It forces parseTime=true and loc=UTC, and uses charset utf8mb4 unless the
// DSN names a charset or collation. Errors never contain the password.
func Open(ctx context.Context, dsn string, log zerolog.Logger, opts ...Option) (*Store, error) {
	db, err := mysqlx.Open(dsn, mysqlx.Settings{
		DialTimeout:     dialTimeout,
		UTCTimes:        true,
		MaxOpenConns:    maxOpenConns,
		MaxIdleConns:    maxIdleConns,
		ConnMaxLifetime: connMaxLifetime,
		ConnMaxIdleTime: connMaxIdleTime,
	})
	if err != nil {
		return nil, fmt.Errorf("database DSN: %w", err)
	}
	cfg := db.Config
	where := fmt.Sprintf("%s@%s/%s", cfg.User, cfg.Addr, cfg.DBName)
	if err := db.SQL.PingContext(ctx); err != nil {
		db.SQL.Close()
		return nil, fmt.Errorf("connect to database %s: %s", where, mysqlx.Scrub(err.Error(), dsn))
	}
	s := newStore(db.Gorm, append([]Option{WithLogger(log)}, opts...))
	s.owned = true
	s.schema = cfg.DBName
	// Each held lock keeps a connection for the whole run; taking those from
	// the bounded pool would let a few sources' locks starve their own
	// queries. Locks get a pool of their own, unbounded (one connection per
	// held lock) and keeping no idle connections.
	s.lockDB = sql.OpenDB(db.Connector)
	s.lockDB.SetMaxIdleConns(0)
	return s, nil
}

// FromDB makes a Store on an existing gorm connection, for tests and to share
// one pool with another package. The connection must scan DATETIME columns
// into time.Time (parseTime=true) and should use loc=UTC. Close does not
// close a pool it did not open.
func FromDB(db *gorm.DB, opts ...Option) *Store {
	return newStore(db.Session(&gorm.Session{NewDB: true, Logger: logger.Discard}), opts)
}

func newStore(db *gorm.DB, opts []Option) *Store {
	s := &Store{db: db, log: zerolog.Nop(), now: time.Now, pageSize: 1000, batchSize: 500, keepAlive: lockKeepAlive}
	for _, o := range opts {
		o(s)
	}
	return s
}

// DB returns the gorm connection the store uses.
func (s *Store) DB() *gorm.DB { return s.db }

// Close closes the connection pool when Open made it.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return errors.Join(sqlDB.Close(), s.lockDB.Close())
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// with returns the gorm handle bound to ctx.
func (s *Store) with(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// database returns the name of the current database, which is part of every
// lock name: GET_LOCK names are global to the server.
func (s *Store) database(ctx context.Context) (string, error) {
	s.schemaMu.Lock()
	defer s.schemaMu.Unlock()
	if s.schema != "" {
		return s.schema, nil
	}
	var name sql.NullString
	if err := s.with(ctx).Raw("SELECT DATABASE()").Row().Scan(&name); err != nil {
		return "", fmt.Errorf("current database: %w", err)
	}
	if !name.Valid || name.String == "" {
		return "", errors.New("the database connection has no current database")
	}
	s.schema = name.String
	return s.schema, nil
}

// utc returns t in UTC at the millisecond precision of DATETIME(3), or now
// when t is zero.
func (s *Store) utc(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Millisecond)
}

// clip makes s valid UTF-8 of at most n characters, so that it fits a
// VARCHAR(n) column in strict mode.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// valuesList returns "(?,?,...),(...)" for rows rows of cols placeholders.
func valuesList(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}

// chunks calls fn with consecutive slices of at most n elements of xs.
func chunks[T any](xs []T, n int, fn func([]T) error) error {
	for len(xs) > 0 {
		k := min(n, len(xs))
		if err := fn(xs[:k]); err != nil {
			return err
		}
		xs = xs[k:]
	}
	return nil
}

// isMissingTable reports whether err is MySQL's "table doesn't exist" (1146).
func isMissingTable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1146
}

// isDuplicateColumn reports whether err is MySQL's "duplicate column name"
// (1060): an ADD COLUMN already applied.
func isDuplicateColumn(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && me.Number == 1060
}
