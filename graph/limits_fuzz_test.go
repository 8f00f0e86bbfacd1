package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// FuzzCheckDocument holds checkDocument to its promise on any document
// under the body limit: its own work is bounded by the limits, not by the
// document (it stops at the first limit passed), and a document it lets
// through holds at most Limits.Selections fields, counted independently
// by gqlparser's validation walker, so that validation's pairwise work is
// bounded by their square.
func FuzzCheckDocument(f *testing.F) {
	for _, h := range HostileDocuments {
		for _, n := range []int{3, 40, 400} {
			f.Add(h.Doc(n))
		}
	}
	f.Add(`{ currentCustomer { id addresses { id } } }`)
	f.Add(`query Q($a: Int) { ...F } fragment F on Query { x: __typename ... on Query { __typename } }`)
	l := Limits{Aliases: 15, Selections: 50}.withDefaults()
	const maxBody = 64 << 10
	f.Fuzz(func(t *testing.T, query string) {
		if len(query) > maxBody {
			return
		}
		visited, lerr := l.checkDocument(query)
		if visited > 2*(l.Selections+1) {
			t.Fatalf("visited %d nodes; the walk must stop by %d", visited, 2*(l.Selections+1))
		}
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.ParserTokens)
		if err != nil {
			if lerr == nil || lerr.Extensions["code"] != "GRAPHQL_PARSE_FAILED" {
				t.Fatalf("a document that does not parse answered %v", lerr)
			}
			return
		}
		if lerr != nil {
			if lerr.Extensions["code"] != codeLimitExceeded {
				t.Fatalf("refused with %v", lerr.Extensions)
			}
			return
		}
		// gqlparser's walker, as validation runs it: fragments on their
		// own and again with each operation that reaches them.
		walked := 0
		var obs validator.Events
		obs.OnField(func(*validator.Walker, *ast.Field) { walked++ })
		obs.OnInlineFragment(func(*validator.Walker, *ast.InlineFragment) { walked++ })
		obs.OnFragmentSpread(func(*validator.Walker, *ast.FragmentSpread) { walked++ })
		validator.Walk(&ast.Schema{}, doc, &obs)
		if walked > l.Selections {
			t.Fatalf("let through a document validation walks %d selections of; the limit is %d", walked, l.Selections)
		}
	})
}
