package store

import (
	"context"
	"database/sql/driver"
	"strings"
	"unicode"
)

// writerLock lets one SQLite connection of the process write at a time,
// while reads run on the others beside it (WAL). SQLite allows one writer
// anyway; without this, the others spin in its busy handler, which sleeps
// in steps of up to 100 ms, and under a few concurrent refreshes the
// slowest waited hundreds of milliseconds. Waiting here instead is a Go
// channel: the next writer runs the moment the last one is done, in turn.
// busy_timeout stays, for writers in other processes.
type writerLock chan struct{}

func newWriterLock() writerLock { return make(writerLock, 1) }

// lock waits for the lock as long as ctx allows (the statement's
// acquireCtx bounds it with the pool's acquire timeout).
func (w writerLock) lock(ctx context.Context) error {
	select {
	case w <- struct{}{}:
		return nil
	default:
	}
	select {
	case w <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w writerLock) unlock() { <-w }

// writes reports whether a statement may write: anything but a SELECT.
func writes(query string) bool {
	q := strings.TrimLeftFunc(query, unicode.IsSpace)
	return len(q) < 6 || !strings.EqualFold(q[:6], "SELECT")
}

// writerConn is an SQLite connection that takes the writer lock for each
// transaction (BEGIN to COMMIT or ROLLBACK) and for each write outside
// one (until its rows are closed: a RETURNING statement writes until
// then). Prepared statements are not guarded: bun interpolates, so the
// store prepares none; one that did would fall back on busy_timeout.
type writerConn struct {
	conn
	w    writerLock
	inTx bool
}

func (c *writerConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if err := c.w.lock(ctx); err != nil {
		return nil, err
	}
	tx, err := c.conn.BeginTx(ctx, opts)
	if err != nil {
		c.w.unlock()
		return nil, err
	}
	c.inTx = true
	return &writerTx{Tx: tx, c: c}, nil
}

// locking takes the writer lock for a statement outside a transaction
// that may write, and returns how to give it back ("" for a read).
func (c *writerConn) locking(ctx context.Context, query string) (unlock func(), err error) {
	if c.inTx || !writes(query) {
		return func() {}, nil
	}
	if err := c.w.lock(ctx); err != nil {
		return nil, err
	}
	return c.w.unlock, nil
}

func (c *writerConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	unlock, err := c.locking(ctx, query)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.conn.ExecContext(ctx, query, args)
}

func (c *writerConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	unlock, err := c.locking(ctx, query)
	if err != nil {
		return nil, err
	}
	rows, err := c.conn.QueryContext(ctx, query, args)
	if err != nil || c.inTx || !writes(query) {
		unlock()
		return rows, err
	}
	return &unlockingRows{Rows: rows, unlock: unlock}, nil
}

type writerTx struct {
	driver.Tx
	c *writerConn
}

func (t *writerTx) Commit() error {
	defer t.end()
	return t.Tx.Commit()
}

func (t *writerTx) Rollback() error {
	defer t.end()
	return t.Tx.Rollback()
}

func (t *writerTx) end() {
	if t.c.inTx {
		t.c.inTx = false
		t.c.w.unlock()
	}
}

// unlockingRows gives the writer lock back once its statement is done.
type unlockingRows struct {
	driver.Rows
	unlock func()
	closed bool
}

func (r *unlockingRows) Close() error {
	err := r.Rows.Close()
	if !r.closed {
		r.closed = true
		r.unlock()
	}
	return err
}
