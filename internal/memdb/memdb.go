// Package memdb runs an in-process MySQL-compatible server
// (github.com/dolthub/go-mysql-server, in memory) on a loopback port, so the
// demo exercises the same driver, SQL, keyset reads and GET_LOCK run lock as
// production without a database server to install.
package memdb

import (
	"fmt"
	"io"
	"net"

	sqle "github.com/dolthub/go-mysql-server"
	"github.com/dolthub/go-mysql-server/memory"
	"github.com/dolthub/go-mysql-server/server"
	gmssql "github.com/dolthub/go-mysql-server/sql"
	"github.com/sirupsen/logrus"
)

// Server is a running in-memory MySQL server.
type Server struct {
	srv  *server.Server
	addr string
	db   string
}

// Start serves an empty database named db on 127.0.0.1 at a free port.
func Start(db string) (*Server, error) {
	// go-mysql-server logs every connection through logrus; keep the demo's
	// output to what ticaga-sync itself says.
	logrus.SetOutput(io.Discard)

	pro := memory.NewDBProvider(memory.NewDatabase(db))
	engine := sqle.NewDefault(pro)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("memdb: listen: %w", err)
	}
	cfg := server.Config{Protocol: "tcp", Listener: l}
	srv, err := server.NewServer(cfg, engine, gmssql.NewContext, memory.NewSessionBuilder(pro), nil)
	if err != nil {
		l.Close()
		return nil, fmt.Errorf("memdb: %w", err)
	}
	go func() { _ = srv.Start() }()
	return &Server{srv: srv, addr: l.Addr().String(), db: db}, nil
}

// DSN is a go-sql-driver DSN for the database.
func (s *Server) DSN() string {
	return fmt.Sprintf("root@tcp(%s)/%s", s.addr, s.db)
}

// Close stops the server.
func (s *Server) Close() error {
	return s.srv.Close()
}
