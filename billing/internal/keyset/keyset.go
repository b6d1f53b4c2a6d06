// Package keyset streams the customers of a billing table in ascending id
// order, one small keyset page at a time (WHERE id > ? ORDER BY id LIMIT ?),
// and probes the tables a reader needs. The billing readers share it; it knows
// nothing about any one billing system.
package keyset

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"gorm.io/gorm"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// DefaultPageSize is the page size used when none is given.
const DefaultPageSize = 500

// Stream describes one keyset scan.
type Stream struct {
	// System and Table name the scan in errors ("blesta: read clients ...").
	System string
	Table  string
	// DB is the billing database.
	DB *gorm.DB
	// PageSize is the number of rows per query; DefaultPageSize when <= 0.
	PageSize int
	// Page returns the SQL and arguments of the page of rows whose id is
	// greater than after, in ascending id order, at most limit rows.
	Page func(after int64, limit int) (query string, args []any)
	// Scan reads the current row. The Contact's BillingID is the row's id
	// and becomes the cursor of the next page.
	Scan func(rows *sql.Rows) (ticagasync.Contact, error)
	// Complete, when set, is called with each page once its result set is
	// closed and before fn sees it, to fill in what a second query reads
	// (Blesta's primary contacts). Its error is returned as is.
	Complete func(ctx context.Context, page []ticagasync.Contact) error
}

// Each runs the scan, calling fn once per row in ascending id order. Rows are
// read a page at a time and the page's result set is closed before fn is
// called, so a slow fn never holds a connection or a server-side cursor. An
// error from fn is returned as is; a cancelled ctx stops the scan with an
// error wrapping ctx.Err().
func (s Stream) Each(ctx context.Context, fn func(ticagasync.Contact) error) error {
	limit := s.PageSize
	if limit <= 0 {
		limit = DefaultPageSize
	}
	// The smallest int64, so that even an id of 0 (or below, in a signed
	// column) is read.
	after := int64(math.MinInt64)
	page := make([]ticagasync.Contact, 0, limit)
	for {
		var err error
		if page, err = s.read(ctx, after, limit, page[:0]); err != nil {
			return err
		}
		if s.Complete != nil && len(page) > 0 {
			if err := s.Complete(ctx, page); err != nil {
				return err
			}
		}
		for _, c := range page {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%s: read %s: %w", s.System, s.Table, err)
			}
			if err := fn(c); err != nil {
				return err
			}
		}
		if len(page) < limit {
			return nil
		}
		after, _ = page[len(page)-1].BillingID.Int()
	}
}

// read appends one page to buf.
func (s Stream) read(ctx context.Context, after int64, limit int, buf []ticagasync.Contact) ([]ticagasync.Contact, error) {
	if err := ctx.Err(); err != nil {
		return buf, fmt.Errorf("%s: read %s: %w", s.System, s.Table, err)
	}
	query, args := s.Page(after, limit)
	rows, err := s.DB.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return buf, s.pageErr(after, err)
	}
	defer rows.Close()
	last := after
	for rows.Next() {
		c, err := s.Scan(rows)
		if err != nil {
			return buf, s.pageErr(after, err)
		}
		// A guard against a query that does not honour the keyset (it
		// would loop forever or skip rows).
		id, ok := c.BillingID.Int()
		if !ok {
			return buf, s.pageErr(after, fmt.Errorf("id %q is not a number", c.BillingID))
		}
		if id <= last {
			return buf, s.pageErr(after, fmt.Errorf("id %d does not follow id %d", id, last))
		}
		last = id
		buf = append(buf, c)
	}
	if err := rows.Err(); err != nil {
		return buf, s.pageErr(after, err)
	}
	if err := rows.Close(); err != nil {
		return buf, s.pageErr(after, err)
	}
	return buf, nil
}

func (s Stream) pageErr(after int64, err error) error {
	if after == math.MinInt64 {
		return fmt.Errorf("%s: read %s: %w", s.System, s.Table, err)
	}
	return fmt.Errorf("%s: read %s after id %d: %w", s.System, s.Table, after, err)
}

// Probe is a cheap query that proves a table exists and is readable, such as
// "SELECT id, email FROM contacts LIMIT 0".
type Probe struct {
	Table string
	SQL   string
}

// Check runs each probe in order and returns an error naming the table of the
// first that fails ("blesta: table contacts: Error 1146 ...").
func Check(ctx context.Context, db *gorm.DB, system string, probes ...Probe) error {
	if db == nil {
		return errors.New(system + ": no database")
	}
	for _, p := range probes {
		if err := probe(ctx, db, p.SQL); err != nil {
			return fmt.Errorf("%s: table %s: %w", system, p.Table, err)
		}
	}
	return nil
}

func probe(ctx context.Context, db *gorm.DB, query string) error {
	rows, err := db.WithContext(ctx).Raw(query).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return rows.Close()
}
