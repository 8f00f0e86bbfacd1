package graph_test

import (
	"os"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// Benchmarks go through the whole HTTP handler (middleware, GraphQL,
// service, store) on each database. Password hashing uses the fast test
// parameters, so these measure everything but argon2id; the password
// package benchmarks argon2id itself.
func benchEach(b *testing.B, fn func(b *testing.B, db *store.DB)) {
	b.Run("database=sqlite", func(b *testing.B) { fn(b, storetest.MustOpen(b, storetest.SQLite(b))) })
	if os.Getenv(storetest.PostgresEnv) != "" {
		b.Run("database=postgres", func(b *testing.B) { fn(b, storetest.MustOpen(b, storetest.Postgres(b))) })
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		a := newAPI(b, db)
		a.signUpCustomer(b, "bench@example.com")
		vars := map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "bench@example.com", "password": "correct horse battery"}}
		b.ResetTimer()
		for b.Loop() {
			a.do(b, "", authQ, vars)
		}
	})
}

func BenchmarkCurrentCustomer(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		a := newAPI(b, db)
		tok, _ := a.signUpCustomer(b, "bench@example.com")
		b.ResetTimer()
		for b.Loop() {
			a.do(b, tok, currentQ, nil)
		}
	})
}

// BenchmarkRotate measures one refresh-token rotation (the claim, the new
// token, the session touch and a signed access token) through the handler.
func BenchmarkRotate(b *testing.B) {
	benchEach(b, func(b *testing.B, db *store.DB) {
		a := newAPI(b, db)
		tok := *a.signedIn(b, "bench@example.com").RefreshToken
		b.ResetTimer()
		for b.Loop() {
			tok = *mustTicket(b, a.rotate(b, tok)).RefreshToken
		}
	})
}
