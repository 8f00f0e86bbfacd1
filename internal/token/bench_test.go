package token_test

import (
	"fmt"
	"strings"
	"testing"
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

func BenchmarkVerify(b *testing.B) {
	for _, alg := range algs {
		b.Run("alg="+string(alg), func(b *testing.B) {
			s := newFixture(b, alg).signer
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
