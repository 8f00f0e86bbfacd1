package main

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/migrations"
)

// eachDatabase runs fn as a subtest per backend with the URL of a fresh,
// empty database.
func eachDatabase(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{{"sqlite", storetest.SQLite}, {"postgres", storetest.Postgres}} {
		t.Run("database="+d.name, func(t *testing.T) { fn(t, d.url(t)) })
	}
}

// terminalInput is stdin at a terminal: a character device that reads the
// answer typed.
type terminalInput struct{ *strings.Reader }

func (terminalInput) Stat() (fs.FileInfo, error) { return charDevice{}, nil }

type charDevice struct{ fs.FileInfo }

func (charDevice) Mode() fs.FileMode { return fs.ModeDevice | fs.ModeCharDevice | 0o620 }

// runCommand runs one command of the binary in process.
func runCommand(t *testing.T, getenv func(string) string, stdin io.Reader, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = runEnv(context.Background(), env{getenv: getenv, stdin: stdin, stdout: &out, stderr: &errOut}, args)
	return out.String(), errOut.String(), err
}

// pendingOn reads the pending migrations of the database at url.
func pendingOn(t *testing.T, url string) []string {
	t.Helper()
	db, err := store.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	pending, err := db.Pending(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return pending
}

// `migrate down` rolls back one migration, the last, and only once
// confirmed: by --yes, or by "y" at a terminal. Unconfirmed, it exits 2
// and changes nothing.
func TestMigrateDown(t *testing.T) {
	for _, tc := range []struct {
		name       string
		migrated   bool
		stdin      string // "terminal", "file" (a regular file), or a reader
		input      string // what stdin reads
		args       []string
		code       int    // the exit status; 0 for success
		rolledBack bool   // whether the last migration is pending after
		stdout     string // in stdout
		stderr     string // in stderr, or in the error
	}{
		{"unconfirmed", true, "", "", []string{"down"}, 2, false, "", "confirm with --yes"},
		{"answer without a terminal", true, "", "y\n", []string{"down"}, 2, false, "", "confirm with --yes"},
		{"answer in a file", true, "file", "y\n", []string{"down"}, 2, false, "", "confirm with --yes"},
		{"declined", true, "terminal", "n\n", []string{"down"}, 2, false, "", "Roll back " + newestMigration(t) + "? [y/N] "},
		{"no answer", true, "terminal", "", []string{"down"}, 2, false, "", "not rolled back"},
		{"confirmed", true, "terminal", "y\n", []string{"down"}, 0, true, "rolled back " + newestMigration(t), "Roll back " + newestMigration(t) + "? [y/N] "},
		{"yes", true, "", "", []string{"down", "--yes"}, 0, true, "rolled back " + newestMigration(t), ""},
		{"yes before the verb", true, "", "", []string{"--yes", "down"}, 0, true, "rolled back", ""},
		{"nothing applied", false, "", "", []string{"down", "--yes"}, 0, false, "nothing to roll back", ""},
		{"extra argument", true, "", "", []string{"down", "--yes", "all"}, 1, false, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachDatabase(t, func(t *testing.T, url string) {
				getenv := testEnv(url)
				if tc.migrated {
					if _, _, err := runCommand(t, getenv, nil, "migrate", "up"); err != nil {
						t.Fatal(err)
					}
				}
				before := pendingOn(t, url)
				var stdin io.Reader = strings.NewReader(tc.input)
				switch tc.stdin {
				case "terminal":
					stdin = terminalInput{strings.NewReader(tc.input)}
				case "file":
					f, err := os.CreateTemp(t.TempDir(), "answer")
					if err == nil {
						_, err = f.WriteString(tc.input)
					}
					if err == nil {
						_, err = f.Seek(0, io.SeekStart)
					}
					if err != nil {
						t.Fatal(err)
					}
					defer f.Close()
					stdin = f
				}
				out, errOut, err := runCommand(t, getenv, stdin, append([]string{"migrate"}, tc.args...)...)
				code := 0
				if err != nil {
					code = exitCode(err)
					errOut += err.Error()
				}
				if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errOut, tc.stderr) {
					t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
				}
				after := pendingOn(t, url)
				want := before
				if tc.rolledBack {
					want = []string{newestMigration(t)}
				}
				if strings.Join(after, ",") != strings.Join(want, ",") {
					t.Fatalf("pending after = %q, want %q", after, want)
				}

				status, _, err := runCommand(t, getenv, nil, "migrate", "status")
				if err != nil {
					t.Fatal(err)
				}
				if tc.rolledBack && (!strings.Contains(status, "1 migration pending: run gatehouse migrate up") ||
					statusOf(status, newestMigration(t)) != "pending") {
					t.Fatalf("status after down:\n%s", status)
				}
				if tc.migrated && !tc.rolledBack && !strings.Contains(status, "no pending migrations") {
					t.Fatalf("status after a refusal:\n%s", status)
				}

				// up re-applies what down rolled back.
				up, _, err := runCommand(t, getenv, nil, "migrate", "up")
				if err != nil {
					t.Fatal(err)
				}
				if tc.rolledBack && up != "applied "+newestMigration(t)+"\n" {
					t.Fatalf("up after down printed %q", up)
				}
				if p := pendingOn(t, url); len(p) != 0 {
					t.Fatalf("pending after up: %q", p)
				}
			})
		})
	}
}

// statusOf is the status `migrate status` printed for migration name.
func statusOf(status, name string) string {
	for _, line := range strings.Split(status, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == name {
			return f[1]
		}
	}
	return ""
}

// mainChildEnv, when set, makes TestMigrateDownExitStatus run the real
// main with the arguments that follow "--".
const mainChildEnv = "GATEHOUSE_TEST_MAIN_CHILD"

// The binary exits 2 when `migrate down` is not confirmed.
func TestMigrateDownExitStatus(t *testing.T) {
	if os.Getenv(mainChildEnv) == "1" {
		os.Args = []string{"gatehouse", "migrate", "down"}
		main()
		os.Exit(0)
	}
	url := storetest.SQLite(t)
	getenv := testEnv(url)
	if _, _, err := runCommand(t, getenv, nil, "migrate", "up"); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestMigrateDownExitStatus$")
	cmd.Env = append(os.Environ(), mainChildEnv+"=1", "GATEHOUSE_DATABASE_URL="+url, "GATEHOUSE_JWT_SECRET="+getenv("GATEHOUSE_JWT_SECRET"))
	cmd.Stdin = strings.NewReader("y\n") // a pipe: no terminal to ask at
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 2 || !strings.Contains(stderr.String(), "--yes") {
		t.Fatalf("migrate down without --yes: %v\n%s", err, stderr.String())
	}
	if p := pendingOn(t, url); len(p) != 0 {
		t.Fatalf("pending after a refused down: %q", p)
	}
}

// serveInBackground runs `serve` without waiting for it to be ready, and
// returns its address, its log and the function that stops it and
// returns what serve returned. The server stops when the test ends.
func serveInBackground(t *testing.T, getenv func(string) string) (addr string, logs *lockedBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &lockedBuffer{}
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	e := env{getenv: getenv, stdin: strings.NewReader(""), stdout: io.Discard, stderr: logs,
		listening: func(addr string) { addrc <- addr }}
	go func() { done <- runEnv(ctx, e, []string{"serve"}) }()
	select {
	case addr = <-addrc:
	case err := <-done:
		cancel()
		t.Fatalf("server stopped before listening: %v\n%s", err, logs)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("server did not start\n%s", logs)
	}
	var err error
	stopped := false
	stop = func() error {
		if !stopped {
			cancel()
			err, stopped = <-done, true
		}
		return err
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("server: %v\n%s", err, logs)
		}
	})
	return addr, logs, stop
}

// A command that needs the service says migrations are pending, rather
// than meet a missing table, when auto-migrate is off.
func TestCommandWithPendingMigrations(t *testing.T) {
	getenv := testEnv(storetest.SQLite(t), "GATEHOUSE_AUTO_MIGRATE", "false")
	_, _, err := runCommand(t, getenv, strings.NewReader("long enough password\n"), "users", "create", "--email", "a@example.com", "--password-stdin")
	if err == nil || !strings.Contains(err.Error(), "migrations pending: run gatehouse migrate up") {
		t.Fatalf("users create on an unmigrated database: %v", err)
	}
}

// newestMigration is the name of the last migration, the one `migrate
// down` rolls back.
func newestMigration(t *testing.T) string {
	t.Helper()
	fsys, err := migrations.FS("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	ups, err := fs.Glob(fsys, "*.up.sql")
	if err != nil || len(ups) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	slices.Sort(ups)
	return strings.TrimSuffix(strings.TrimSuffix(ups[len(ups)-1], ".up.sql"), ".tx")
}
