package store

import (
	"context"
	"database/sql/driver"
)

// connector wraps a driver's connector so that each connection tells the
// statement's acquireCtx when the statement reached it (see acquired),
// and, with a writer lock, lets one connection write at a time.
// Everything else passes through to the driver unchanged.
type connector struct {
	driver.Connector
	w writerLock // nil: no lock
}

func (c connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if c.w != nil {
		return &writerConn{conn: conn{dc}, w: c.w}, nil
	}
	return conn{dc}, nil
}

// dsnConnector is a driver.Connector for a driver that has none of its own.
type dsnConnector struct {
	dsn string
	drv driver.Driver
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

// conn forwards to the driver's connection every optional interface that
// database/sql looks for, answering as database/sql would when the driver
// lacks one.
type conn struct{ driver.Conn }

var (
	_ driver.ConnBeginTx        = conn{}
	_ driver.ConnPrepareContext = conn{}
	_ driver.ExecerContext      = conn{}
	_ driver.QueryerContext     = conn{}
	_ driver.Pinger             = conn{}
	_ driver.SessionResetter    = conn{}
	_ driver.Validator          = conn{}
	_ driver.NamedValueChecker  = conn{}
	_ driver.Connector          = connector{}
	_ driver.Connector          = dsnConnector{}
)

func (c conn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	acquired(ctx)
	if b, ok := c.Conn.(driver.ConnBeginTx); ok {
		return b.BeginTx(ctx, opts)
	}
	//lint:ignore SA1019 the driver has nothing newer, and database/sql would call Begin itself
	return c.Conn.Begin()
}

func (c conn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	acquired(ctx)
	if p, ok := c.Conn.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return c.Conn.Prepare(query)
}

func (c conn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	acquired(ctx)
	if e, ok := c.Conn.(driver.ExecerContext); ok {
		return e.ExecContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c conn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	acquired(ctx)
	if q, ok := c.Conn.(driver.QueryerContext); ok {
		return q.QueryContext(ctx, query, args)
	}
	return nil, driver.ErrSkip
}

func (c conn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c conn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c conn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c conn) CheckNamedValue(nv *driver.NamedValue) error {
	if n, ok := c.Conn.(driver.NamedValueChecker); ok {
		return n.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}
