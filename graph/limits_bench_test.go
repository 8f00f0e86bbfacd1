package graph_test

import (
	"strconv"
	"testing"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// BenchmarkHostileDocuments times each hostile document through the real
// handler with the default limits: at the most copies that fit the body
// limit (an attack, which the limits refuse before validation when one
// applies), and at the most copies the limits let through to validation
// (the worst a client can make the server do). Each iteration sends a
// different document (a comment with a counter), so that none is answered
// from the cache of validated documents. docs/security.md reports the
// figures.
func BenchmarkHostileDocuments(b *testing.B) {
	db := storetest.MustOpen(b, storetest.SQLite(b))
	a := newAPI(b, db)
	limited := func(q string) bool {
		r := a.do(b, "", q, nil)
		if len(r.Errors) == 0 {
			return false
		}
		switch r.Errors[0].Extensions["limit"] {
		case "selections", "aliases", "directives", "variables", "parserTokens", "bodyBytes":
			return true
		}
		return false
	}
	const body = 65000 // 64 KiB, less the JSON around the query
	for _, h := range graph.HostileDocuments {
		fit := 1
		for len(h.Doc(fit*2)) < body && fit < 1<<16 {
			fit *= 2
		}
		for step := fit / 2; step > 0; step /= 2 {
			if len(h.Doc(fit+step)) < body {
				fit += step
			}
		}
		cases := []struct {
			name string
			n    int
		}{{"largest", fit}}
		if limited(h.Doc(fit)) {
			// The most copies let through: limited is monotonic in n.
			lo, hi := 1, fit
			for hi-lo > 1 {
				if mid := (lo + hi) / 2; limited(h.Doc(mid)) {
					hi = mid
				} else {
					lo = mid
				}
			}
			cases = append(cases, struct {
				name string
				n    int
			}{"largest accepted", lo})
		}
		for _, tc := range cases {
			q := h.Doc(tc.n)
			b.Run(h.Name+"/"+tc.name, func(b *testing.B) {
				i := 0
				for b.Loop() {
					i++
					a.do(b, "", q+"\n# "+strconv.Itoa(i), nil)
				}
				b.ReportMetric(float64(tc.n), "copies")
				b.ReportMetric(float64(len(q)), "bytes")
			})
		}
	}
}
