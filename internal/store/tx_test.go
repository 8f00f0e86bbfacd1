package store_test

import (
	"errors"
	"testing"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestTx(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		errBoom := errors.New("boom")

		for _, tc := range []struct {
			name       string
			fn         func(t *testing.T, tx auth.Store, c *gatehouse.Customer, u *gatehouse.User) error
			wantErr    error
			wantStored bool
		}{
			{"commit", func(t *testing.T, tx auth.Store, c *gatehouse.Customer, u *gatehouse.User) error {
				return errors.Join(tx.CreateCustomer(t.Context(), c), tx.CreateUser(t.Context(), u))
			}, nil, true},
			{"rollback on error", func(t *testing.T, tx auth.Store, c *gatehouse.Customer, u *gatehouse.User) error {
				mustNoError(t, tx.CreateCustomer(t.Context(), c))
				mustNoError(t, tx.CreateUser(t.Context(), u))
				return errBoom
			}, errBoom, false},
			{"nested Tx joins the outer one", func(t *testing.T, tx auth.Store, c *gatehouse.Customer, u *gatehouse.User) error {
				mustNoError(t, tx.Tx(t.Context(), func(inner auth.Store) error {
					return errors.Join(inner.CreateCustomer(t.Context(), c), inner.CreateUser(t.Context(), u))
				}))
				return errBoom
			}, errBoom, false},
			// CreateIdentity inside Tx rolls back with it.
			{"CreateIdentity inside Tx", func(t *testing.T, tx auth.Store, c *gatehouse.Customer, u *gatehouse.User) error {
				a, p := newIdentity(gatehouse.ActorUser, u.Email)
				a.ID = c.ID // looked up below as the customer id
				p.AuthIdentityID = a.ID
				mustNoError(t, tx.CreateIdentity(t.Context(), a, p))
				mustNoError(t, tx.CreateCustomer(t.Context(), c))
				mustNoError(t, tx.CreateUser(t.Context(), u))
				return errBoom
			}, errBoom, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := t.Context()
				c := newCustomer(newID() + "@example.com")
				u := newUser(newID() + "@example.com")
				err := s.Tx(ctx, func(tx auth.Store) error { return tc.fn(t, tx, c, u) })
				if err != tc.wantErr {
					t.Fatalf("Tx = %v, want %v", err, tc.wantErr)
				}
				want := gatehouse.CodeNotFound
				if tc.wantStored {
					want = ""
				}
				_, err = s.Customer(ctx, c.ID)
				wantCode(t, err, want)
				_, err = s.User(ctx, u.ID)
				wantCode(t, err, want)
				if tc.wantStored {
					return
				}
				_, err = s.AuthIdentity(ctx, c.ID)
				wantCode(t, err, gatehouse.CodeNotFound)
			})
		}
	})
}
