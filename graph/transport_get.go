package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// getTransport serves queries over GET (GraphQL over HTTP). It replaces
// gqlgen's transport.GET, whose refusals (a mutation over GET, undecodable
// variables) bypass the error presenter and so carry no code, type or
// request id, and which answers request errors with 422.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	// GET answers may be cached by browsers and proxies: never one that
	// depends on a credential, and caches must key on the credentials
	// and on the media type asked for.
	w.Header().Add("Vary", "Accept, Authorization, Cookie")
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	media, ok := negotiate(w, r, exec)
	if !ok {
		return
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuse(w, r, exec, media, http.StatusBadRequest, "The query string could not be parsed.")
		return
	}
	params := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	params.ReadTime.Start = graphql.Now()
	for name, dst := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
		if v := q.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil || dec.More() {
				refuse(w, r, exec, media, http.StatusBadRequest, "The "+name+" parameter is not a JSON object.")
				return
			}
		}
	}
	params.ReadTime.End = graphql.Now()
	if !hasQuery(params) {
		refuse(w, r, exec, media, http.StatusBadRequest, `The request has no "query" parameter.`)
		return
	}
	// A mutation over GET is 405 under either media type (the spec's
	// MUST), before any limit or error of the operation is reported.
	run(r.Context(), w, exec, media, params, func(opCtx *graphql.OperationContext) bool {
		if opCtx.Operation.Operation == ast.Query {
			return true
		}
		w.Header().Set("Allow", "POST")
		refuse(w, r, exec, media, http.StatusMethodNotAllowed, "Only queries may be sent with GET; send mutations with POST.")
		return false
	})
}
