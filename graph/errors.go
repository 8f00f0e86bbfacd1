package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

// Codes that only the transport produces, as the strings gqlgen and the
// extensions compare.
const (
	codeBadUserInput           = string(gatehouse.CodeBadUserInput)
	codeParseFailed            = string(gatehouse.CodeParseFailed)
	codeValidationFailed       = string(gatehouse.CodeValidationFailed)
	codeLimitExceeded          = string(gatehouse.CodeLimitExceeded)
	codePersistedQueryNotFound = string(gatehouse.CodePersistedQueryNotFound)
)

// result is how a query or field resolver returns what the service
// answered: every error as a domain error (anything else becomes an
// internal one), so that the presenter has one kind to map. Mutations
// return through payloadErrors, which ends the same way.
func result[T any](v T, err error) (T, error) {
	if err != nil {
		var zero T
		return zero, gatehouse.AsError(err)
	}
	return v, nil
}

// payloadErrors splits a service error: a caller's mistake becomes the
// payload's errors list; anything else is returned to become a top-level
// error.
func payloadErrors(err error) ([]*model.AuthError, error) {
	e := gatehouse.AsError(err)
	if e == nil {
		return []*model.AuthError{}, nil
	}
	if c, ok := gatehouse.Info(e.Code); ok && c.Payload {
		return []*model.AuthError{{
			Code:    model.AuthErrorCode(e.Code),
			Type:    c.Type,
			Message: e.Message,
			Field:   e.Field,
		}}, nil
	}
	return nil, e
}

// errClientGone answers a request whose client went away: nobody reads
// it, and it is logged at INFO, not as an internal error.
var errClientGone = &gatehouse.Error{Code: gatehouse.CodeUnavailable, RetryAfter: time.Second, Message: "The request was cancelled."}

// clientGone reports whether err comes of the request's context being
// cancelled, which is the client closing the connection.
func clientGone(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(ctx.Err(), context.Canceled)
}

// ErrorPresenter returns the presenter that turns every error into what a
// client may see: a stable code and type in extensions, the request id, a
// safe message. Internal causes are logged here, once, and never sent.
func ErrorPresenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		var ge *gatehouse.Error
		code := ""
		switch {
		case errors.As(err, &ge):
			code = string(ge.Code)
			if _, ok := gatehouse.Info(ge.Code); !ok || ge.Code == gatehouse.CodeInternal {
				if clientGone(ctx, err) {
					ge = errClientGone
				} else {
					log.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "error", err)
					ge = &gatehouse.Error{Code: gatehouse.CodeInternal, Message: gatehouse.InternalMessage}
				}
				code = string(ge.Code)
			}
			switch {
			case ge.Code == gatehouse.CodeUnavailable && clientGone(ctx, err):
				log.InfoContext(ctx, "request cancelled by the client", "path", gqlErr.Path.String())
			case ge.Type == gatehouse.TypeDatabaseError:
				log.WarnContext(ctx, "database unreachable", "path", gqlErr.Path.String(), "error", err)
			}
			gqlErr.Message = ge.Message
		default:
			var ok bool
			code, gqlErr.Message, ok = transportError(ctx, gqlErr)
			switch {
			case ok:
			case clientGone(ctx, err):
				ge = errClientGone
				code, gqlErr.Message = string(ge.Code), ge.Message
				log.InfoContext(ctx, "request cancelled by the client", "path", gqlErr.Path.String())
			default:
				// Not a domain error, not one of gqlgen's about the
				// request: a bug. Logged once; nothing of it sent.
				log.ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "error", err)
				code, gqlErr.Message = string(gatehouse.CodeInternal), gatehouse.InternalMessage
			}
		}
		info, _ := gatehouse.Info(gatehouse.Code(code))
		ext := map[string]any{
			"code": code,
			"type": info.Type,
		}
		if ge != nil && ge.Type != "" {
			ext["type"] = ge.Type
		}
		if ge != nil && ge.Reason != "" {
			ext["reason"] = string(ge.Reason)
		}
		if ge != nil && (ge.Code == gatehouse.CodeRateLimited || ge.Code == gatehouse.CodeUnavailable) {
			ext["retryAfterSeconds"] = int(math.Ceil(max(ge.RetryAfter.Seconds(), 1)))
		}
		if ge != nil && ge.Code == gatehouse.CodeUnavailable {
			request.From(ctx).Shed(ge.RetryAfter)
		}
		if code == codeLimitExceeded {
			ext["limit"], ext["max"] = gqlErr.Extensions["limit"], gqlErr.Extensions["max"]
		}
		if id := request.ID(ctx); id != "" {
			ext["requestId"] = id
		}
		gqlErr.Extensions = ext
		gqlErr.Err = nil
		return gqlErr
	}
}

// transportError classifies an error raised by gqlgen itself (parsing,
// validation, decoding arguments and variables) and returns its code and a
// message that echoes nothing the client did not write itself; ok is false
// for any other error, which is internal.
func transportError(ctx context.Context, e *gqlerror.Error) (code, msg string, ok bool) {
	code, msg = transportCode(ctx, e)
	return code, msg, code != ""
}

func transportCode(ctx context.Context, e *gqlerror.Error) (code, msg string) {
	code, _ = e.Extensions["code"].(string)
	msg = e.Message
	switch {
	case code == codeValidationFailed && len(e.Path) > 0 && fmt.Sprint(e.Path[0]) == "variable":
		// A variable of the wrong type is the caller's input, not a
		// malformed document.
		return codeBadUserInput, msg
	case code == codeParseFailed && strings.HasPrefix(msg, "exceeded token limit of "):
		e.Extensions["limit"] = limitParserTokens
		e.Extensions["max"], _ = strconv.Atoi(strings.TrimPrefix(msg, "exceeded token limit of "))
		return codeLimitExceeded, "The document is too long: " + msg + " tokens."
	case code == codePersistedQueryNotFound:
		// Apollo clients match this exact message.
		return code, "PersistedQueryNotFound"
	case code == codeParseFailed || code == codeValidationFailed || code == codeLimitExceeded || code == codeBadUserInput:
		return code, msg
	case msg == "provided APQ hash does not match query":
		return codeBadUserInput, "The persisted query's hash does not match its query."
	case code == "" && e.Err != nil:
		if at, ok := inputPath(ctx, e); ok {
			// An argument or variable that failed to decode (a JSON
			// scalar that is not an object, a DateTime that is not
			// one): the caller's input, named by its own field names,
			// never with the decoder's text.
			return codeBadUserInput, "The value of " + at + " is not of the type the schema expects."
		}
	}
	return "", ""
}

// inputPath reports whether e's path goes past the field being resolved
// into one of its arguments (where gqlgen puts a value it could not
// decode), and that input path ("input.metadata").
func inputPath(ctx context.Context, e *gqlerror.Error) (string, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Field.Field == nil {
		return "", false
	}
	n := len(fc.Path())
	if len(e.Path) <= n {
		return "", false
	}
	arg, _ := e.Path[n].(ast.PathName)
	if fc.Field.Arguments.ForName(string(arg)) == nil && fc.Field.Definition.Arguments.ForName(string(arg)) == nil {
		return "", false
	}
	parts := make([]string, 0, len(e.Path)-n)
	for _, p := range e.Path[n:] {
		parts = append(parts, fmt.Sprint(p))
	}
	return strings.Join(parts, "."), true
}

// HTTP status codes, as the GraphQL-over-HTTP spec gives them for each
// response media type. A request that is not a well-formed
// GraphQL-over-HTTP request (not JSON, no query, variables that are not
// an object, a mutation over GET, a form post) is refused with its 4xx
// under both types, by the transport that finds it.

// requestErrorStatus is the status of a request error: the operation was
// never executed (it does not parse or validate, a document limit refused
// it, its variables do not coerce, a persisted query is unknown). Under
// application/json every well-formed request answers 200, since a client
// cannot tell another status from a proxy's; under
// application/graphql-response+json it is 400.
func requestErrorStatus(media string) int {
	if media == request.GraphQLResponseJSON {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// executedStatus is the status of an executed operation's answer: 200,
// field errors or not. The exceptions, under
// application/graphql-response+json, are answers with null data, nothing
// having been done: a shed request (UNAVAILABLE), 503, with the
// Retry-After the presenter set, for load balancers and clients that
// retry on it (the spec lets a server turn a request away with a 5xx for
// a reason that is not the request's content); and a mutation refused for
// its Idempotency-Key (CONFLICT), 409 or 422 (refusedStatus). Data that is
// not null is always 200, as the spec requires.
func executedStatus(ctx context.Context, media string, resp *graphql.Response) int {
	if s := refusedStatus(ctx); s != 0 && media == request.GraphQLResponseJSON {
		return s
	}
	if media == request.GraphQLResponseJSON && request.From(ctx).Shedding() &&
		(len(resp.Data) == 0 || string(resp.Data) == "null") {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// badUserInput is a transport's refusal of a request the caller must fix,
// with our message.
func badUserInput(msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": codeBadUserInput}}
}

// Recover turns a panic in a resolver into an internal error; the
// presenter logs it with the request id.
func Recover(ctx context.Context, p any) error {
	return gatehouse.Internal(fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
}
