package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The server's first line on stderr is plain text for the person at the
// terminal; every line after it is the JSON log.
func TestStartLine(t *testing.T) {
	kek := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	for _, tc := range []struct {
		name      string
		extra     []string
		want, not []string
	}{
		{"development", nil,
			[]string{"(development) on http://127.0.0.1:", "playground http://127.0.0.1:", "SQLite ", "development key-encryption key: generated"}, []string{"postgres"}},
		{"production", []string{"GATEHOUSE_ENV", "production", "GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_ISSUER", "https://auth.example.com"},
			[]string{"(production) on http://127.0.0.1:", "playground off", "SQLite "}, []string{"generated", kek}},
		{"HS256", []string{"GATEHOUSE_SIGNING_ALG", "HS256", "GATEHOUSE_JWT_SECRET", ""},
			[]string{"development key-encryption key and JWT secret: generated"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := storetest.SQLite(t)
			base, logs := startServer(t, testEnv(dsn, tc.extra...))
			lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
			first := lines[0]
			want := append([]string{"gatehouse " + version() + " (", "GraphQL " + base + "/graphql", "SQLite " + strings.TrimPrefix(dsn, "sqlite:")}, tc.want...)
			for _, w := range want {
				if !strings.Contains(first, w) {
					t.Errorf("start line lacks %q:\n%s", w, first)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(first, n) {
					t.Errorf("start line holds %q:\n%s", n, first)
				}
			}
			if len(lines) < 3 {
				t.Fatalf("log:\n%s", logs)
			}
			for _, l := range lines[1:] {
				if !json.Valid([]byte(l)) {
					t.Fatalf("not a JSON log line after the start line: %s", l)
				}
			}
		})
	}
}

func TestDatabaseLabel(t *testing.T) {
	for _, tc := range []struct{ dsn, want string }{
		{"sqlite:gatehouse.db", "SQLite gatehouse.db"},
		{"sqlite::memory:", "SQLite in memory"},
		{"postgres://gatehouse:hunter2@db.internal:5432/auth?sslmode=require", "PostgreSQL db.internal:5432/auth"},
		{"postgresql://db/auth", "PostgreSQL db/auth"},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			if got := databaseLabel(tc.dsn); got != tc.want {
				t.Fatalf("databaseLabel = %q, want %q", got, tc.want)
			}
		})
	}
}

// The log held for the start line still comes out when the start hangs,
// and when it fails.
func TestHeldLog(t *testing.T) {
	t.Run("released", func(t *testing.T) {
		var out lockedBuffer
		h := holdLog(&out)
		_, _ = io.WriteString(h, "{}\n")
		announce(h, "first")
		_, _ = io.WriteString(h, "{\"after\":1}\n")
		if got := out.String(); got != "first\n{}\n{\"after\":1}\n" {
			t.Fatalf("out = %q", got)
		}
	})
	t.Run("failed start", func(t *testing.T) {
		var out lockedBuffer
		h := holdLog(&out)
		_, _ = io.WriteString(h, "{}\n")
		h.release("")
		if got := out.String(); got != "{}\n" {
			t.Fatalf("out = %q", got)
		}
	})
	t.Run("hung start", func(t *testing.T) {
		var out lockedBuffer
		h := holdLog(&out)
		_, _ = io.WriteString(h, "{}\n")
		deadline := time.Now().Add(30 * time.Second)
		for out.String() == "" {
			if time.Now().After(deadline) {
				t.Fatal("the held log never came out")
			}
			time.Sleep(50 * time.Millisecond)
		}
		announce(h, "late")
		if got := out.String(); got != "{}\nlate\n" {
			t.Fatalf("out = %q", got)
		}
	})
}

// A misspelt variable is refused in production, with the other problems,
// before anything is opened; development starts and warns.
func TestUnknownVariable(t *testing.T) {
	kek := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	t.Run("production", func(t *testing.T) {
		misspelt := filepath.Join(t.TempDir(), "meant.db")
		getenv := testEnv("", "GATEHOUSE_ENV", "production", "GATEHOUSE_KEY_ENCRYPTION_KEY", kek, "GATEHOUSE_ISSUER", "https://auth.example.com",
			"GATEHOUSE_DATABSE_URL", "sqlite:"+misspelt)
		environ := func() []string {
			return []string{"GATEHOUSE_ENV=production", "GATEHOUSE_DATABSE_URL=sqlite:" + misspelt, "GATEHOUSE_TEST_POSTGRES_URL=x"}
		}
		var stderr lockedBuffer
		err := runEnv(context.Background(), env{getenv: getenv, environ: environ, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr}, []string{"serve"})
		if err == nil {
			t.Fatal("serve started in production with a misspelt variable")
		}
		for _, want := range []string{"GATEHOUSE_DATABSE_URL: not a setting; did you mean GATEHOUSE_DATABASE_URL?", "GATEHOUSE_DATABASE_URL: required in production"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
		if strings.Contains(err.Error(), "GATEHOUSE_TEST_") {
			t.Errorf("the test suite's variable is reported:\n%v", err)
		}
		for _, f := range []string{misspelt, "gatehouse.db"} {
			if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: a database was opened (%v)", f, err)
			}
		}
	})
	t.Run("development", func(t *testing.T) {
		getenv := testEnv(storetest.SQLite(t), "GATEHOUSE_DATABSE_URL", "x")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var stderr lockedBuffer
		addr := make(chan string, 1)
		e := env{getenv: getenv, environ: func() []string { return []string{"GATEHOUSE_DATABSE_URL=x"} }, stdin: strings.NewReader(""), stdout: io.Discard, stderr: &stderr,
			listening: func(a string) { addr <- a }}
		done := make(chan error, 1)
		go func() { done <- runEnv(ctx, e, []string{"serve"}) }()
		select {
		case a := <-addr:
			waitHealthy(t, "http://"+a)
		case err := <-done:
			t.Fatalf("serve: %v\n%s", err, stderr.String())
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v", err)
		}
		if !strings.Contains(stderr.String(), `"level":"WARN","msg":"GATEHOUSE_DATABSE_URL is ignored: not a setting; did you mean GATEHOUSE_DATABASE_URL?"`) {
			t.Fatalf("no warning in the log:\n%s", stderr.String())
		}
	})
}
