// Package metrics provides gatehouse's Prometheus metrics: one registry per
// process (no global default registry), the collectors the rest of the
// service reports to, and the /metrics handler.
//
// It must never label a series with a secret or an unbounded value (an
// email, a token, an id, a client's operation name): every label value comes
// from the schema or from a closed set.
package metrics

import (
	"database/sql"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

const namespace = "gatehouse"

// Metrics holds the collectors. The zero of *Metrics is not usable; a nil
// *Metrics is: every method does nothing, so a service built without
// metrics (a CLI command, a test) need not check.
type Metrics struct {
	reg *prometheus.Registry

	operations       *prometheus.CounterVec
	operationSeconds *prometheus.HistogramVec
	fields           *prometheus.CounterVec
	fieldSeconds     *prometheus.HistogramVec
	signIns          *prometheus.CounterVec
	events           *prometheus.CounterVec
	hashWait         prometheus.Histogram
	outboxFailures   *prometheus.CounterVec
	shed             *prometheus.CounterVec
}

// New returns a registry with the Go runtime and process collectors and
// gatehouse's own.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	latency := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		reg: reg,
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_operations_total",
			Help: "GraphQL operations answered, by operation (its root fields, or 'invalid' when it did not parse or validate), type and outcome (ok, error).",
		}, []string{"operation", "type", "outcome"}),
		operationSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_operation_duration_seconds",
			Help:    "Time to answer a GraphQL operation, by operation and type.",
			Buckets: latency,
		}, []string{"operation", "type"}),
		fields: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "graphql_root_fields_total",
			Help: "Root fields resolved, by field and outcome (ok; or the error code of a failed field or of its payload's first error).",
		}, []string{"field", "outcome"}),
		fieldSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "graphql_root_field_duration_seconds",
			Help:    "Time to resolve a root field, by field.",
			Buckets: latency,
		}, []string{"field"}),
		signIns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sign_ins_total",
			Help: "Sign-in attempts, by actor type, provider and outcome (success, registration, or an error code such as INVALID_CREDENTIALS or RATE_LIMITED).",
		}, []string{"actor", "provider", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "auth_events_total",
			Help: "Auth events recorded, by event name (auth.account_locked counts lockouts, auth.refresh_token_reused counts refresh-token reuse).",
		}, []string{"event"}),
		hashWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: namespace, Name: "password_hash_wait_seconds",
			Help:    "Time a password hash or verification waited for a worker of the bounded hash pool.",
			Buckets: []float64{.0005, .001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		outboxFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "outbox_delivery_failures_total",
			Help: "Failed deliveries of outbox events, by subscriber kind.",
		}, []string{"subscriber"}),
		shed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_shed_total",
			Help: "Requests answered UNAVAILABLE without being served, by reason (db_pool: no database connection became free in time; rate_limiter: the rate limiter could not be asked).",
		}, []string{"reason"}),
	}
	for _, r := range []string{ShedDBPool, ShedRateLimiter} {
		m.shed.WithLabelValues(r) // present at 0 from the start
	}
	reg.MustRegister(m.operations, m.operationSeconds, m.fields, m.fieldSeconds, m.signIns, m.events, m.hashWait, m.outboxFailures, m.shed)
	return m
}

// Handler serves the registry in the Prometheus text format.
// BuildInfo registers gatehouse_build_info, always 1, whose labels say
// which binary is running: join it to any other series to tell versions
// apart during a rolling upgrade.
func (m *Metrics) BuildInfo(version, commit, goVersion string) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace, Name: "build_info",
		Help: "The running binary: version, commit and Go version as labels; always 1.",
	}, []string{"version", "commit", "goversion"})
	g.WithLabelValues(version, commit, goVersion).Set(1)
	m.reg.MustRegister(g)
}

func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Registry is the registry, for collectors added outside this package.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Operation records one answered GraphQL operation.
func (m *Metrics) Operation(operation, typ string, ok bool, d time.Duration) {
	if m == nil {
		return
	}
	m.operations.WithLabelValues(operation, typ, outcome(ok)).Inc()
	m.operationSeconds.WithLabelValues(operation, typ).Observe(d.Seconds())
}

// RootField records one resolved root field; result is "ok" or an error
// code.
func (m *Metrics) RootField(field, result string, d time.Duration) {
	if m == nil {
		return
	}
	m.fields.WithLabelValues(field, result).Inc()
	m.fieldSeconds.WithLabelValues(field).Observe(d.Seconds())
}

// SignIn records a sign-in attempt's outcome.
func (m *Metrics) SignIn(actor, provider, result string) {
	if m == nil {
		return
	}
	m.signIns.WithLabelValues(actor, provider, result).Inc()
}

// Event records an auth event.
func (m *Metrics) Event(name string) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(name).Inc()
}

// HashWait records how long a password hash waited for a worker.
func (m *Metrics) HashWait(d time.Duration) {
	if m == nil {
		return
	}
	m.hashWait.Observe(d.Seconds())
}

// OutboxFailure records a failed delivery to a kind of subscriber.
func (m *Metrics) OutboxFailure(subscriber string) {
	if m == nil {
		return
	}
	m.outboxFailures.WithLabelValues(subscriber).Inc()
}

// Reasons a request is shed.
const (
	ShedDBPool      = "db_pool"
	ShedRateLimiter = "rate_limiter"
)

// Shed records a request shed for a reason.
func (m *Metrics) Shed(reason string) {
	if m == nil {
		return
	}
	m.shed.WithLabelValues(reason).Inc()
}

// Gauge registers a gauge read when scraped (a queue length, a backlog).
func (m *Metrics) Gauge(name, help string, read func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, read))
}

// DB registers the connection pool statistics of a database handle
// (go_sql_* series, labelled db_name).
func (m *Metrics) DB(name string, db *sql.DB) {
	m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
}

func outcome(ok bool) string {
	if ok {
		return "ok"
	}
	return "error"
}
