package password

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkSignInLoad runs signInLoadVerifies verifications with OWASP
// params on as many goroutines as the Hasher has workers, the shape of
// sign-in under load, and reports throughput and the process's peak RSS.
//
// Peak RSS is per process, so run it alone, once per configuration:
//
//	go test ./internal/password -run '^$' -bench SignInLoad -benchtime 1x
//	GOMEMLIMIT=64MiB go test ./internal/password -run '^$' -bench SignInLoad -benchtime 1x
//
// The peak is reset first where the kernel allows (clear_refs), so it
// covers this benchmark and not the NewHasher calls before it.
func BenchmarkSignInLoad(b *testing.B) {
	const workers = 2
	const signInLoadVerifies = 400
	h := newTestHasher(b, Options{Params: OWASP, Workers: workers, Queue: signInLoadVerifies})
	ctx := context.Background()
	const pw = "correct horse battery staple"
	encoded := mustHash(b, h, pw)
	resetPeakRSS()

	var total time.Duration
	for b.Loop() {
		start := time.Now()
		jobs := make(chan struct{}, signInLoadVerifies)
		for range signInLoadVerifies {
			jobs <- struct{}{}
		}
		close(jobs)
		errs := make(chan error, workers)
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range jobs {
					if ok, _, err := h.Verify(ctx, pw, encoded); err != nil || !ok {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatalf("Verify failed: %v", err)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(b.N*signInLoadVerifies)/total.Seconds(), "verifies/s")
	b.ReportMetric(float64(procStatusKiB(b, "VmHWM"))/1024, "peak-RSS-MiB")
}

// resetPeakRSS asks the kernel to restart VmHWM from the current RSS; where
// that is not allowed the peak covers the whole process.
func resetPeakRSS() {
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}

// procStatusKiB reads one "Name: N kB" line of /proc/self/status.
func procStatusKiB(tb testing.TB, name string) int {
	tb.Helper()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		tb.Skipf("SKIPPED: no /proc/self/status, cannot measure RSS: %v", err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		rest, ok := strings.CutPrefix(s.Text(), name+":")
		if !ok {
			continue
		}
		kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		if err != nil {
			tb.Fatalf("parse %s line %q: %v", name, s.Text(), err)
		}
		return kib
	}
	tb.Fatalf("no %s in /proc/self/status", name)
	return 0
}
