package graph

import (
	"net/http"

	"github.com/99designs/gqlgen/graphql"

	"github.com/gatehouse/gatehouse/internal/request"
)

// refuseTransport is the last transport: it answers every request the
// others do not support (a form post, a PUT) with a presented error, where
// gqlgen's own answer would carry no code, type or request id.
type refuseTransport struct{}

var _ graphql.Transport = refuseTransport{}

func (refuseTransport) Supports(*http.Request) bool { return true }

func (refuseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	status, msg := http.StatusUnsupportedMediaType, "Send GraphQL requests as POST with Content-Type: application/json, or queries as GET."
	if r.Method != http.MethodPost {
		status = http.StatusMethodNotAllowed
		w.Header().Set("Allow", "GET, POST, OPTIONS")
	}
	// The refusal is the answer whatever Accept allows: in its type when
	// it names one, else in application/json.
	media, ok := request.ResponseMediaType(r)
	if !ok {
		media = request.JSON
	}
	refuse(w, r, exec, media, status, msg)
}
