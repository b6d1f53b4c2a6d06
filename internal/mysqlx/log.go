package mysqlx

import (
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
)

// The driver's own messages ("packets.go:58 unexpected EOF": a connection
// the server closed, which database/sql then replaces) go through the
// project's logger, at warn level with "component":"mysql", rather than to
// stderr as raw "[mysql] ..." lines. The driver's logger is global; it is
// set once, here, to an adapter whose logger SetLogger changes.
var driverLog = func() *driverLogger {
	l := &driverLogger{}
	def := zerolog.New(os.Stderr).With().Timestamp().Logger()
	l.log.Store(&def)
	_ = mysql.SetLogger(l)
	return l
}()

type driverLogger struct {
	log atomic.Pointer[zerolog.Logger]
}

// Print implements mysql.Logger.
func (l *driverLogger) Print(v ...any) {
	msg := strings.TrimSpace(fmt.Sprintln(v...))
	l.log.Load().Warn().Str("component", "mysql").Msg(msg)
}

// SetLogger makes log the logger of the driver's own messages, for every
// pool (made by Open or not). Safe to call at any time.
func SetLogger(log zerolog.Logger) {
	driverLog.log.Store(&log)
}
