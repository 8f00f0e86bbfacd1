package deploy_test

import (
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper-cased: FROM, RUN, COPY, ...
	args string
	line int
}

type stage struct {
	from string // the image
	name string // AS name, or ""
	ins  []instruction
}

func readDockerfile(t *testing.T) []stage {
	t.Helper()
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var ins []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(string(b), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if strings.HasSuffix(trimmed, `\`) {
			cur.WriteString(strings.TrimSuffix(trimmed, `\`) + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		ins = append(ins, instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args), line: start})
		cur.Reset()
	}
	var stages []stage
	for _, in := range ins {
		if in.cmd == "FROM" {
			f := strings.Fields(in.args)
			for len(f) > 0 && strings.HasPrefix(f[0], "--") {
				f = f[1:]
			}
			if len(f) == 0 {
				t.Fatalf("Dockerfile:%d: FROM without an image", in.line)
			}
			s := stage{from: f[0]}
			if len(f) == 3 && strings.EqualFold(f[1], "AS") {
				s.name = f[2]
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if in.cmd == "ARG" {
				continue
			}
			t.Fatalf("Dockerfile:%d: %s before FROM", in.line, in.cmd)
		}
		stages[len(stages)-1].ins = append(stages[len(stages)-1].ins, in)
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and a final one", len(stages))
	}
	return stages
}

// buildLine is the Dockerfile's `go build` command, its variables
// expanded with the test's values.
type buildLine struct {
	env    []string // NAME=value, from ENV and the command's assignments
	args   []string // after `go build`
	output string   // the -o path in the image
	xflags map[string]string
}

func parseBuildLine(t *testing.T, stages []stage) buildLine {
	t.Helper()
	vars := map[string]string{
		"VERSION": testVersion, "COMMIT": testCommit, "DATE": testDate,
		"TARGETOS": runtime.GOOS, "TARGETARCH": runtime.GOARCH,
	}
	var found []buildLine
	for _, s := range stages {
		var env []string
		for _, in := range s.ins {
			switch in.cmd {
			case "ENV":
				words, err := shellWords(in.args, vars)
				if err != nil {
					t.Fatalf("Dockerfile:%d: ENV: %v", in.line, err)
				}
				for _, w := range words {
					k, v, ok := strings.Cut(w, "=")
					if !ok {
						t.Fatalf("Dockerfile:%d: ENV %q: use the NAME=value form", in.line, in.args)
					}
					env = append(env, w)
					vars[k] = v
				}
			case "RUN":
				if !strings.Contains(in.args, "go build") {
					continue
				}
				words, err := shellWords(in.args, vars)
				if err != nil {
					t.Fatalf("Dockerfile:%d: RUN: %v", in.line, err)
				}
				// RUN's own flags (--mount=…) come before the command.
				for len(words) > 0 && strings.HasPrefix(words[0], "--") {
					words = words[1:]
				}
				bl := buildLine{env: slices.Clone(env), xflags: map[string]string{}}
				for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
					bl.env = append(bl.env, words[0])
					words = words[1:]
				}
				if len(words) < 2 || words[0] != "go" || words[1] != "build" {
					t.Fatalf("Dockerfile:%d: the go build RUN must be one command, `[NAME=value ...] go build ...`; got %q", in.line, words)
				}
				bl.args = words[2:]
				for i, a := range bl.args {
					switch {
					case a == "-o" && i+1 < len(bl.args):
						bl.output = bl.args[i+1]
					case a == "-ldflags" && i+1 < len(bl.args):
						f := strings.Fields(bl.args[i+1])
						for j := 0; j < len(f); j++ {
							if f[j] == "-X" && j+1 < len(f) {
								k, v, _ := strings.Cut(f[j+1], "=")
								bl.xflags[k] = v
								j++
							}
						}
					}
				}
				found = append(found, bl)
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("Dockerfile: %d RUN instructions hold `go build`, want 1", len(found))
	}
	return found[0]
}

// shellWords splits s as a POSIX shell would, for the subset a Dockerfile
// build line uses: quotes, backslashes and $NAME / ${NAME}. A variable
// not in vars is an error, so a new build argument cannot expand to
// nothing here unnoticed; so is any operator (&&, ;, |): the build line is
// one command.
func shellWords(s string, vars map[string]string) ([]string, error) {
	var words []string
	var w strings.Builder
	inWord := false
	expand := func(i int) (int, error) {
		j := i + 1
		var name string
		if j < len(s) && s[j] == '{' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return 0, errors.New("unterminated ${")
			}
			name, j = s[j+1:j+end], j+end+1
		} else {
			k := j
			for k < len(s) && (s[k] == '_' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= '0' && s[k] <= '9') {
				k++
			}
			name, j = s[j:k], k
		}
		v, ok := vars[name]
		if !ok {
			return 0, fmt.Errorf("$%s has no test value: add it to the test", name)
		}
		w.WriteString(v)
		return j, nil
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words, inWord = append(words, w.String()), false
				w.Reset()
			}
			i++
		case c == '&' || c == ';' || c == '|' || c == '`' || c == '(' || c == ')':
			return nil, fmt.Errorf("%q: keep the go build line one command, without shell operators", c)
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, errors.New("unterminated '")
			}
			w.WriteString(s[i+1 : i+1+end])
			inWord, i = true, i+end+2
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				switch {
				case s[i] == '\\' && i+1 < len(s):
					i++
					w.WriteByte(s[i])
				case s[i] == '$':
					j, err := expand(i)
					if err != nil {
						return nil, err
					}
					i = j - 1
				default:
					w.WriteByte(s[i])
				}
			}
			if i >= len(s) {
				return nil, errors.New(`unterminated "`)
			}
			inWord, i = true, i+1
		case c == '\\' && i+1 < len(s):
			w.WriteByte(s[i+1])
			inWord, i = true, i+2
		case c == '$':
			j, err := expand(i)
			if err != nil {
				return nil, err
			}
			inWord, i = true, j
		default:
			w.WriteByte(c)
			inWord, i = true, i+1
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words, nil
}

var build struct {
	sync.Mutex
	path string
}

// builtBinary builds the binary with the Dockerfile's exact `go build`
// line (its -o aside) once for the tests that need it.
func builtBinary(t *testing.T) string {
	t.Helper()
	build.Lock()
	defer build.Unlock()
	if build.path != "" {
		return build.path
	}
	bl := parseBuildLine(t, readDockerfile(t))
	out := filepath.Join(binDir, "gatehouse")
	args := slices.Clone(bl.args)
	for i := range args {
		if args[i] == "-o" {
			args[i+1] = out
		}
	}
	if bl.output == "" {
		t.Fatal("Dockerfile: the go build line has no -o")
	}
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = moduleRoot(t)
	// The image's build has no GOFLAGS; CI's (-race) would need cgo.
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "GOFLAGS=") }), bl.env...)
	began := time.Now()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s (env %s): %v\n%s", strings.Join(args, " "), strings.Join(bl.env, " "), err, b)
	}
	t.Logf("built with the Dockerfile's flags in %s: go build %s", time.Since(began).Round(time.Second), strings.Join(args, " "))
	build.path = out
	return out
}

// The binary builds with the Dockerfile's flags, static and stripped, and
// reports the version, commit and date the flags give it.
func TestDockerfileBuild(t *testing.T) {
	bl := parseBuildLine(t, readDockerfile(t))
	if !slices.Contains(bl.env, "CGO_ENABLED=0") {
		t.Errorf("the build line's environment %q lacks CGO_ENABLED=0: the final image has no C library", bl.env)
	}
	for _, want := range []string{"-trimpath", "./cmd/gatehouse"} {
		if !slices.Contains(bl.args, want) {
			t.Errorf("go build %q lacks %s", bl.args, want)
		}
	}
	// The linker ignores -X for a variable that does not exist: each must
	// name a string variable of package main.
	vars := mainStringVars(t)
	wantX := map[string]string{}
	for k, v := range bl.xflags {
		name, ok := strings.CutPrefix(k, "main.")
		if !ok || !vars[name] {
			t.Errorf("-X %s: cmd/gatehouse declares no package-level string variable %s; the linker would ignore it", k, name)
		}
		wantX[v] = k
	}
	for _, v := range []string{testVersion, testCommit, testDate} {
		if _, ok := wantX[v]; !ok {
			t.Errorf("no -X flag takes the build argument that is %q here (VERSION, COMMIT, DATE)", v)
		}
	}

	bin := builtBinary(t)
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("gatehouse version: %v\n%s", err, out)
	}
	for _, want := range []string{testVersion, testCommit[:12], testDate} {
		if !strings.Contains(string(out), want) {
			t.Errorf("gatehouse version = %q, want it to contain %q", out, want)
		}
	}

	if runtime.GOOS != "linux" {
		return
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is dynamically linked (%s): distroless/static has no loader", p.Type)
		}
	}
	if f.Section(".symtab") != nil {
		t.Error("the binary has a symbol table: -ldflags -s did not apply")
	}
}

// mainStringVars are the package-level string variables of cmd/gatehouse.
func mainStringVars(t *testing.T) map[string]bool {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "cmd", "gatehouse")
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, sp := range gd.Specs {
				vs := sp.(*ast.ValueSpec)
				if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "string" {
					continue
				}
				for _, n := range vs.Names {
					vars[n.Name] = true
				}
			}
		}
	}
	return vars
}

// The build stage's Go is go.mod's; the final stage is the static
// distroless image (or scratch) as a non-root user, runs nothing (it has
// no shell), starts the binary the build stage made by an exec-form entry
// point, listens on 0.0.0.0:8080 and exposes it.
func TestDockerfileStages(t *testing.T) {
	stages := readDockerfile(t)
	bl := parseBuildLine(t, stages)
	build, final := stages[0], stages[len(stages)-1]

	t.Run("go-version", func(t *testing.T) {
		want := goDirective(t)
		img, tag, _ := strings.Cut(build.from, ":")
		if img != "golang" || tag != want && !strings.HasPrefix(tag, want+"-") {
			t.Errorf("build stage FROM %s, want golang:%s (go.mod's go directive)", build.from, want)
		}
	})
	t.Run("final-image", func(t *testing.T) {
		if final.from != "gcr.io/distroless/static-debian12:nonroot" && final.from != "scratch" {
			t.Errorf("final stage FROM %s, want gcr.io/distroless/static-debian12:nonroot or scratch", final.from)
		}
	})
	t.Run("user", func(t *testing.T) {
		user := ""
		for _, in := range final.ins {
			if in.cmd == "USER" {
				user = in.args
			}
		}
		name, _, _ := strings.Cut(user, ":")
		if name == "" || name == "root" || name == "0" {
			t.Errorf("final stage USER %q, want a non-root user", user)
		}
		if _, err := strconv.Atoi(name); err != nil {
			t.Errorf("final stage USER %q: use a numeric UID, which Kubernetes' runAsNonRoot can verify", user)
		}
	})
	t.Run("no-shell", func(t *testing.T) {
		for _, in := range final.ins {
			switch in.cmd {
			case "RUN", "SHELL":
				t.Errorf("Dockerfile:%d: %s in the final stage, which has no shell", in.line, in.cmd)
			case "ENTRYPOINT", "CMD", "HEALTHCHECK":
				args := strings.TrimSpace(strings.TrimPrefix(in.args, "CMD"))
				var exec []string
				if err := json.Unmarshal([]byte(args), &exec); err != nil {
					t.Errorf("Dockerfile:%d: %s %s is not in exec form (a JSON array): it would need a shell", in.line, in.cmd, in.args)
				}
			}
		}
	})
	t.Run("entrypoint", func(t *testing.T) {
		var entry []string
		copied := map[string]string{} // destination: source, from the build stage
		for _, in := range final.ins {
			switch in.cmd {
			case "ENTRYPOINT":
				_ = json.Unmarshal([]byte(in.args), &entry)
			case "COPY":
				f := strings.Fields(in.args)
				from := ""
				for len(f) > 0 && strings.HasPrefix(f[0], "--") {
					if v, ok := strings.CutPrefix(f[0], "--from="); ok {
						from = v
					}
					f = f[1:]
				}
				if (from == build.name || from == "0") && len(f) == 2 {
					copied[f[1]] = f[0]
				}
			}
		}
		if len(entry) == 0 {
			t.Fatal("final stage has no ENTRYPOINT")
		}
		if src := copied[entry[0]]; src != bl.output {
			t.Errorf("ENTRYPOINT runs %s, copied from the build stage's %q; go build writes %s", entry[0], src, bl.output)
		}
	})
	t.Run("listen", func(t *testing.T) {
		env, exposed := map[string]string{}, []string{}
		for _, in := range final.ins {
			switch in.cmd {
			case "ENV":
				for _, w := range strings.Fields(in.args) {
					k, v, _ := strings.Cut(w, "=")
					env[k] = v
				}
			case "EXPOSE":
				exposed = append(exposed, strings.Fields(in.args)...)
			}
		}
		if env["GATEHOUSE_ADDR"] != "0.0.0.0:8080" {
			t.Errorf("final stage GATEHOUSE_ADDR=%q, want 0.0.0.0:8080 (the default, 127.0.0.1, is unreachable from outside the container)", env["GATEHOUSE_ADDR"])
		}
		if !slices.Contains(exposed, "8080") && !slices.Contains(exposed, "8080/tcp") {
			t.Errorf("final stage EXPOSE %q, want 8080", exposed)
		}
	})
}

func goDirective(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot(t), "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}
