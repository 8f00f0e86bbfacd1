// Package deploy_test checks the deployment kit in deploy/ as far as a
// machine without a Docker engine, a cluster or systemd as init can: the
// binary builds with the Dockerfile's exact `go build` line, the image's
// stages hold to what the kit promises, the compose file and the
// manifests parse and are wired as documented, every GATEHOUSE_ variable
// they name is a setting, the Kubernetes pod's settings start the real
// binary in production mode and answer every probe on the port it names,
// and the systemd unit carries its hardening.
package deploy_test

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/keys"
)

// The -X values the Dockerfile's build line is given here, in place of
// its build arguments.
const (
	testVersion = "v0.0.0-deploytest"
	testCommit  = "0123456789abcdef0123456789abcdef01234567"
	testDate    = "2001-02-03T04:05:06Z"
)

// binDir holds the binary built with the Dockerfile's flags, shared by
// the tests that run it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gatehouse-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod above deploy/: %v", err)
	}
	return root
}

// yamlDocs decodes every document of a YAML file.
func yamlDocs(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, len(docs)+1, err)
		}
		docs = append(docs, &n)
	}
	if len(docs) == 0 {
		t.Fatalf("%s: no YAML document", path)
	}
	return docs
}

func manifestFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("kubernetes", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests in deploy/kubernetes: %v", err)
	}
	return files
}

// The compose file and every manifest parse as YAML, and every manifest
// document is a Kubernetes object.
func TestYAMLParses(t *testing.T) {
	files := append([]string{"compose.yaml"}, manifestFiles(t)...)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			for i, doc := range yamlDocs(t, path) {
				var obj struct {
					APIVersion string `yaml:"apiVersion"`
					Kind       string `yaml:"kind"`
					Services   map[string]any
				}
				if err := doc.Decode(&obj); err != nil {
					t.Fatalf("%s: document %d: %v", path, i+1, err)
				}
				switch {
				case path == "compose.yaml":
					if len(obj.Services) == 0 {
						t.Errorf("%s: no services", path)
					}
				case obj.APIVersion == "" || obj.Kind == "":
					t.Errorf("%s: document %d has no apiVersion or kind", path, i+1)
				}
			}
		})
	}
}

// setting is the value of name in env, or its default.
func setting(t *testing.T, env map[string]string, name string) string {
	t.Helper()
	if v, ok := env[name]; ok {
		return v
	}
	for _, s := range config.Settings() {
		if s.Name == name {
			return s.Default
		}
	}
	t.Fatalf("%s is not a setting", name)
	return ""
}

func mustDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	d, err := time.ParseDuration(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// loadProduction checks that config.Load accepts env, unknown variables
// included, with each _FILE under secretDir replaced by a file holding a
// stand-in value.
func loadProduction(t *testing.T, env map[string]string, secretDir string) {
	t.Helper()
	dir := t.TempDir()
	env = maps.Clone(env)
	for name, v := range env {
		if !strings.HasSuffix(name, "_FILE") || !strings.HasPrefix(v, secretDir) {
			continue
		}
		var content string
		switch name {
		case "GATEHOUSE_KEY_ENCRYPTION_KEY_FILE":
			content = newKEK(t)
		case "GATEHOUSE_DATABASE_URL_FILE":
			content = "postgres://gatehouse:stand-in@postgres:5432/gatehouse?sslmode=disable"
		default:
			t.Fatalf("%s: no stand-in value in this test: add one", name)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		env[name] = path
	}
	var environ []string
	for k, v := range env {
		environ = append(environ, k+"="+v)
	}
	cfg, err := config.Load(func(k string) string { return env[k] }, func() []string { return environ })
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Production() {
		t.Error("not in production mode")
	}
}

var varName = regexp.MustCompile(`\bGATEHOUSE_[A-Z0-9_]*[A-Z0-9]`)

// Every GATEHOUSE_ variable the kit and docs/operations.md name is a
// setting, or the _FILE form of a secret one: production refuses to start
// on any other, and a guide naming one misleads.
func TestVariablesKnown(t *testing.T) {
	known := map[string]bool{}
	for _, s := range config.Settings() {
		if strings.Contains(s.Name, "<") {
			continue // GATEHOUSE_PROVIDER_<ID>_…, a pattern
		}
		known[s.Name] = true
		if s.Secret {
			known[s.Name+"_FILE"] = true
		}
	}
	if !known["GATEHOUSE_ISSUER"] || !known["GATEHOUSE_KEY_ENCRYPTION_KEY_FILE"] {
		t.Fatalf("config.Settings lacks GATEHOUSE_ISSUER or a secret's _FILE form: %d settings", len(known))
	}
	var files []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(path, "_test.go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join("..", "docs", "operations.md"))
	for _, path := range files {
		t.Run(filepath.ToSlash(path), func(t *testing.T) {
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			for n := 1; sc.Scan(); n++ {
				for _, name := range varName.FindAllString(sc.Text(), -1) {
					if !known[name] && !strings.HasPrefix(name, "GATEHOUSE_PROVIDER_") && !strings.HasPrefix(name, "GATEHOUSE_TEST_") {
						t.Errorf("%s:%d: %s is not a setting, nor a secret setting's _FILE form", path, n, name)
					}
				}
			}
			if err := sc.Err(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// newKEK is a fresh key-encryption key, as `head -c 32 /dev/urandom |
// base64` makes one.
func newKEK(t *testing.T) string {
	t.Helper()
	k, err := keys.NewKEK(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
