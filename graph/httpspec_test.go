package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	mediaJSON = "application/json"
	mediaGRJ  = "application/graphql-response+json"
)

// specAPI is the API the GraphQL-over-HTTP tests call: on one database
// connection (so that a test can hold it and see the request shed), with
// a second handler whose depth limit is 2 on the same database, and the
// credentials the cases need.
type specAPI struct {
	a, shallow      *api
	db              *store.DB
	customer, admin string
}

func newSpecAPI(t *testing.T) *specAPI {
	t.Helper()
	// SQLite only: this is about the answer's status and media type.
	u := storetest.SQLite(t)
	storetest.MustOpen(t, u)
	db, err := store.OpenPool(context.Background(), u, store.Pool{MaxOpen: 1, MaxIdle: 1, AcquireTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := &specAPI{db: db}
	s.a = newAPI(t, db)
	s.shallow = newAPIWith(t, db, func(o *graph.HandlerOptions) { o.Limits = graph.Limits{Depth: 2} })
	s.customer, _ = s.a.signUpCustomer(t, "spec@example.com")
	s.admin = s.a.admin(t)
	return s
}

// specCase is one outcome, sent over POST (post, a JSON body) and over
// GET (get, query parameters), under each media type.
type specCase struct {
	name string
	post string     // "" when the outcome has no POST form
	get  url.Values // nil when it has no GET form
	// bearer names the credential sent: "", "customer" or "admin".
	bearer string
	// shallow sends it to the handler whose depth limit is 2; hold holds
	// the one database connection while it runs.
	shallow, hold bool
	// forge sends it as another site's page could (no preflight header;
	// POST as text/plain); contentType overrides application/json.
	forge       bool
	contentType string
	// json and grj are the statuses under application/json (and no
	// Accept) and under application/graphql-response+json; 0 means the
	// same as json.
	json, grj int
	code      string // the first error's code, "" for none
	data      bool   // whether the body has a data entry (executed)
}

func (c specCase) request(t *testing.T, s *specAPI, method, accept string) *http.Request {
	t.Helper()
	var req *http.Request
	if method == http.MethodPost {
		req = httptest.NewRequest(method, "/graphql", strings.NewReader(c.post))
		ct := "application/json"
		switch {
		case c.forge:
			ct = "text/plain"
		case c.contentType != "":
			ct = c.contentType
		}
		req.Header.Set("Content-Type", ct)
	} else {
		req = httptest.NewRequest(method, "/graphql?"+c.get.Encode(), nil)
	}
	if !c.forge {
		req.Header.Set("Apollo-Require-Preflight", "true")
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	switch c.bearer {
	case "customer":
		req.Header.Set("Authorization", "Bearer "+s.customer)
	case "admin":
		req.Header.Set("Authorization", "Bearer "+s.admin)
	}
	return req
}

func query(q string, more ...string) url.Values {
	v := url.Values{"query": {q}}
	for i := 0; i+1 < len(more); i += 2 {
		v.Set(more[i], more[i+1])
	}
	return v
}

func postBody(fields map[string]any) string {
	b, _ := json.Marshal(fields)
	return string(b)
}

// TestGraphQLOverHTTP holds the status and Content-Type of every outcome,
// over POST and GET, under each response media type, as the
// GraphQL-over-HTTP spec gives them: under application/json every
// well-formed request answers 200; under application/graphql-response+json
// a request that was not executed answers 400 and one that was, 200 (503
// when it was shed with nothing answered); a request that is not a
// well-formed GraphQL-over-HTTP request is a 4xx under both.
func TestGraphQLOverHTTP(t *testing.T) {
	s := newSpecAPI(t)
	const providers = `{ authProviders(actor: CUSTOMER) { id } }`
	badVar := `query($a: ActorType!) { authProviders(actor: $a) { id } }`
	wide := `{ authProviders(actor: CUSTOMER) { ` + strings.Repeat("id ", 201) + `} }`
	long := `{ authProviders(actor: CUSTOMER) { ` + strings.Repeat("id ", 15001) + `} }`
	deep := `{ currentCustomer { addresses { id } } }`
	unknownHash := `{"persistedQuery":{"version":1,"sha256Hash":"` + strings.Repeat("ab", 32) + `"}}`
	signIn := `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "spec@example.com", password: "correct horse battery"}) { ticket { accessToken } } }`
	dead := `{ deadDeliveries { hasNextPage } }`

	for _, c := range []specCase{
		{name: "success", post: postBody(map[string]any{"query": providers}), get: query(providers), json: 200, data: true},
		{name: "field error", post: postBody(map[string]any{"query": `{ currentCustomer { id } }`}), get: query(`{ currentCustomer { id } }`),
			json: 200, code: "UNAUTHENTICATED", data: true},
		{name: "parse error", post: postBody(map[string]any{"query": `{ authProviders(`}), get: query(`{ authProviders(`),
			json: 200, grj: 400, code: "GRAPHQL_PARSE_FAILED"},
		{name: "validation error", post: postBody(map[string]any{"query": `{ nope }`}), get: query(`{ nope }`),
			json: 200, grj: 400, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "unknown operation", post: postBody(map[string]any{"query": providers, "operationName": "Nope"}), get: query(providers, "operationName", "Nope"),
			json: 200, grj: 400, code: "GRAPHQL_VALIDATION_FAILED"},
		{name: "selections limit", post: postBody(map[string]any{"query": wide}), get: query(wide),
			json: 200, grj: 400, code: "LIMIT_EXCEEDED"},
		{name: "token limit", post: postBody(map[string]any{"query": long}), get: query(long),
			json: 200, grj: 400, code: "LIMIT_EXCEEDED"},
		{name: "depth limit", shallow: true, post: postBody(map[string]any{"query": deep}), get: query(deep),
			json: 200, grj: 400, code: "LIMIT_EXCEEDED"},
		{name: "bad variables", post: postBody(map[string]any{"query": badVar, "variables": map[string]any{"a": "ROBOT"}}), get: query(badVar, "variables", `{"a":"ROBOT"}`),
			json: 200, grj: 400, code: "BAD_USER_INPUT"},
		{name: "unknown persisted query", post: `{"extensions":` + unknownHash + `}`, get: url.Values{"extensions": {unknownHash}},
			json: 200, grj: 400, code: "PERSISTED_QUERY_NOT_FOUND"},
		{name: "variables not an object", post: `{"query":"` + providers + `","variables":[7]}`, get: query(providers, "variables", "[7]"),
			json: 400, code: "BAD_USER_INPUT"},
		{name: "no query", post: `{"qeury":"` + providers + `"}`, get: url.Values{"qeury": {providers}},
			json: 400, code: "BAD_USER_INPUT"},
		{name: "body not JSON", post: `{"query":`, json: 400, code: "BAD_USER_INPUT"},
		{name: "batch", post: `[{"query":"` + providers + `"}]`, json: 400, code: "BAD_USER_INPUT"},
		{name: "body too large", post: postBody(map[string]any{"query": providers, "variables": map[string]any{"pad": strings.Repeat("x", 70<<10)}}),
			json: 413, code: "LIMIT_EXCEEDED"},
		{name: "mutation over GET", get: query(`mutation { logout { revokedSessions } }`), json: 405, code: "BAD_USER_INPUT"},
		{name: "mutation over GET bad variables", get: query(`mutation($all: Boolean) { logout(input: {allSessions: $all}) { revokedSessions } }`, "variables", `{"all":"x"}`),
			json: 405, code: "BAD_USER_INPUT"},
		{name: "unsupported content type", post: providers, contentType: "application/graphql", json: 415, code: "BAD_USER_INPUT"},
		{name: "forgeable", forge: true, post: postBody(map[string]any{"query": providers}), get: query(providers), json: 400, code: "BAD_USER_INPUT"},
		{name: "unavailable", hold: true, bearer: "admin", post: postBody(map[string]any{"query": signIn}), get: query(dead),
			json: 200, grj: 503, code: "UNAVAILABLE", data: true},
		{name: "unavailable with data", hold: true, bearer: "customer", post: postBody(map[string]any{"query": currentQ}), get: query(currentQ),
			json: 200, code: "UNAVAILABLE", data: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				if (method == http.MethodPost && c.post == "") || (method == http.MethodGet && c.get == nil) {
					continue
				}
				for _, accept := range []string{"", mediaJSON, mediaGRJ} {
					name := map[string]string{"": "no-accept", mediaJSON: "json", mediaGRJ: "graphql-response"}[accept]
					t.Run(method+"_"+name, func(t *testing.T) {
						want, media := c.json, mediaJSON
						if accept == mediaGRJ {
							media = mediaGRJ
							if c.grj != 0 {
								want = c.grj
							}
						}
						h := s.a
						if c.shallow {
							h = s.shallow
						}
						if c.hold {
							tx, err := s.db.Bun().BeginTx(context.Background(), nil)
							if err != nil {
								t.Fatal(err)
							}
							defer tx.Rollback()
						}
						r := h.send(t, c.request(t, s, method, accept))
						if r.status != want {
							t.Errorf("status = %d, want %d: %s", r.status, want, r.raw)
						}
						if got := r.header.Get("Content-Type"); got != media+"; charset=utf-8" {
							t.Errorf("Content-Type = %q, want %s; charset=utf-8", got, media)
						}
						var body map[string]json.RawMessage
						_ = json.Unmarshal(r.raw, &body)
						if _, has := body["data"]; has != c.data {
							t.Errorf("data entry present = %v, want %v: %s", has, c.data, r.raw)
						}
						code := ""
						if len(r.Errors) > 0 {
							code, _ = r.Errors[0].Extensions["code"].(string)
						}
						if code != c.code {
							t.Errorf("code = %q, want %q: %s", code, c.code, r.raw)
						}
						if c.code == "UNAVAILABLE" && r.header.Get("Retry-After") == "" {
							t.Error("shed without Retry-After")
						}
						if method == http.MethodGet && want == http.StatusMethodNotAllowed && r.header.Get("Allow") != "POST" {
							t.Errorf("Allow = %q, want POST", r.header.Get("Allow"))
						}
					})
				}
			}
		})
	}
}

// TestAcceptNegotiation holds how the Accept header picks the response's
// media type, over POST and GET: q-values, specificity, order, wildcards,
// and 406 when it allows neither type.
func TestAcceptNegotiation(t *testing.T) {
	s := newSpecAPI(t)
	const q = `{ authProviders(actor: CUSTOMER) { id } }`
	for _, tc := range []struct {
		name, accept string
		want         string // "" for 406
	}{
		{"none", "", mediaJSON},
		{"json", "application/json", mediaJSON},
		{"graphql-response+json", "application/graphql-response+json", mediaGRJ},
		{"spec recommended", "application/graphql-response+json; charset=utf-8, application/json; charset=utf-8", mediaGRJ},
		{"json q=0.9", "application/graphql-response+json, application/json;q=0.9", mediaGRJ},
		{"tie order", "application/json, application/graphql-response+json", mediaJSON},
		{"q", "application/graphql-response+json;q=0.5, application/json", mediaJSON},
		{"q over order", "*/*;q=0.5, application/graphql-response+json", mediaGRJ},
		{"any", "*/*", mediaJSON},
		{"any application", "application/*", mediaJSON},
		{"exact over wildcard", "application/graphql-response+json, */*", mediaGRJ},
		{"q=0 then any", "application/graphql-response+json;q=0, */*", mediaJSON},
		{"exact q over wildcard", "application/json;q=0.5, */*", mediaGRJ},
		{"browser", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", mediaJSON},
		{"case", "Application/GraphQL-Response+JSON", mediaGRJ},
		{"neither", "text/html", ""},
		{"json q=0", "application/json;q=0", ""},
		{"unparseable", "garbage", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, method := range []string{http.MethodPost, http.MethodGet} {
				t.Run(method, func(t *testing.T) {
					c := specCase{post: postBody(map[string]any{"query": q}), get: url.Values{"query": {q}}}
					r := s.a.send(t, c.request(t, s, method, tc.accept))
					want, status := tc.want, http.StatusOK
					if want == "" {
						want, status = mediaJSON, http.StatusNotAcceptable
					}
					if r.status != status || r.header.Get("Content-Type") != want+"; charset=utf-8" {
						t.Fatalf("%d %s, want %d %s: %s", r.status, r.header.Get("Content-Type"), status, want, r.raw)
					}
					if status == http.StatusNotAcceptable && (len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "BAD_USER_INPUT") {
						t.Fatalf("406 without its error: %s", r.raw)
					}
					if method == http.MethodGet && !strings.Contains(strings.Join(r.header.Values("Vary"), ","), "Accept") {
						t.Errorf("GET answer does not vary on Accept: Vary = %q", r.header.Values("Vary"))
					}
				})
			}
		})
	}
	t.Run("foreign origin", func(t *testing.T) {
		// The browser guard's answer takes the negotiated type too.
		req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(postBody(map[string]any{"query": q}))))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Origin", "https://evil.example")
		req.Header.Set("Accept", mediaGRJ)
		r := s.a.send(t, req)
		if r.status != http.StatusForbidden || r.header.Get("Content-Type") != mediaGRJ+"; charset=utf-8" {
			t.Fatalf("%d %s: %s", r.status, r.header.Get("Content-Type"), r.raw)
		}
	})
}
