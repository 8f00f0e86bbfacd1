package password

import (
	"context"
	"runtime"
	"testing"
)

func BenchmarkHashOWASP(b *testing.B) {
	h := newTestHasher(b, Options{Params: OWASP})
	ctx := context.Background()
	// Each worker allocates its workspace on first use; measure the
	// steady state, not the NumCPU first hashes.
	for range runtime.NumCPU() {
		mustHash(b, h, "warm up")
	}
	for b.Loop() {
		if _, err := h.Hash(ctx, "correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyOWASP(b *testing.B) {
	h := newTestHasher(b, Options{Params: OWASP})
	ctx := context.Background()
	encoded := mustHash(b, h, "correct horse battery staple")
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, "correct horse battery staple", encoded); !ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}

func BenchmarkVerifyMedusaScrypt(b *testing.B) {
	h := newTestHasher(b, Options{Params: OWASP})
	ctx := context.Background()
	v := loadMedusaVectors(b)[0]
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, v.Password, v.HashBase64); !ok || err != nil {
			b.Fatalf("Verify = %v, %v", ok, err)
		}
	}
}
