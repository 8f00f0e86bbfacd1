package graph_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/server"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// introspectionQuery is the query GraphiQL sends to draw its docs pane:
// deep by design, and it must pass the depth limit.
const introspectionQuery = `query IntrospectionQuery { __schema { queryType { name } mutationType { name }
  types { ...FullType } directives { name description locations args { ...InputValue } } } }
fragment FullType on __Type { kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason } possibleTypes { ...TypeRef } }
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }`

func TestOperationLimits(t *testing.T) {
	// SQLite only: limits refuse an operation before any statement runs.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
		o.Limits = graph.Limits{Depth: 2, Aliases: 3, RootMutationFields: 2, Complexity: 25, ParserTokens: 400}
	}, func(o *server.Options) { o.MaxBodyBytes = 4096 })

	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " p%d: authProviders(actor: CUSTOMER) { id }", i)
		}
		b.WriteString(" }")
		return b.String()
	}
	signIns := func(n int) string {
		var b strings.Builder
		b.WriteString("mutation {")
		for i := range n {
			fmt.Fprintf(&b, ` a%d: logout { revokedSessions }`, i)
		}
		b.WriteString(" }")
		return b.String()
	}
	for _, tc := range []struct {
		name      string
		query     string
		wantLimit string // "" when the operation must pass the limits
	}{
		{"shallow query", `{ authProviders(actor: CUSTOMER) { id kind } }`, ""},
		{"introspection is exempt from depth", introspectionQuery, ""},
		{"too deep", `{ currentCustomer { addresses { id } } }`, "depth"},
		{"too deep through a fragment", `{ currentCustomer { ...C } } fragment C on Customer { addresses { id } }`, "depth"},
		{"aliases at the limit", aliases(3), ""},
		{"too many aliases", aliases(4), "aliases"},
		{"aliases counted per fragment use", `{ a: authProviders(actor: CUSTOMER) { ...P } b: authProviders(actor: USER) { ...P } } fragment P on AuthProvider { x: id y: kind }`, "aliases"},
		{"mutation fields at the limit", signIns(2), ""},
		{"too many mutation fields", signIns(3), "rootMutationFields"},
		{"too complex", `{ currentCustomer { id email emailAddress firstName lastName companyName companyOrOrganization phone hasAccount
			defaultBillingAddressId defaultShippingAddressId metadata createdAt updatedAt deletedAt acceptsMarketing accountType
			externalId hasExternalPassword isActive isAnonymous isLocked localeCode taxExempt taxId userName } }`, "complexity"},
		{"too many tokens", `{ authProviders(actor: CUSTOMER) { ` + strings.Repeat("id ", 400) + `} }`, "parserTokens"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(t, "", tc.query, nil)
			if tc.wantLimit == "" {
				// Within the limits: it runs. A resolver may still
				// refuse (these mutations need a token, and their null
				// nulls the data), but every error must come from a
				// field that ran (it has a path), never from parsing,
				// validation or a limit.
				if len(r.Errors) == 0 && (len(r.Data) == 0 || string(r.Data) == "null") {
					t.Fatalf("no data and no error: %s", r.raw)
				}
				for _, e := range r.Errors {
					switch e.Extensions["code"] {
					case "LIMIT_EXCEEDED", "GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT":
						t.Fatalf("refused: %s", r.raw)
					}
					if len(e.Path) == 0 {
						t.Fatalf("an error of the whole operation: %s", r.raw)
					}
				}
				return
			}
			e := r.topLevel(t)
			if e.Extensions["code"] != "LIMIT_EXCEEDED" || e.Extensions["limit"] != tc.wantLimit || e.Extensions["max"] == nil {
				t.Fatalf("error = %+v, want LIMIT_EXCEEDED for %s", e, tc.wantLimit)
			}
			if string(r.Data) != "null" && len(r.Data) != 0 {
				t.Errorf("data = %s, want none: nothing may run", r.Data)
			}
		})
	}

	t.Run("body too large", func(t *testing.T) {
		for _, tc := range []struct {
			name          string
			contentLength bool
		}{{"declared", true}, {"chunked", false}} {
			t.Run(tc.name, func(t *testing.T) {
				body := `{"query":"{ authProviders(actor: CUSTOMER) { id } }","variables":{"pad":"` + strings.Repeat("x", 5000) + `"}}`
				req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader([]byte(body)))
				req.Header.Set("Content-Type", "application/json")
				if !tc.contentLength {
					req.ContentLength = -1
				}
				r := a.send(t, req)
				e := r.topLevel(t)
				if r.status != http.StatusRequestEntityTooLarge || e.Extensions["code"] != "LIMIT_EXCEEDED" || e.Extensions["limit"] != "bodyBytes" {
					t.Fatalf("status %d, error %+v", r.status, e)
				}
			})
		}
	})
}
