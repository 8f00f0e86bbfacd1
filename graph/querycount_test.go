package graph_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// queryCounter counts the statements a database runs.
type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}
func (q *queryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// Known and unknown accounts cost the same statements and the same hashing,
// for a sign-in with a wrong password and for a reset request.
func TestEnumerationWork(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		mustTicket(t, a.register(t, "CUSTOMER", "known@example.com", "the known password", ""))
		counter := &queryCounter{}
		db.Bun().AddQueryHook(counter)
		work := func(f func()) (queries int64, hashes uint64) {
			q0, h0 := counter.n.Load(), a.Hasher.Derivations()
			f()
			return counter.n.Load() - q0, a.Hasher.Derivations() - h0
		}
		for _, tc := range []struct {
			name string
			run  func(email string) func()
		}{
			{"authenticate with a wrong password", func(email string) func() {
				return func() { a.authenticate(t, "CUSTOMER", email, "a wrong password") }
			}},
			{"createUserAuthTicket with a wrong password", func(email string) func() {
				return func() {
					a.do(t, "", `mutation($e: String) { createUserAuthTicket(input: {emailAddress: $e, password: "a wrong password"}) { accessToken } }`, map[string]any{"e": email})
				}
			}},
			{"generateResetPasswordToken", func(email string) func() {
				return func() { a.requestReset(t, "CUSTOMER", email) }
			}},
			{"sendEmailVerification", func(email string) func() {
				return func() {
					a.do(t, "", `mutation($e: String!) { sendEmailVerification(actor: CUSTOMER, provider: "emailpass", input: {identifier: $e}) { accepted } }`, map[string]any{"e": email})
				}
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				kq, kh := work(tc.run("known@example.com"))
				uq, uh := work(tc.run("unknown@example.com"))
				if kq != uq || kh != uh {
					t.Fatalf("known account: %d statements, %d hashes; unknown: %d statements, %d hashes", kq, kh, uq, uh)
				}
			})
		}
	})
}
