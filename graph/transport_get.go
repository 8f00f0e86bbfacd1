package graph

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// getTransport serves queries over GET (GraphQL over HTTP). It replaces
// gqlgen's transport.GET, whose refusals (a mutation over GET, undecodable
// variables) bypass the error presenter and so carry no code, type or
// request id.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	w.Header().Set("Content-Type", "application/json")
	// GET answers may be cached by browsers and proxies: never one that
	// depends on a credential, and caches must key on the credentials.
	w.Header().Add("Vary", "Authorization, Cookie")
	if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
		w.Header().Set("Cache-Control", "private, no-store")
	}
	refuse := func(status int, msg string) {
		w.WriteHeader(status)
		writeResponse(w, exec.DispatchError(r.Context(), gqlerror.List{badUserInput(msg)}))
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuse(http.StatusBadRequest, "The query string could not be parsed.")
		return
	}
	raw := &graphql.RawParams{
		Query:         q.Get("query"),
		OperationName: q.Get("operationName"),
		Headers:       r.Header,
	}
	raw.ReadTime.Start = graphql.Now()
	for name, dst := range map[string]*map[string]any{"variables": &raw.Variables, "extensions": &raw.Extensions} {
		if v := q.Get(name); v != "" {
			dec := json.NewDecoder(strings.NewReader(v))
			dec.UseNumber()
			if err := dec.Decode(dst); err != nil {
				refuse(http.StatusBadRequest, "The "+name+" parameter is not a JSON object.")
				return
			}
		}
	}
	raw.ReadTime.End = graphql.Now()

	opCtx, gqlErr := exec.CreateOperationContext(r.Context(), raw)
	if gqlErr != nil {
		if errcode.GetErrorKind(gqlErr) == errcode.KindProtocol {
			w.WriteHeader(http.StatusUnprocessableEntity)
		}
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(r.Context(), opCtx), gqlErr))
		return
	}
	if op := opCtx.Doc.Operations.ForName(opCtx.OperationName); op == nil || op.Operation != ast.Query {
		w.Header().Set("Allow", "POST")
		refuse(http.StatusMethodNotAllowed, "Only queries may be sent with GET; send mutations with POST.")
		return
	}
	responses, ctx := exec.DispatchOperation(r.Context(), opCtx)
	writeResponse(w, responses(ctx))
}

func writeResponse(w http.ResponseWriter, resp *graphql.Response) {
	_ = json.NewEncoder(w).Encode(resp)
}
