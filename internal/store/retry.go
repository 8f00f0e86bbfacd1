package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"github.com/uptrace/bun"
)

// Retry runs fn on one connection and, when it failed in a way a failover
// explains, once more on a new connection: a pooled connection to a
// server that went away, or to one that is read-only now (SQLSTATE 25006,
// a primary demoted in a switchover), is closed, never reused, so the
// second attempt dials whatever the address now reaches.
//
// idempotent says whether fn may run twice, its effect the same as once:
// a read, or a write whose second run changes nothing more (an UPDATE that
// sets an absolute value, a DELETE by key). Only then is fn retried after
// a connection lost mid-statement: the statement may have committed
// before the connection went, and the client cannot know. A write that is
// not idempotent (a rate-limit take, claiming a single-use token, an
// insert with a generated key) is retried only when the statement surely
// never ran: the connection was never made, or the server refused it as
// read-only, which it does before changing anything.
//
// fn must be one statement or one transaction of its own (not inside a
// caller's transaction, which a lost connection has rolled back whole),
// and must use the bun.IDB it is given.
func (db *DB) Retry(ctx context.Context, idempotent bool, fn func(ctx context.Context, q bun.IDB) error) error {
	err := db.attempt(ctx, false, fn)
	if err == nil || ctx.Err() != nil || !retryable(err, idempotent) {
		return err
	}
	if db.onRetry != nil {
		db.onRetry(err)
	}
	return db.attempt(ctx, true, fn)
}

// OnRetry sets a function told of each failure Retry retries (for a
// metric or a log line). Set it before the database is used.
func (db *DB) OnRetry(fn func(error)) { db.onRetry = fn }

// attempt runs fn on a connection of its own, discarding the connection
// when it has failed as retryable says. A retry first pings the
// connection the pool gives it, and discards every one that fails so:
// after a failover each pooled connection is dead, and the second
// attempt would otherwise only meet the next one. (The pings are the
// retry's own: an attempt that succeeds the first time sends none.)
func (db *DB) attempt(ctx context.Context, retry bool, fn func(context.Context, bun.IDB) error) error {
	tries := 1
	if retry {
		tries += db.bun.DB.Stats().Idle
	}
	var (
		conn bun.Conn
		err  error
	)
	for ; tries > 0; tries-- {
		if conn, err = db.conn(ctx); err != nil {
			return err
		}
		if !retry || tries == 1 {
			break
		}
		if err = conn.PingContext(ctx); err == nil || !retryable(err, true) {
			break
		}
		discard(conn)
	}
	if err == nil {
		err = fn(ctx, conn)
	}
	if err != nil && retryable(err, true) {
		discard(conn)
		return err
	}
	return errors.Join(err, conn.Close())
}

// conn takes a connection from the pool within the acquire timeout.
func (db *DB) conn(ctx context.Context) (bun.Conn, error) {
	actx, cancel := ctx, context.CancelFunc(func() {})
	if db.acquireTimeout > 0 {
		actx, cancel = context.WithTimeout(ctx, db.acquireTimeout)
	}
	conn, err := db.bun.Conn(actx)
	cancel()
	if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
		err = ErrNoConnection
		if db.onShed != nil {
			db.onShed()
		}
	}
	return conn, err
}

// discard closes conn rather than pooling it: it reached a server that
// is gone or read-only. (Raw given ErrBadConn closes it and ends conn.)
func discard(conn bun.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
}

// retryable reports whether err is one a second attempt on a new
// connection may not meet; for a write that is not idempotent, only when
// the statement surely did not run.
func retryable(err error, idempotent bool) bool {
	switch {
	case err == nil, errors.Is(err, ErrNoConnection), cancelled(err):
		// The pool is full, or the caller gave up: a retry would only
		// wait again.
		return false
	case notRun(err):
		return true
	}
	return idempotent && unreachable(err)
}

// notRun reports whether err says the statement never reached a server
// that could run it: the connection was refused, or the server would not
// write (read-only, starting, shutting down before it began, full).
func notRun(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.ReadOnlySQLTransaction, pqerror.CannotConnectNow, pqerror.TooManyConnections:
			return true
		}
		return false
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, io.EOF)
}
