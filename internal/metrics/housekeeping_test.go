package metrics_test

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/metrics"
)

func TestHousekeepingPurged(t *testing.T) {
	m := metrics.New()
	purged := m.HousekeepingPurged()
	purged("refresh_token", 0)
	purged("refresh_token", 500)
	m.HousekeepingPurged()("refresh_token", 7) // a second call shares the counter
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	if want := `gatehouse_housekeeping_rows_purged_total{table="refresh_token"} 507`; !strings.Contains(string(body), want) {
		t.Errorf("metrics lack %q:\n%s", want, body)
	}
	var none *metrics.Metrics
	none.HousekeepingPurged()("refresh_token", 1) // does nothing, no panic
}
