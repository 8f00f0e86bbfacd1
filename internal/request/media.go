package request

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// The media types of a GraphQL response (GraphQL over HTTP).
const (
	// GraphQLResponseJSON is the spec's own type: its status codes say
	// what happened (400 for a request that was not executed).
	GraphQLResponseJSON = "application/graphql-response+json"
	// JSON is the legacy type: every well-formed request answers 200,
	// because a client cannot tell another status from a proxy's.
	JSON = "application/json"
)

// ResponseMediaType negotiates a GraphQL response's media type from r's
// Accept header (RFC 9110 §12.5.1): the acceptable type of the highest q,
// ties going to the more specific range, then to the range listed first,
// then to application/json, so that */* and application/* get
// application/json, as legacy clients expect. No Accept header means
// application/json (legacy); ok is false when the header allows neither
// type, and the answer is then 406.
func ResponseMediaType(r *http.Request) (mediaType string, ok bool) {
	accept := strings.Join(r.Header.Values("Accept"), ",")
	if strings.TrimSpace(accept) == "" {
		return JSON, true
	}
	type pref struct {
		q           float64
		specificity int // 0 */*, 1 application/*, 2 the type itself
		position    int
	}
	best := map[string]pref{}
	for i, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		for _, candidate := range []string{GraphQLResponseJSON, JSON} {
			spec := -1
			switch mt {
			case "*/*":
				spec = 0
			case "application/*":
				spec = 1
			case candidate:
				spec = 2
			}
			// The most specific range that matches a type decides its q.
			if b, seen := best[candidate]; spec >= 0 && (!seen || spec > b.specificity) {
				best[candidate] = pref{q: q, specificity: spec, position: i}
			}
		}
	}
	var chosen pref
	for _, candidate := range []string{JSON, GraphQLResponseJSON} {
		p, seen := best[candidate]
		if !seen || p.q == 0 {
			continue
		}
		if !ok || p.q > chosen.q ||
			(p.q == chosen.q && (p.specificity > chosen.specificity ||
				(p.specificity == chosen.specificity && p.position < chosen.position))) {
			mediaType, chosen, ok = candidate, p, true
		}
	}
	return mediaType, ok
}
