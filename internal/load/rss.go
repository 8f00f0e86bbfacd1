package load

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssMetric is the Prometheus process collector's resident set size.
const rssMetric = "process_resident_memory_bytes"

// rssInterval is how often a sampler scrapes the server's metrics.
const rssInterval = 250 * time.Millisecond

// scrapeRSS reads the server's resident set size from its /metrics.
func scrapeRSS(ctx context.Context, client *http.Client, metricsURL string) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, metricsURL, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: HTTP %d", metricsURL, resp.StatusCode)
	}
	return parseRSS(resp.Body)
}

// parseRSS finds rssMetric in a Prometheus text exposition.
func parseRSS(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), rssMetric+" ")
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %q is not a number", rssMetric, rest)
		}
		return int64(v), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s in the metrics (is the server's process collector on, on Linux?)", rssMetric)
}

// rssSampler keeps the largest RSS seen between start and stop. A failed
// scrape is skipped: a busy server may answer one late.
type rssSampler struct {
	stopc chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	peak  int64
	n     int
}

func startRSS(ctx context.Context, client *http.Client, metricsURL string) *rssSampler {
	s := &rssSampler{stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(rssInterval)
		defer t.Stop()
		for {
			if v, err := scrapeRSS(ctx, client, metricsURL); err == nil {
				s.mu.Lock()
				s.peak = max(s.peak, v)
				s.n++
				s.mu.Unlock()
			}
			select {
			case <-t.C:
			case <-s.stopc:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return s
}

// stop ends sampling and returns the peak and how many scrapes succeeded.
func (s *rssSampler) stop() (peak int64, samples int) {
	close(s.stopc)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, s.n
}
