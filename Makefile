# The README's commands. `make test` is what CI runs.
.PHONY: run build test clients generate check bench fuzz soak ha-test

PG_WARNING = "!!! GATEHOUSE_TEST_POSTGRES_URL is not set: the PostgreSQL suite was SKIPPED; only SQLite ran. Set it, e.g. GATEHOUSE_TEST_POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' make test !!!"

run:
	go run ./cmd/gatehouse

# A release binary in bin/: static, trimmed, with its version, commit and
# build date (gatehouse version; gatehouse_build_info). VERSION defaults
# to the nearest tag (git describe).
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo devel)
COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
DATE ?= $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
LDFLAGS = -s -w -X main.buildVersion=$(VERSION) -X main.buildCommit=$(COMMIT) -X main.buildDate=$(DATE)

build:
	CGO_ENABLED=0 go build -trimpath -ldflags "$(LDFLAGS)" -o bin/gatehouse ./cmd/gatehouse

test:
	@if [ -z "$$GATEHOUSE_TEST_POSTGRES_URL" ]; then echo $(PG_WARNING) >&2; fi
	go test ./...
	@if [ -z "$$GATEHOUSE_TEST_POSTGRES_URL" ]; then echo $(PG_WARNING) >&2; fi

# The real-client tests: Apollo Client in Node, the example SPA and the
# playground in headless Chromium (needs Node and /usr/bin/chromium).
clients:
	cd clients && npm ci --no-audit --no-fund --loglevel=error
	clients/run.sh

generate:
	go tool gqlgen generate

# Every static check; .ci/run calls it: formatting, vet, staticcheck,
# generated code current, the package dependency rules, and the tests
# docs/security.md names.
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$unformatted" ]; then echo "gofmt would change:" >&2; echo "$$unformatted" >&2; exit 1; fi
	go vet ./...
	go tool staticcheck ./...
	scripts/check-generated.sh
	go test -count=1 -run 'TestPackageDependencies|TestSecurityDocument' ./internal/auth ./docs

# The load suite against a fresh server on PostgreSQL and on SQLite
# (scripts/bench.sh; docs/perf.md). Quick: BENCH_DURATION=2s BENCH_CONCURRENCY=8 make bench
bench:
	scripts/bench.sh

# The soak: the mixed load for SOAK_DURATION (default 10m; not in CI),
# reporting RSS, goroutines, p99 drift and table sizes at start and end
# (scripts/soak.sh; docs/perf.md). Quick: SOAK_DURATION=20s SOAK_WINDOW=10s make soak
soak:
	scripts/soak.sh

# The high-availability test: etcd, two PostgreSQL nodes under Patroni
# (synchronous), HAProxy and pgbouncer from Debian's packages; crashes the
# primary under load and checks nothing acknowledged is lost (about 1 min;
# docs/instances.md). CI runs it.
ha-test:
	GATEHOUSE_HA_TEST=1 go test -count=1 -run TestHighAvailability -v ./cmd/gatehouse

# Every fuzz target, FUZZTIME each (default 10s; CI: 3s). The committed
# corpora (testdata/fuzz/) already run in `make test`.
fuzz:
	scripts/fuzz.sh
