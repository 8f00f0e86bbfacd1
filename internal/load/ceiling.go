package load

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/gatehouse/gatehouse/internal/password"
)

// HashCeiling is the most sign-ins per second this machine could serve if
// it did nothing but hash: one argon2id derivation per sign-in, one per CPU
// at a time. It is measured in this process with the server's parameters,
// so it only describes the server when both run on the same machine.
type HashCeiling struct {
	MemoryKiB   uint32  `json:"memoryKiB"`
	Iterations  uint32  `json:"iterations"`
	Parallelism uint8   `json:"parallelism"`
	Samples     int     `json:"samples"`
	PerHash     Millis  `json:"perHashMs"` // the median
	CPUs        int     `json:"cpus"`
	PerSecond   float64 `json:"perSecond"` // CPUs / PerHash
}

// measureHash times samples hashes one after another, through a Hasher
// built as the server builds one, and takes the median.
func measureHash(ctx context.Context, p password.Params, samples int) (HashCeiling, error) {
	// NewHasher runs one derivation itself, which warms up the heap.
	h, err := password.NewHasher(password.Options{Params: p, Workers: 1, Queue: 1})
	if err != nil {
		return HashCeiling{}, fmt.Errorf("hash ceiling: %w", err)
	}
	times := make([]time.Duration, samples)
	for i := range times {
		t0 := time.Now()
		if _, err := h.Hash(ctx, "a load-test password, never stored"); err != nil {
			return HashCeiling{}, fmt.Errorf("hash ceiling: %w", err)
		}
		times[i] = time.Since(t0)
	}
	slices.Sort(times)
	hc := HashCeiling{MemoryKiB: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism,
		Samples: samples, PerHash: Millis(times[samples/2]), CPUs: runtime.NumCPU()}
	if hc.PerHash > 0 {
		hc.PerSecond = float64(hc.CPUs) / time.Duration(hc.PerHash).Seconds()
	}
	return hc, nil
}
