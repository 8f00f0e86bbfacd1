package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound the work one operation may ask for. Zero means the default.
type Limits struct {
	// Depth is the deepest nesting of fields (default 12).
	Depth int
	// Aliases is how many aliased fields an operation may hold, counting
	// each use of a fragment (default 15).
	Aliases int
	// RootMutationFields is how many fields a mutation's top level may
	// hold (default 5): one request cannot become a batch of sign-ins.
	RootMutationFields int
	// Complexity is gqlgen's cost of the operation, one per field
	// (default 1000).
	Complexity int
	// ParserTokens bounds the lexer's work on a document (default 15000).
	ParserTokens int
}

// Limit names, as sent in extensions.limit.
const (
	limitDepth               = "depth"
	limitAliases             = "aliases"
	limitRootMutationFields  = "rootMutationFields"
	limitComplexity          = "complexity"
	limitParserTokens        = "parserTokens"
	limitBodyBytes           = "bodyBytes"
	limitCredentialMutations = "credentialMutations"
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.Depth, 12)
	def(&l.Aliases, 15)
	def(&l.RootMutationFields, 5)
	def(&l.Complexity, 1000)
	def(&l.ParserTokens, 15000)
	return l
}

// limitsExtension refuses an operation over a limit before any resolver
// runs.
type limitsExtension struct {
	limits Limits
	es     graphql.ExecutableSchema
}

var (
	_ graphql.HandlerExtension        = (*limitsExtension)(nil)
	_ graphql.OperationContextMutator = (*limitsExtension)(nil)
)

func (*limitsExtension) ExtensionName() string { return "Limits" }

func (x *limitsExtension) Validate(es graphql.ExecutableSchema) error {
	x.es = es
	return nil
}

func (x *limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	w := shapeWalker{fragments: oc.Doc.Fragments}
	w.walk(op.SelectionSet, 1, map[string]bool{})
	if op.Operation == ast.Mutation {
		names := rootFields(op.SelectionSet, oc.Doc.Fragments, map[string]bool{})
		if n := len(names); n > x.limits.RootMutationFields {
			return limitError(limitRootMutationFields, x.limits.RootMutationFields,
				fmt.Sprintf("The operation holds %d mutations; at most %d may be sent in one request.", n, x.limits.RootMutationFields))
		}
		if n := credentialFields(names); n > 1 {
			return limitError(limitCredentialMutations, 1,
				fmt.Sprintf("The operation holds %d sign-in, registration or password mutations; send one per request.", n))
		}
	}
	if w.depth > x.limits.Depth {
		return limitError(limitDepth, x.limits.Depth,
			fmt.Sprintf("The operation nests fields %d deep; the limit is %d.", w.depth, x.limits.Depth))
	}
	if w.aliases > x.limits.Aliases {
		return limitError(limitAliases, x.limits.Aliases,
			fmt.Sprintf("The operation holds %d aliased fields; the limit is %d.", w.aliases, x.limits.Aliases))
	}
	if c := complexity.Calculate(ctx, x.es, op, oc.Variables); c > x.limits.Complexity {
		return limitError(limitComplexity, x.limits.Complexity,
			fmt.Sprintf("The operation has complexity %d; the limit is %d.", c, x.limits.Complexity))
	}
	return nil
}

func limitError(limit string, maxValue int, msg string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    msg,
		Extensions: map[string]any{"code": codeLimitExceeded, "limit": limit, "max": maxValue},
	}
}

// shapeWalker measures an operation's depth and counts its aliases,
// following fragment spreads (validation has already refused cycles; the
// path set guards anyway).
type shapeWalker struct {
	fragments ast.FragmentDefinitionList
	depth     int
	aliases   int
}

func (w *shapeWalker) walk(set ast.SelectionSet, depth int, path map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				w.aliases++
			}
			w.depth = max(w.depth, depth)
			if strings.HasPrefix(s.Name, "__") {
				// Introspection nests deep by design (a type's ofType
				// chain); it has its own switch and bounded shape.
				continue
			}
			w.walk(s.SelectionSet, depth+1, path)
		case *ast.InlineFragment:
			w.walk(s.SelectionSet, depth, path)
		case *ast.FragmentSpread:
			f := w.fragments.ForName(s.Name)
			if f == nil || path[s.Name] {
				continue
			}
			path[s.Name] = true
			w.walk(f.SelectionSet, depth, path)
			delete(path, s.Name)
		}
	}
}

// rootFields lists the names of the fields a selection set selects at its
// own level, through fragments, once per use (aliases apart).
func rootFields(set ast.SelectionSet, fragments ast.FragmentDefinitionList, path map[string]bool) []string {
	var names []string
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name != "__typename" {
				names = append(names, s.Name)
			}
		case *ast.InlineFragment:
			names = append(names, rootFields(s.SelectionSet, fragments, path)...)
		case *ast.FragmentSpread:
			f := fragments.ForName(s.Name)
			if f == nil || path[s.Name] {
				continue
			}
			path[s.Name] = true
			names = append(names, rootFields(f.SelectionSet, fragments, path)...)
			delete(path, s.Name)
		}
	}
	return names
}
