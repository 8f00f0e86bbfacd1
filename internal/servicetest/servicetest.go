// Package servicetest tells a test where the shared test services are
// (PostgreSQL, Redis, NATS): the URL an environment variable names or,
// without it, a loud skip on a developer's machine and a failure in CI,
// which never skips them. Every test that needs such a service asks here.
package servicetest

import (
	"os"
	"testing"
)

// The variables naming each service, with an example value.
const (
	Postgres = "GATEHOUSE_TEST_POSTGRES_URL" // postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	Redis    = "GATEHOUSE_TEST_REDIS_URL"    // redis://127.0.0.1:6379/0
	NATS     = "GATEHOUSE_TEST_NATS_URL"     // nats://127.0.0.1:4222
)

var examples = map[string]string{
	Postgres: "postgres://user@host:5432/db?sslmode=disable",
	Redis:    "redis://127.0.0.1:6379/0",
	NATS:     "nats://127.0.0.1:4222",
}

// URL returns the URL the variable env names. Without one it skips tb,
// saying loudly what did not run, or fails it when CI is set.
func URL(tb testing.TB, env string) string {
	tb.Helper()
	if u := os.Getenv(env); u != "" {
		return u
	}
	if os.Getenv("CI") != "" {
		tb.Fatalf("%s is not set, and CI never skips the tests that need it: set %s=%s", env, env, examples[env])
	}
	tb.Skipf("!!! %s is not set: SKIPPED; set %s=%s to run it !!!", env, env, examples[env])
	return ""
}

// Set reports whether the variable env names a URL, for code that adds a
// backend to a list rather than failing (benchmarks).
func Set(env string) bool { return os.Getenv(env) != "" }
