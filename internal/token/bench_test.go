package token_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/token"
)

func BenchmarkSign(b *testing.B) {
	for _, alg := range algs {
		b.Run("alg="+string(alg), func(b *testing.B) {
			s := newFixture(b, alg).signer
			sub := customerSubject()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Sign(sub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures a full verification: the cache is off, so
// every call checks the signature.
func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		b.Run("alg="+string(alg), func(b *testing.B) {
			f := newFixture(b, alg)
			s := cachedSigner(b, f.clock, ring(b, f.key), -1)
			raw := mustSign(b, s, customerSubject())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyCached measures the verification of a token verified
// before: a hit, which checks the dates and the key but not the
// signature; and of a token it does not hold: a full verification plus
// remembering the token.
func BenchmarkVerifyCached(b *testing.B) {
	for _, alg := range algs {
		b.Run("alg="+string(alg)+"/cache=hit", func(b *testing.B) {
			s := newFixture(b, alg).signer
			raw := mustSign(b, s, customerSubject())
			if _, err := s.Verify(raw); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(raw); err != nil {
					b.Fatal(err)
				}
			}
			if n := token.SignatureChecks(s); n != 1 {
				b.Fatalf("%d signature checks, want 1", n)
			}
		})
		b.Run("alg="+string(alg)+"/cache=miss", func(b *testing.B) {
			// A cache of one and two tokens taking turns: every call
			// misses, verifies in full and evicts the other.
			f := newFixture(b, alg)
			s := cachedSigner(b, f.clock, ring(b, f.key), 1)
			raws := []string{mustSign(b, s, customerSubject()), mustSign(b, s, customerSubject())}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := s.Verify(raws[i%2]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			if n := token.SignatureChecks(s); n != int64(i) {
				b.Fatalf("%d signature checks for %d calls, want one each", n, i)
			}
		})
	}
}

// BenchmarkVerifyCachedParallel measures hits from every CPU at once over
// many tokens, which spread over the cache's shards.
func BenchmarkVerifyCachedParallel(b *testing.B) {
	s := newFixture(b, "EdDSA").signer
	raws := make([]string, 256)
	for i := range raws {
		raws[i] = mustSign(b, s, customerSubject())
		if _, err := s.Verify(raws[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := s.Verify(raws[i%len(raws)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}

// BenchmarkVerifyForged measures the refusal of a well-formed token with a
// known kid and a bad signature: the cost an attacker can impose per
// request.
func BenchmarkVerifyForged(b *testing.B) {
	for _, alg := range algs {
		b.Run("alg="+string(alg), func(b *testing.B) {
			f := newFixture(b, alg)
			raw := forge(b, goodHeader(f), goodClaims(), f.other)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := f.signer.Verify(raw); err == nil {
					b.Fatal("Verify accepted a forgery")
				}
			}
		})
	}
}

// BenchmarkVerifyManyDots measures the refusal of dot floods: one longer
// than the limit and one just inside it, which has to be scanned.
func BenchmarkVerifyManyDots(b *testing.B) {
	for _, n := range []int{100000, 8 << 10} {
		raw := strings.Repeat(".", n)
		b.Run(fmt.Sprintf("dots=%d", n), func(b *testing.B) {
			s := newFixture(b, "EdDSA").signer
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Verify(raw); err == nil {
					b.Fatal("Verify accepted dots")
				}
			}
		})
	}
}
