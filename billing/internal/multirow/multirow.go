// Package multirow inserts many rows with few statements, for the fixture
// packages that seed billing databases.
package multirow

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// MaxRows is the number of rows per INSERT statement.
const MaxRows = 1000

// maxParams keeps a statement under MySQL's 65535 placeholders.
const maxParams = 60000

// Insert runs head (such as "INSERT INTO t (a, b) VALUES") followed by one
// "(?, ?)" group per row, MaxRows rows per statement. Every row must have as
// many values as the first; a nil value is NULL.
func Insert(ctx context.Context, db *sql.DB, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	width := len(rows[0])
	per := min(MaxRows, maxParams/width)
	group := "(" + strings.TrimSuffix(strings.Repeat("?,", width), ",") + ")"
	args := make([]any, 0, per*width)
	var q strings.Builder
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		q.Reset()
		q.WriteString(head)
		args = args[:0]
		for i, r := range chunk {
			if len(r) != width {
				return fmt.Errorf("multirow: row %d has %d values, want %d", start+i, len(r), width)
			}
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString(group)
			args = append(args, r...)
		}
		if _, err := db.ExecContext(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// NullIfEmpty returns nil (NULL) for "" and s otherwise.
func NullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
