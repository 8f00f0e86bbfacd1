package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
)

// postTransport serves POST with a JSON body (GraphQL over HTTP). It
// replaces gqlgen's transport.POST, which answers a request error under
// application/json with 422 where the spec says 200, sends "data": null
// with it, and names no charset.
type postTransport struct{}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && r.Method == http.MethodPost && mt == "application/json" && r.Header.Get("Upgrade") == ""
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media, ok := negotiate(w, r, exec)
	if !ok {
		return
	}
	start := graphql.Now()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		refuse(w, r, exec, media, http.StatusBadRequest, "The request body could not be read.")
		return
	}
	var params graphql.RawParams
	if msg := decodeParams(body, &params); msg != "" {
		refuse(w, r, exec, media, http.StatusBadRequest, msg)
		return
	}
	if !hasQuery(&params) {
		refuse(w, r, exec, media, http.StatusBadRequest, `The request has no "query".`)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	run(r.Context(), w, exec, media, &params, nil)
}

// decodeParams reads a JSON request body into p, and returns what is
// wrong with it (never the decoder's text, which quotes the body), or "".
func decodeParams(body []byte, p *graphql.RawParams) string {
	if b := bytes.TrimLeft(body, " \t\r\n"); len(b) > 0 && b[0] == '[' {
		return "Batched requests are not supported: send one operation per request."
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(p); err != nil || dec.More() {
		return "The request body is not a valid GraphQL request in JSON."
	}
	return ""
}
