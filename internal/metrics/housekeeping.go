package metrics

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// HousekeepingPurged registers gatehouse_housekeeping_rows_purged_total
// (once: a second call shares the first's counter) and returns what
// housekeeping.Options.OnPurged wants. Its label values are the pruners'
// table names, a closed set. With a nil *Metrics it does nothing.
func (m *Metrics) HousekeepingPurged() func(table string, n int) {
	if m == nil {
		return func(string, int) {}
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Name: "housekeeping_rows_purged_total",
		Help: "Rows the housekeeping loop deleted, by table (auth_event.sealed: events whose sealed secrets it erased).",
	}, []string{"table"})
	if err := m.reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			panic(err) // a name clash within this package: a bug
		}
		c = are.ExistingCollector.(*prometheus.CounterVec)
	}
	return func(table string, n int) { c.WithLabelValues(table).Add(float64(n)) }
}
