package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/lib/pq"
	"github.com/lib/pq/pqerror"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// duplicates gives, for each unique constraint of the schema, the message a
// client sees when a write breaks it. A constraint is named as PostgreSQL
// reports it (the constraint or index name) and as SQLite does (the columns
// of a plain unique index, the name of an index on an expression).
var duplicates = []struct {
	names   []string
	message string
}{
	{
		[]string{"provider_identity_entity_key", "provider_identity.actor_type, provider_identity.provider, provider_identity.entity_id"},
		"An identity with this provider and entity id already exists.",
	},
	{[]string{"customer_email_key", "customer.email"}, "A customer with this email already exists."},
	{[]string{"customer_user_name_key", "index 'customer_user_name_key'"}, "A customer with this user name already exists."},
	{[]string{"user_email_key", "user.email"}, "A user with this email already exists."},
	{[]string{"invite_token_hash_key", "invite.token_hash"}, "An invite with this token already exists."},
	{[]string{"invite_pending_email_key", "invite.email"}, "A pending invite for this email already exists."},
	{[]string{"role_name_key", "index 'role_name_key'"}, "A role with this name already exists."},
	{[]string{"refresh_token_hash_key", "refresh_token.token_hash"}, "A refresh token with this hash already exists."},
}

// dbError turns err, met by operation op on entity ("customer"), into the
// error the store returns: CodeNotFound for a missing row, CodeDuplicate
// for a unique violation, an internal error for anything else. Every driver
// error passes through here once; its text stays in Err, never in Message.
func dbError(op, entity string, err error) error {
	var e *gatehouse.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &e):
		return e
	case errors.Is(err, sql.ErrNoRows):
		return notFound(entity)
	case errors.Is(err, ErrNoConnection):
		return &gatehouse.Error{Code: gatehouse.CodeUnavailable, RetryAfter: time.Second,
			Message: "The service is busy; retry shortly.", Err: fmt.Errorf("store: %s: %w", op, err)}
	case cancelled(err):
		// The caller went away (or its deadline passed): nothing to
		// answer, and no fault of ours.
		return &gatehouse.Error{Code: gatehouse.CodeUnavailable, RetryAfter: time.Second,
			Message: "The request was cancelled.", Err: fmt.Errorf("store: %s: %w", op, err)}
	case unreachable(err):
		return &gatehouse.Error{Code: gatehouse.CodeUnavailable, RetryAfter: 2 * time.Second, Type: gatehouse.TypeDatabaseError,
			Message: "The database cannot be reached; retry shortly.", Err: fmt.Errorf("store: %s: %w", op, err)}
	}
	if constraint, ok := uniqueViolation(err); ok {
		msg := capitalize(entity) + " already exists."
		for _, d := range duplicates {
			if slices.Contains(d.names, constraint) {
				msg = d.message
			}
		}
		return &gatehouse.Error{Code: gatehouse.CodeDuplicate, Message: msg, Err: fmt.Errorf("store: %s: %w", op, err)}
	}
	return gatehouse.Internal(fmt.Errorf("store: %s: %w", op, err))
}

func notFound(entity string) error {
	return &gatehouse.Error{Code: gatehouse.CodeNotFound, Message: capitalize(entity) + " not found."}
}

// uniqueViolation reports whether err is a unique (or primary key)
// violation, and which constraint the driver named.
func uniqueViolation(err error) (constraint string, ok bool) {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Constraint, pqErr.Code == pqerror.UniqueViolation
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			// "constraint failed: UNIQUE constraint failed: customer.email (2067)"
			_, detail, _ := strings.Cut(sqliteErr.Error(), " constraint failed: ")
			detail, _, _ = strings.Cut(detail, " (")
			return detail, true
		}
	}
	return "", false
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// cancelled reports whether err is the request's own context ending, as
// the context or as PostgreSQL's cancellation of the statement it ran.
func cancelled(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == pqerror.QueryCanceled
}

// unreachable reports whether err says the database cannot be reached or
// is not taking statements now: a refused, reset or dropped connection, a
// network timeout, a server shutting down, starting or out of
// connections, or a read-only server during a failover. A retry later
// may succeed; nothing of the statement happened, or its transaction was
// rolled back with the connection.
func unreachable(err error) bool {
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case pqerror.AdminShutdown, pqerror.CrashShutdown, pqerror.CannotConnectNow,
			pqerror.TooManyConnections, pqerror.ReadOnlySQLTransaction:
			return true
		}
		return pqErr.Code.Class() == "08" // connection exception
	}
	return false
}
