package store_test

import (
	"reflect"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestIdentities(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)

		t.Run("create and look up", func(t *testing.T) {
			ctx := t.Context()
			a, p := newIdentity(gatehouse.ActorCustomer, "ann@example.com")
			a.AppMetadata = map[string]any{"customer_id": "cus_1", "n": 2.5, "tags": []any{"a", true, nil}}
			p.UserMetadata = map[string]any{"email": "ann@example.com", "verified": true}
			mustNoError(t, s.CreateIdentity(ctx, a, p))

			gotA, err := s.AuthIdentity(ctx, a.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(gotA, a) {
				t.Errorf("AuthIdentity =\n%+v\nwant\n%+v", gotA, a)
			}
			gotP, err := s.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "ann@example.com")
			mustNoError(t, err)
			if !reflect.DeepEqual(gotP, p) {
				t.Errorf("ProviderIdentity =\n%+v\nwant\n%+v", gotP, p)
			}
			list, err := s.ProviderIdentities(ctx, a.ID)
			mustNoError(t, err)
			if len(list) != 1 || !reflect.DeepEqual(list[0], p) {
				t.Errorf("ProviderIdentities = %+v, want [%+v]", list, p)
			}
		})

		// One email can be both a customer's and a user's.
		t.Run("shared email", func(t *testing.T) {
			ctx := t.Context()
			for _, actor := range []gatehouse.ActorType{gatehouse.ActorCustomer, gatehouse.ActorUser} {
				a, p := newIdentity(actor, "both@example.com")
				mustNoError(t, s.CreateIdentity(ctx, a, p))
			}
			for _, actor := range []gatehouse.ActorType{gatehouse.ActorCustomer, gatehouse.ActorUser} {
				p, err := s.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, "both@example.com")
				mustNoError(t, err)
				if p.ActorType != actor {
					t.Errorf("actor type = %q, want %q", p.ActorType, actor)
				}
			}
		})

		// A duplicate provider identity writes nothing.
		t.Run("duplicate provider identity", func(t *testing.T) {
			ctx := t.Context()
			a1, p1 := newIdentity(gatehouse.ActorUser, "dup@example.com")
			mustNoError(t, s.CreateIdentity(ctx, a1, p1))
			a2, p2 := newIdentity(gatehouse.ActorUser, "dup@example.com")
			wantDuplicate(t, s.CreateIdentity(ctx, a2, p2), "An identity with this provider and entity id already exists.")
			_, err := s.AuthIdentity(ctx, a2.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
		})

		// Nil metadata reads back empty.
		t.Run("nil metadata", func(t *testing.T) {
			ctx := t.Context()
			a, p := newIdentity(gatehouse.ActorCustomer, "nil@example.com")
			a.AppMetadata, p.ProviderMetadata, p.UserMetadata = nil, nil, nil
			mustNoError(t, s.CreateIdentity(ctx, a, p))
			gotA, err := s.AuthIdentity(ctx, a.ID)
			mustNoError(t, err)
			gotP, err := s.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "nil@example.com")
			mustNoError(t, err)
			for name, m := range map[string]map[string]any{
				"app_metadata":      gotA.AppMetadata,
				"provider_metadata": gotP.ProviderMetadata,
				"user_metadata":     gotP.UserMetadata,
			} {
				if m == nil || len(m) != 0 {
					t.Errorf("%s = %#v, want an empty map", name, m)
				}
			}
		})

		t.Run("set metadata", func(t *testing.T) {
			ctx := t.Context()
			a, p := newIdentity(gatehouse.ActorUser, "meta@example.com")
			mustNoError(t, s.CreateIdentity(ctx, a, p))
			later := t0.Add(90 * 60e9)

			md := map[string]any{"user_id": "usr_1", "roles": []any{"admin"}}
			mustNoError(t, s.SetAppMetadata(ctx, a.ID, md, later))
			gotA, err := s.AuthIdentity(ctx, a.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(gotA.AppMetadata, md) || !gotA.UpdatedAt.Equal(later) || !gotA.CreatedAt.Equal(t0) {
				t.Errorf("after SetAppMetadata: %+v", gotA)
			}
			if gotA.ActorID() != "usr_1" {
				t.Errorf("ActorID = %q, want usr_1", gotA.ActorID())
			}

			pmd := map[string]any{"password": "new-hash"}
			mustNoError(t, s.SetProviderMetadata(ctx, p.ID, pmd, later))
			gotP, err := s.ProviderIdentity(ctx, gatehouse.ActorUser, gatehouse.ProviderEmailPass, "meta@example.com")
			mustNoError(t, err)
			if gotP.PasswordHash() != "new-hash" || !gotP.UpdatedAt.Equal(later) {
				t.Errorf("after SetProviderMetadata: %+v", gotP)
			}
		})

		t.Run("not found", func(t *testing.T) {
			ctx := t.Context()
			for _, tc := range []struct {
				name string
				call func() error
			}{
				{"AuthIdentity", func() error { _, err := s.AuthIdentity(ctx, "nope"); return err }},
				{"ProviderIdentity", func() error {
					_, err := s.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "nobody@example.com")
					return err
				}},
				{"SetAppMetadata", func() error { return s.SetAppMetadata(ctx, "nope", nil, t0) }},
				{"SetProviderMetadata", func() error { return s.SetProviderMetadata(ctx, "nope", nil, t0) }},
			} {
				t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), gatehouse.CodeNotFound) })
			}
			list, err := s.ProviderIdentities(ctx, "nope")
			mustNoError(t, err)
			if len(list) != 0 {
				t.Errorf("ProviderIdentities of nothing = %v", list)
			}
		})
	})
}
