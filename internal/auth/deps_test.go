package auth_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The use-case package and the domain package depend the right way: the
// service never links a database, Redis, YAML or GraphQL, and the domain
// only the standard library (but net/http), x/text, x/net/idna and the id
// library. Adding such a dependency fails here, in CI, before review.
func TestPackageDependencies(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command to list dependencies with")
	}
	for _, tc := range []struct {
		pkg string
		// bad says whether a dependency is forbidden.
		bad func(dep string, std bool) bool
	}{
		{"github.com/gatehouse/gatehouse/internal/auth", func(dep string, std bool) bool {
			for _, p := range []string{"github.com/uptrace/bun", "github.com/lib/pq", "modernc.org/sqlite", "github.com/redis/", "gopkg.in/yaml", "go.yaml.in/", "github.com/99designs/gqlgen", "github.com/vektah/gqlparser"} {
				if strings.HasPrefix(dep, p) {
					return true
				}
			}
			return false
		}},
		{"github.com/gatehouse/gatehouse/internal/gatehouse", func(dep string, std bool) bool {
			switch {
			case std:
				return dep == "net/http" || strings.HasPrefix(dep, "net/http/")
			case strings.HasPrefix(dep, "golang.org/x/text/"), dep == "golang.org/x/net/idna", strings.HasPrefix(dep, "github.com/oklog/ulid"),
				strings.HasPrefix(dep, "github.com/gatehouse/gatehouse/internal/gatehouse"):
				return false
			}
			return true
		}},
	} {
		t.Run(tc.pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", tc.pkg).Output()
			if err != nil {
				t.Fatalf("go list: %v", err)
			}
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				dep, std, _ := strings.Cut(line, " ")
				n++
				if tc.bad(dep, std == "true") {
					t.Errorf("%s depends on %s", tc.pkg, dep)
				}
			}
			if n < 2 {
				t.Fatalf("go list listed %d packages", n)
			}
		})
	}
}
