package graph

import (
	"fmt"
	"strings"
)

// HostileDocuments are the costliest documents we know how to build: each
// repeats one construct that some validation rule handles pairwise or per
// use (overlapping fields compare every two fields of one response name;
// unique-name rules look names up). n is the number of copies. Exported
// for the benchmarks in package graph_test; FuzzCheckDocument seeds from
// them.
var HostileDocuments = []struct {
	Name string
	Doc  func(n int) string
}{
	{"same alias", func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " a:__typename@skip(if:%v)", i%2 == 0)
		}
		b.WriteString(" }")
		return b.String()
	}},
	{"same field", func(n int) string {
		return "{" + strings.Repeat(" __typename", n) + " }"
	}},
	{"same field with a selection", func(n int) string {
		return "{" + strings.Repeat(" authProviders(actor:CUSTOMER){id}", n) + " }"
	}},
	{"conflicting fields", func(n int) string {
		// Two of one response name with different arguments conflict:
		// validation reports each pair.
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			fmt.Fprintf(&b, " authProviders(actor:%s){id}", []string{"CUSTOMER", "USER"}[i%2])
		}
		b.WriteString(" }")
		return b.String()
	}},
	{"nested same fields", func(n int) string {
		// k copies of a field with k copies of a child: k² leaves.
		k := 1
		for (k+1)*(k+2) <= n {
			k++
		}
		inner := "{" + strings.Repeat(" id", k) + " }"
		return "{" + strings.Repeat(" authProviders(actor:CUSTOMER)"+inner, k) + " }"
	}},
	{"fragment spreads", func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n / 2 {
			fmt.Fprintf(&b, " ...F%d", i)
		}
		b.WriteString(" }")
		for i := range n / 2 {
			fmt.Fprintf(&b, " fragment F%d on Query { __typename }", i)
		}
		return b.String()
	}},
	{"directives", func(n int) string {
		return "{ __typename" + strings.Repeat(" @skip(if:false)", n) + " }"
	}},
	{"arguments", func(n int) string {
		return "{ authProviders(" + strings.Repeat("actor:CUSTOMER ", n) + "){ id } }"
	}},
	{"variables", func(n int) string {
		var b strings.Builder
		b.WriteString("query(")
		for i := range n {
			fmt.Fprintf(&b, "$v%d:Int ", i)
		}
		b.WriteString("){ __typename }")
		return b.String()
	}},
	{"operations", func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "query Q%d{ __typename } ", i)
		}
		return b.String()
	}},
}
