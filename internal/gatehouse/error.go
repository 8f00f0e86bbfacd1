package gatehouse

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an Error. The set is closed: the GraphQL error presenter
// maps every code to what a client sees, in one table.
type Code string

// Codes a caller can cause and correct; they are answered in a payload's
// errors list.
const (
	CodeInvalidCredentials Code = "INVALID_CREDENTIALS"
	CodeInvalidInput       Code = "INVALID_INPUT"
	CodePasswordPolicy     Code = "PASSWORD_POLICY"
	CodeDuplicate          Code = "DUPLICATE"
	// CodeIdentityExists: a third-party sign-in's verified email belongs
	// to an account the provider may not join by itself, or a provider
	// account to link already signs in to another account.
	CodeIdentityExists   Code = "IDENTITY_EXISTS"
	CodeNotFound         Code = "NOT_FOUND"
	CodeNotAllowed       Code = "NOT_ALLOWED"
	CodeTokenInvalid     Code = "TOKEN_INVALID"
	CodeTokenExpired     Code = "TOKEN_EXPIRED"
	CodeProviderNotFound Code = "PROVIDER_NOT_FOUND"
	CodeConflict         Code = "CONFLICT"
	// Third-party sign-in.
	CodeProviderError      Code = "PROVIDER_ERROR"
	CodeRedirectNotAllowed Code = "REDIRECT_URL_NOT_ALLOWED"
	CodeStateInvalid       Code = "STATE_INVALID"
	CodeStateExpired       Code = "STATE_EXPIRED"
)

// Codes that concern the request as a whole; they are answered as top-level
// GraphQL errors.
const (
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeForbidden       Code = "FORBIDDEN"
	CodeRateLimited     Code = "RATE_LIMITED"
	// CodeUnavailable sheds a request the service cannot serve now (no
	// database connection free in time, a rate limiter that cannot be
	// asked): nothing was done, and the same request may be retried
	// after RetryAfter.
	CodeUnavailable Code = "UNAVAILABLE"
	CodeInternal    Code = "INTERNAL_SERVER_ERROR"
)

// Reason qualifies a top-level code: why a credential was refused
// (CodeUnauthenticated), or why an Idempotency-Key could not be honoured
// (CodeConflict).
type Reason string

// Reasons for CodeUnauthenticated.
const (
	ReasonMissing Reason = "MISSING"
	ReasonInvalid Reason = "INVALID"
	ReasonExpired Reason = "EXPIRED"
	ReasonRevoked Reason = "REVOKED"
)

// Reasons for a top-level CodeConflict, answered to a mutation sent with an
// Idempotency-Key.
const (
	// ReasonIdempotencyKeyReused: the key was first sent with another
	// request (another operation or other variables).
	ReasonIdempotencyKeyReused Reason = "IDEMPOTENCY_KEY_REUSED"
	// ReasonInProgress: the first request with the key is still running.
	ReasonInProgress Reason = "IN_PROGRESS"
)

// Reasons for CodeForbidden.
const (
	// ReasonMissingPermission: the admin user's roles do not grant the
	// permission the field needs.
	ReasonMissingPermission Reason = "MISSING_PERMISSION"
	// ReasonImpersonation: an impersonation session may act as the
	// customer but not change how they sign in, nor outlive itself.
	ReasonImpersonation Reason = "IMPERSONATION"
	// ReasonReauthRequired: the change needs an authentication within
	// the reauthentication window, at the identity's highest level
	// (reauthenticate, then retry).
	ReasonReauthRequired Reason = "REAUTH_REQUIRED"
	// ReasonMFARequired: the policy needs a session at aal2 (sign in with
	// the second factor, or enroll one and reauthenticate with it).
	ReasonMFARequired Reason = "MFA_REQUIRED"
)

// Error is the domain error. Message is safe to show to the caller; Err is
// the internal cause, which is logged (for internal errors only) and never
// sent to a client.
type Error struct {
	Code    Code
	Message string
	// Field is the path of the input field at fault, when there is one.
	Field []string
	// Reason qualifies CodeUnauthenticated, CodeForbidden and a top-level
	// CodeConflict.
	Reason Reason
	// RetryAfter qualifies CodeRateLimited and CodeUnavailable.
	RetryAfter time.Duration
	// Type, when set, is sent as extensions.type in place of the code's
	// own: TypeDatabaseError marks a CodeUnavailable that is a database
	// outage.
	Type string
	// Err is the cause; it stays on the server.
	Err error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an Error with a formatted, client-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an INVALID_INPUT-style error that names the input field
// at fault.
func FieldError(code Code, field []string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field}
}

// Internal wraps an unexpected failure. The message the client sees is
// generic; err is kept for the log.
func Internal(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: CodeInternal, Message: InternalMessage, Err: err}
}

// InternalMessage is all a client learns of an internal error.
const InternalMessage = "An internal error occurred."

// Unauthenticated returns the error for a missing or unusable credential.
func Unauthenticated(reason Reason, err error) *Error {
	msg := map[Reason]string{
		ReasonMissing: "Authentication is required.",
		ReasonInvalid: "The access token is invalid.",
		ReasonExpired: "The access token has expired.",
		ReasonRevoked: "The access token has been revoked.",
	}[reason]
	return &Error{Code: CodeUnauthenticated, Reason: reason, Message: msg, Err: err}
}

// ErrorCode returns the code of err, CodeInternal for errors of any other
// type, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns err as an *Error, wrapping anything else as internal.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return Internal(err)
}

// TypeDatabaseError is extensions.type of a request answered
// CodeUnavailable because the database could not be reached.
const TypeDatabaseError = "database_error"
