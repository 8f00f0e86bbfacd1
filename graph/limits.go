package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
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
	// Selections is how many fields, fragment spreads and inline
	// fragments a whole document may hold, counted as written, before it
	// is validated (default 200; GraphiQL's introspection query counts
	// about 175), counting a fragment again for each operation or fragment
	// that uses it, as validation walks it: validation compares fields
	// pairwise, so its cost grows with the square of this.
	Selections int
	// Directives and Variables bound a whole document's directives and
	// variable definitions, counted with the selections (default 50 each):
	// validation's unique-name rules cost more than linear in them.
	Directives int
	Variables  int
}

// Limit names, as sent in extensions.limit.
const (
	limitDepth               = "depth"
	limitAliases             = "aliases"
	limitRootMutationFields  = "rootMutationFields"
	limitComplexity          = "complexity"
	limitParserTokens        = "parserTokens"
	limitSelections          = "selections"
	limitDirectives          = "directives"
	limitVariables           = "variables"
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
	def(&l.Selections, 200)
	def(&l.Directives, 50)
	def(&l.Variables, 50)
	return l
}

// limitsExtension refuses an operation over a limit before any resolver
// runs.
type limitsExtension struct {
	limits Limits
	es     graphql.ExecutableSchema
	// validated is gqlgen's cache of parsed and validated documents.
	validated graphql.Cache[*ast.QueryDocument]
	// introspection is on: the schema may be asked about and named in
	// error messages. Off, __schema and __type are refused and the
	// "Did you mean …" of every validation message is cut.
	introspection bool
}

var (
	_ graphql.HandlerExtension          = (*limitsExtension)(nil)
	_ graphql.OperationParameterMutator = (*limitsExtension)(nil)
	_ graphql.OperationContextMutator   = (*limitsExtension)(nil)
	_ graphql.ResponseInterceptor       = (*limitsExtension)(nil)
)

// maxErrors is the most errors one answer lists. Validation reports each
// conflicting pair of fields, so a 3 kB document could otherwise be
// answered with megabytes; the rest are counted in extensions.errorsOmitted.
const maxErrors = 20

// InterceptResponse trims an answer's errors to maxErrors and, with
// introspection off, cuts schema suggestions from their messages: gqlgen
// can turn off those of unknown fields, but unknown arguments, input
// fields and enum values still suggest the names they are near.
func (x *limitsExtension) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil {
		return resp
	}
	if !x.introspection {
		for _, e := range resp.Errors {
			if i := strings.Index(e.Message, " Did you mean "); i >= 0 {
				e.Message = e.Message[:i]
			}
		}
	}
	if len(resp.Errors) <= maxErrors {
		return resp
	}
	if resp.Extensions == nil {
		resp.Extensions = map[string]any{}
	}
	resp.Extensions["errorsOmitted"] = len(resp.Errors) - maxErrors
	resp.Errors = resp.Errors[:maxErrors]
	return resp
}

func (*limitsExtension) ExtensionName() string { return "Limits" }

func (x *limitsExtension) Validate(es graphql.ExecutableSchema) error {
	x.es = es
	return nil
}

// MutateOperationParameters bounds a document before gqlgen validates it.
// Parsing is linear in the document (and capped at ParserTokens), but
// validation is not: the overlapping-fields rule compares every two fields
// that share a response name, so 4,500 copies of one field under the body
// limit cost seconds. This parses the document once more, counts its
// selections and aliases as written, and refuses it over a limit, at a
// cost linear in its size. Documents gqlgen has already validated (they
// are in its query cache) are not counted again.
func (x *limitsExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		return nil
	}
	if x.validated != nil {
		if _, ok := x.validated.Get(ctx, p.Query); ok {
			return nil
		}
	}
	_, err := x.limits.checkDocument(p.Query)
	return err
}

// checkDocument parses query and counts its selections the way validation
// walks them: each operation and each fragment with every fragment it
// reaches (validation walks them along, once per walk), stopping at the
// first limit passed. It returns the nodes it
// visited, the work FuzzCheckDocument bounds, and the error gqlgen's own
// parse would give for a document that does not parse.
func (l Limits) checkDocument(query string) (int, *gqlerror.Error) {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.ParserTokens)
	if err != nil {
		// Answered here as gqlgen would answer it, so that a document
		// is never parsed twice only to fail twice.
		var gerr *gqlerror.Error
		if !errors.As(err, &gerr) {
			gerr = gqlerror.Wrap(err)
		}
		errcode.Set(gerr, errcode.ParseFailed)
		return 0, gerr
	}
	c := documentCounter{limits: l, fragments: map[string]*fragmentCount{}}
	for _, f := range doc.Fragments {
		if c.over() {
			break
		}
		if _, dup := c.fragments[f.Name]; dup {
			continue // validation refuses the document
		}
		c.directives += len(f.Directives)
		fc := &fragmentCount{}
		c.fragments[f.Name] = fc
		c.count(f.SelectionSet, fc)
		c.selections += fc.selections
	}
	for _, op := range doc.Operations {
		if c.over() {
			break
		}
		c.variables += len(op.VariableDefinitions)
		c.directives += len(op.Directives)
		own := &fragmentCount{}
		c.count(op.SelectionSet, own)
		c.selections += own.selections
		c.reach(own.spreads, map[string]bool{})
	}
	for _, f := range doc.Fragments {
		if c.over() {
			break
		}
		if fc := c.fragments[f.Name]; fc != nil {
			c.reach(fc.spreads, map[string]bool{})
		}
	}
	switch {
	case c.selections > l.Selections:
		return c.visited, limitError(limitSelections, l.Selections,
			fmt.Sprintf("The document holds more than %d fields and fragments (counting a fragment again for each operation or fragment that uses it); the limit is %d.", l.Selections, l.Selections))
	case c.aliases > l.Aliases:
		return c.visited, limitError(limitAliases, l.Aliases,
			fmt.Sprintf("The document holds more than %d aliased fields; the limit is %d.", l.Aliases, l.Aliases))
	case c.directives > l.Directives:
		return c.visited, limitError(limitDirectives, l.Directives,
			fmt.Sprintf("The document holds more than %d directives; the limit is %d.", l.Directives, l.Directives))
	case c.variables > l.Variables:
		return c.visited, limitError(limitVariables, l.Variables,
			fmt.Sprintf("The document declares more than %d variables; the limit is %d.", l.Variables, l.Variables))
	}
	return c.visited, nil
}

// documentCounter counts a document's selections and aliases, each node
// visited once, and stops once a count passes its limit.
type documentCounter struct {
	limits     Limits
	fragments  map[string]*fragmentCount
	selections int
	aliases    int
	directives int
	variables  int
	visited    int
}

// fragmentCount is what one fragment (or operation) holds as written: its
// selections and the fragments it spreads.
type fragmentCount struct {
	selections int
	spreads    []string
}

func (c *documentCounter) over() bool {
	return c.selections > c.limits.Selections || c.aliases > c.limits.Aliases ||
		c.directives > c.limits.Directives || c.variables > c.limits.Variables
}

func (c *documentCounter) count(set ast.SelectionSet, into *fragmentCount) {
	for _, sel := range set {
		if into.selections+c.selections > c.limits.Selections || c.over() {
			return
		}
		c.visited++
		into.selections++
		switch s := sel.(type) {
		case *ast.Field:
			if s.Alias != "" && s.Alias != s.Name {
				c.aliases++
			}
			c.directives += len(s.Directives)
			c.count(s.SelectionSet, into)
		case *ast.InlineFragment:
			c.directives += len(s.Directives)
			c.count(s.SelectionSet, into)
		case *ast.FragmentSpread:
			c.directives += len(s.Directives)
			into.spreads = append(into.spreads, s.Name)
		}
	}
}

// reach adds the selections of every fragment an operation reaches, each
// once, as validation walks them with the operation. Every fragment adds
// at least one selection, so the walk ends by the limit.
func (c *documentCounter) reach(spreads []string, seen map[string]bool) {
	for _, name := range spreads {
		f := c.fragments[name]
		if f == nil || seen[name] || c.over() {
			continue
		}
		seen[name] = true
		c.visited++
		c.selections += max(f.selections, 1)
		c.reach(f.spreads, seen)
	}
}

func (x *limitsExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	w := shapeWalker{fragments: oc.Doc.Fragments}
	w.walk(op.SelectionSet, 1, map[string]bool{})
	if !x.introspection && op.Operation == ast.Query {
		for _, name := range rootFields(op.SelectionSet, oc.Doc.Fragments, map[string]bool{}) {
			if name == "__schema" || name == "__type" {
				err := gqlerror.Errorf("Introspection is turned off on this server.")
				errcode.Set(err, errcode.ValidationFailed)
				return err
			}
		}
	}
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
