// Package docs holds the project's documents; its test keeps
// docs/security.md honest.
package docs_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// testRef is a test named in a document: a _test.go file from the module
// root and a Test, Fuzz or Benchmark function in it.
var testRef = regexp.MustCompile("`([A-Za-z0-9_./-]+_test\\.go):((?:Test|Fuzz|Benchmark)[A-Za-z0-9_]*)`")

// TestSecurityDocument fails when docs/security.md names a test that does
// not exist, or when a row of its requirement tables neither names a test
// nor says why none applies, so the mapping of requirements to tests
// cannot drift from the suite.
func TestSecurityDocument(t *testing.T) {
	doc, err := os.ReadFile("security.md")
	if err != nil {
		t.Fatal(err)
	}
	refs := testRef.FindAllStringSubmatch(string(doc), -1)
	if len(refs) < 50 {
		t.Fatalf("only %d tests named; the pattern or the document is broken", len(refs))
	}
	sources := map[string]string{}
	seen := map[string]bool{}
	for _, m := range refs {
		file, name := m[1], m[2]
		if seen[m[0]] {
			continue
		}
		seen[m[0]] = true
		t.Run(file+":"+name, func(t *testing.T) {
			src, ok := sources[file]
			if !ok {
				b, err := os.ReadFile(filepath.Join("..", filepath.FromSlash(file)))
				if err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				src = string(b)
				sources[file] = src
			}
			if !regexp.MustCompile(`(?m)^func ` + name + `\(`).MatchString(src) {
				t.Fatalf("%s has no func %s", file, name)
			}
		})
	}

	// Every requirement row is answered.
	t.Run("every row answered", func(t *testing.T) {
		status := regexp.MustCompile(`\| (holds|holds in part|holds \([^)]*\)|by design|n/a|planned) \|`)
		for i, line := range strings.Split(string(doc), "\n") {
			if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| #") || strings.HasPrefix(line, "| Rule") ||
				strings.HasPrefix(line, "| document") || strings.HasPrefix(line, "|---") {
				continue
			}
			if strings.Contains(line, "ms |") || strings.Contains(line, "—") && !status.MatchString(line) {
				continue // the benchmark table
			}
			m := status.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("line %d has no status: %s", i+1, line)
				continue
			}
			if strings.HasPrefix(m[1], "holds") && !testRef.MatchString(line) && !strings.Contains(line, "nothing to test") && !strings.Contains(line, "None in the schema") {
				t.Errorf("line %d says it holds but names no test: %s", i+1, line)
			}
		}
	})
}
