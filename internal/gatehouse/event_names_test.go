package gatehouse_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Every Event constant declared in the package (event.go and the files
// beside it) is in EventNames, and EventNames holds nothing else, once
// each: an event added without it could not be asked for by a webhook
// endpoint.
func TestEventNames(t *testing.T) {
	declared := map[string]string{} // name → constant
	files, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if !strings.HasSuffix(f.Name(), ".go") || strings.HasSuffix(f.Name(), "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f.Name(), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range file.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, spec := range g.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if !strings.HasPrefix(id.Name, "Event") || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						t.Errorf("%s: %s is not a string literal; list its name in EventNames and teach this test", fset.Position(id.Pos()), id.Name)
						continue
					}
					name, err := strconv.Unquote(lit.Value)
					if err != nil {
						t.Fatal(err)
					}
					declared[name] = id.Name
				}
			}
		}
	}
	if len(declared) < 20 {
		t.Fatalf("found only %d Event constants: the walk is broken", len(declared))
	}
	names := gatehouse.EventNames()
	for name, constant := range declared {
		if !slices.Contains(names, name) {
			t.Errorf("%s (%q) is missing from EventNames", constant, name)
		}
	}
	seen := map[string]bool{}
	for _, name := range names {
		if seen[name] {
			t.Errorf("%q is twice in EventNames", name)
		}
		seen[name] = true
		if _, ok := declared[name]; !ok {
			t.Errorf("EventNames lists %q, which no Event constant declares", name)
		}
	}
}
