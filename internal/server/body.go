package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// limitBody reads a request's body, refusing one larger than maxBytes
// with a GraphQL error that says so (rather than the decoder's complaint
// about a cut-off document), before GraphQL spends anything on it. The
// refusal is 413 under either response media type: the HTTP request was
// turned away before it was read as a GraphQL request, which the
// GraphQL-over-HTTP spec lets a server do with a 4xx.
func limitBody(next http.Handler, maxBytes int) http.Handler {
	if maxBytes <= 0 {
		maxBytes = 64 << 10
	}
	tooLarge := func(w http.ResponseWriter, r *http.Request) {
		refuse(w, r, http.StatusRequestEntityTooLarge, gatehouse.CodeLimitExceeded,
			fmt.Sprintf("The request body is larger than %d bytes.", maxBytes),
			map[string]any{"limit": "bodyBytes", "max": maxBytes})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > int64(maxBytes) {
			tooLarge(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(maxBytes)))
		var mbe *http.MaxBytesError
		switch {
		case errors.As(err, &mbe):
			tooLarge(w, r)
			return
		case err != nil:
			refuse(w, r, http.StatusBadRequest, gatehouse.CodeBadUserInput, "The request body could not be read.", nil)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
