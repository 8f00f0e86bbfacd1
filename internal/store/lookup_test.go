package store_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestCustomerByUserName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		c := newCustomer("named@example.com")
		c.UserName = ptr("Shopper.One")
		mustCreateCustomer(t, s, c)
		for _, tc := range []struct {
			name, userName string
			found          bool
		}{
			{"exact", "Shopper.One", true},
			{"other case", "sHOPPER.oNE", true},
			{"unknown", "shopper.two", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.CustomerByUserName(ctx, tc.userName)
				if !tc.found {
					wantCode(t, err, gatehouse.CodeNotFound)
					return
				}
				mustNoError(t, err)
				if got.ID != c.ID {
					t.Fatalf("got %s, want %s", got.ID, c.ID)
				}
			})
		}
		t.Run("deleted", func(t *testing.T) {
			now := t0
			c.DeletedAt = &now
			mustNoError(t, s.UpdateCustomer(ctx, c))
			_, err := s.CustomerByUserName(ctx, "Shopper.One")
			wantCode(t, err, gatehouse.CodeNotFound)
		})
	})
}

func TestCreateAuthIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		a, _ := newIdentity(gatehouse.ActorCustomer, "")
		a.AppMetadata = map[string]any{"customer_id": "cus_1", gatehouse.AnonymousKey: true}
		mustNoError(t, s.CreateAuthIdentity(ctx, a))
		got, err := s.AuthIdentity(ctx, a.ID)
		mustNoError(t, err)
		if !got.Anonymous() || got.ActorID() != "cus_1" {
			t.Fatalf("got %+v", got)
		}
		ps, err := s.ProviderIdentities(ctx, a.ID)
		mustNoError(t, err)
		if len(ps) != 0 {
			t.Fatalf("provider identities = %+v", ps)
		}
		wantCode(t, s.CreateAuthIdentity(ctx, a), gatehouse.CodeDuplicate)
	})
}
