package graph_test

import (
	"bytes"
	"encoding/json"
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

// TestDocumentLimits holds the bounds counted before validation: most
// refusals here are of documents that validation would also refuse (an
// unknown field, unused variables, repeated directives), so seeing
// LIMIT_EXCEEDED instead proves the bound ran first, before the work it
// guards against.
func TestDocumentLimits(t *testing.T) {
	// SQLite only: limits refuse a document before any statement runs.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPIWith(t, db, func(o *graph.HandlerOptions) {
		o.Limits = graph.Limits{Aliases: 3, Selections: 20, Directives: 4, Variables: 3}
	})
	fragments := func(n int) string {
		// One operation and n fragments in a chain: validation walks
		// each fragment with everything it reaches, n²/2 in all.
		var b strings.Builder
		b.WriteString("{ ...F0 }")
		for i := range n {
			fmt.Fprintf(&b, " fragment F%d on Query { __typename", i)
			if i+1 < n {
				fmt.Fprintf(&b, " ...F%d", i+1)
			}
			b.WriteString(" }")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name      string
		query     string
		wantLimit string // "" when the document must reach validation
	}{
		{"selections at the limit", "{" + strings.Repeat(" nope", 20) + " }", ""},
		{"too many selections", "{" + strings.Repeat(" nope", 21) + " }", "selections"},
		{"nested selections", "{" + strings.Repeat(" nope { nope }", 11) + " }", "selections"},
		{"fragments counted per use", fragments(4), "selections"},
		{"fragments within the limit", fragments(3), ""},
		{"aliases in the document", "{" + strings.Repeat(" a: nope", 4) + " }", "aliases"},
		{"aliases across operations", "query A { a: nope b: nope } query B { c: nope d: nope }", "aliases"},
		{"too many directives", "{ __typename" + strings.Repeat(" @skip(if: false)", 5) + " }", "directives"},
		{"too many variables", "query($a: Int, $b: Int, $c: Int, $d: Int) { __typename }", "variables"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.do(t, "", tc.query, nil)
			if tc.wantLimit == "" {
				// Validated, then run or refused by validation.
				if len(r.Errors) == 0 && string(r.Data) == `{"__typename":"Query"}` {
					return
				}
				if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("answer %s, want the document validated", r.raw)
				}
				return
			}
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", r.raw)
			}
			e := r.Errors[0]
			if len(r.Errors) != 1 || e.Extensions["code"] != "LIMIT_EXCEEDED" || e.Extensions["limit"] != tc.wantLimit {
				t.Fatalf("errors = %+v, want one LIMIT_EXCEEDED for %s", r.Errors, tc.wantLimit)
			}
		})
	}

	t.Run("syntax error", func(t *testing.T) {
		e := a.do(t, "", "{ a(", nil).topLevel(t)
		if e.Extensions["code"] != "GRAPHQL_PARSE_FAILED" {
			t.Fatalf("error = %+v", e)
		}
	})
}

// TestErrorsAreCapped: validation reports every conflicting pair of
// fields; the answer lists at most 20 errors and counts the rest.
func TestErrorsAreCapped(t *testing.T) {
	// SQLite only: validation runs before any statement.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	a := newAPI(t, db)
	var b strings.Builder
	b.WriteString("{")
	for i := range 20 {
		fmt.Fprintf(&b, " authProviders(actor: %s) { id }", []string{"CUSTOMER", "USER"}[i%2])
	}
	b.WriteString(" }")
	var body struct {
		Errors     []gqlError     `json:"errors"`
		Extensions map[string]any `json:"extensions"`
	}
	r := a.do(t, "", b.String(), nil)
	if err := json.Unmarshal(r.raw, &body); err != nil {
		t.Fatal(err)
	}
	// 10 × 10 conflicting pairs.
	if len(body.Errors) != 20 || body.Extensions["errorsOmitted"] != float64(80) {
		t.Fatalf("%d errors, extensions %v", len(body.Errors), body.Extensions)
	}
}

// TestNoSuggestionsWithoutIntrospection: with introspection off, a
// misspelt field, argument, input field or enum value is refused without
// naming what it might have been, and __schema and __type are refused as
// a validation error, not an internal one.
func TestNoSuggestionsWithoutIntrospection(t *testing.T) {
	// SQLite only: validation runs before any statement.
	db := storetest.MustOpen(t, storetest.SQLite(t))
	for _, tc := range []struct {
		name          string
		introspection bool
		wantHint      bool
	}{
		{"introspection on", true, true},
		{"introspection off", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAPIWith(t, db, func(o *graph.HandlerOptions) { o.Introspection = tc.introspection })
			for _, q := range []string{
				`{ currentCustomr { id } }`,
				`{ currentCustomer }`,
				`{ authProviders(actor: CUSTOMER, actr: CUSTOMER) { id } }`,
				`{ authProviders(actor: CUSTOMR) { id } }`,
				`mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {emial: "x"}) { location } }`,
			} {
				r := a.do(t, "", q, nil)
				e := r.topLevel(t)
				if e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("%s: %+v", q, e)
				}
				if hint := strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, "currentCustomer {"); hint != tc.wantHint {
					t.Errorf("%s: %q, want a hint: %v", q, e.Message, tc.wantHint)
				}
			}
			for _, q := range []string{`{ __schema { types { name } } }`, `{ __type(name: "Customer") { name } }`, `{ ...I } fragment I on Query { __schema { queryType { name } } }`} {
				r := a.do(t, "", q, nil)
				if tc.introspection {
					if len(r.Errors) > 0 {
						t.Errorf("%s: %s", q, r.raw)
					}
					continue
				}
				if e := r.topLevel(t); e.Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(e.Message, "Introspection is turned off") {
					t.Errorf("%s: %+v, want introspection refused", q, e)
				}
			}
		})
	}
}
