package graph

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/request"
)

// What every transport of this package answers with (GraphQL over HTTP):
// the media type the Accept header chose, its status (errors.go) and a
// body the error presenter wrote.

// negotiate returns the response's media type; when Accept allows none
// that this server speaks it answers 406 itself and ok is false.
func negotiate(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) (media string, ok bool) {
	media, ok = request.ResponseMediaType(r)
	if !ok {
		refuse(w, r, exec, request.JSON, http.StatusNotAcceptable,
			"Send Accept: application/graphql-response+json or application/json; this endpoint answers in no other type.")
	}
	return media, ok
}

// refuse answers a request that is not a well-formed GraphQL-over-HTTP
// request (or not one this server takes) with status, whatever the
// media type, and a presented BAD_USER_INPUT error.
func refuse(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, media string, status int, msg string) {
	resp := exec.DispatchError(r.Context(), gqlerror.List{badUserInput(msg)})
	write(w, media, status, requestErrorBody{Errors: resp.Errors, Extensions: resp.Extensions})
}

// run creates the operation and executes it, answering a request error
// (parse, validation, a document limit, variables) as one, without data.
// check, when set, may refuse the operation before it runs (returning
// false once it has answered).
func run(ctx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor, media string, params *graphql.RawParams, check func(*graphql.OperationContext) bool) {
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if check != nil && opCtx.Operation != nil && !check(opCtx) {
		return
	}
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		write(w, media, requestErrorStatus(media), requestErrorBody{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	write(w, media, executedStatus(ctx, media, resp), resp)
}

// requestErrorBody is a GraphQL response to a request that was never
// executed: it has no data entry at all (the GraphQL spec's "request
// error"; gqlgen's Response would send "data": null).
type requestErrorBody struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// hasQuery reports whether params carry a document, or the hash of a
// persisted one: without either the request is not well-formed.
func hasQuery(p *graphql.RawParams) bool {
	return p.Query != "" || p.Extensions["persistedQuery"] != nil
}

func write(w http.ResponseWriter, media string, status int, body any) {
	b, err := json.Marshal(body)
	if err != nil {
		// A resolver's value that does not marshal is our bug.
		status, b = http.StatusInternalServerError, []byte(`{"errors":[{"message":"`+gatehouse.InternalMessage+`","extensions":{"code":"`+string(gatehouse.CodeInternal)+`"}}]}`)
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
