package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestCustomers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)

		// Every field round-trips.
		t.Run("every field", func(t *testing.T) {
			ctx := t.Context()
			c := &gatehouse.Customer{
				ID:                  newID(),
				Email:               ptr("full@example.com"),
				FirstName:           ptr("Ann"),
				LastName:            ptr("Lee"),
				CompanyName:         ptr("Acme"),
				Phone:               ptr("+1 555 0100"),
				HasAccount:          true,
				Metadata:            map[string]any{"source": "import", "score": 7.5, "nested": map[string]any{"ok": true}},
				AcceptsMarketing:    true,
				AccountType:         ptr("B2B"),
				CustomerSet:         ptr("default"),
				ExternalID:          ptr("ext-1"),
				HasExternalPassword: true,
				IsActive:            true,
				IsAnonymous:         true,
				IsLocked:            true,
				LocaleCode:          ptr("en-US"),
				TaxExempt:           true,
				TaxID:               ptr("TX-1"),
				UserName:            ptr("ann"),
				Attributes: []gatehouse.CustomerAttribute{
					{AttributeDefinitionID: 1, FullyQualifiedName: "tenant~color", Values: []any{"red", 2.0, true, nil, map[string]any{"k": "v"}}},
					{AttributeDefinitionID: 2, FullyQualifiedName: "tenant~empty", Values: []any{}},
				},
				CreatedAt: t0,
				UpdatedAt: t0.Add(time.Microsecond),
			}
			mustNoError(t, s.CreateCustomer(ctx, c))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, c) {
				t.Errorf("Customer =\n%+v\nwant\n%+v", got, c)
			}
		})

		// Zero fields round-trip.
		t.Run("zero fields", func(t *testing.T) {
			ctx := t.Context()
			c := &gatehouse.Customer{ID: newID(), CreatedAt: t0, UpdatedAt: t0}
			mustNoError(t, s.CreateCustomer(ctx, c))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			want := *c
			want.Metadata, want.Attributes = map[string]any{}, []gatehouse.CustomerAttribute{}
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("Customer =\n%+v\nwant\n%+v", got, &want)
			}
		})

		// Times come back in UTC.
		t.Run("time zone", func(t *testing.T) {
			ctx := t.Context()
			c := newCustomer("zone@example.com")
			c.CreatedAt = t0.In(time.FixedZone("UTC+5", 5*3600))
			mustNoError(t, s.CreateCustomer(ctx, c))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.CreatedAt != t0 {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, t0)
			}
		})

		t.Run("uniqueness", func(t *testing.T) {
			deleted := func(c *gatehouse.Customer) *gatehouse.Customer { c.DeletedAt = ptr(t0); return c }
			guest := func(c *gatehouse.Customer) *gatehouse.Customer { c.HasAccount = false; return c }
			named := func(name string, c *gatehouse.Customer) *gatehouse.Customer { c.UserName = ptr(name); return c }
			for _, tc := range []struct {
				name          string
				first, second *gatehouse.Customer
				want          string // the duplicate message, or "" for no error
			}{
				{"two registered, one email", newCustomer("reg@example.com"), newCustomer("reg@example.com"),
					"A customer with this email already exists."},
				{"two guests, one email", guest(newCustomer("guest@example.com")), guest(newCustomer("guest@example.com")), ""},
				{"a guest and a registered, one email", guest(newCustomer("mixed@example.com")), newCustomer("mixed@example.com"), ""},
				{"email of a deleted registered customer", deleted(newCustomer("gone@example.com")), newCustomer("gone@example.com"), ""},
				{"user name in another case", named("Bob", newCustomer("bob1@example.com")), named("bOB", newCustomer("bob2@example.com")),
					"A customer with this user name already exists."},
				{"user name of a deleted customer", deleted(named("carl", newCustomer("carl1@example.com"))), named("carl", newCustomer("carl2@example.com")), ""},
				{"same id", newCustomer("id1@example.com"), nil, "Customer already exists."},
			} {
				t.Run(tc.name, func(t *testing.T) {
					ctx := t.Context()
					mustNoError(t, s.CreateCustomer(ctx, tc.first))
					second := tc.second
					if second == nil {
						second = newCustomer("id2@example.com")
						second.ID = tc.first.ID
					}
					err := s.CreateCustomer(ctx, second)
					if tc.want == "" {
						mustNoError(t, err)
						return
					}
					wantDuplicate(t, err, tc.want)
				})
			}
		})

		t.Run("update", func(t *testing.T) {
			ctx := t.Context()
			c := mustCreateCustomer(t, s, newCustomer("upd@example.com"))
			c.FirstName = ptr("Updated")
			c.Metadata = map[string]any{"v": 2.0}
			c.Attributes = []gatehouse.CustomerAttribute{{AttributeDefinitionID: 9, FullyQualifiedName: "x", Values: []any{"y"}}}
			c.IsActive = false
			c.UpdatedAt = t0.Add(time.Hour)
			want := *c
			c.CreatedAt = t0.Add(time.Hour) // not written
			mustNoError(t, s.UpdateCustomer(ctx, c))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, &want) {
				t.Errorf("after update =\n%+v\nwant\n%+v", got, &want)
			}
		})

		t.Run("update to a taken email", func(t *testing.T) {
			ctx := t.Context()
			mustCreateCustomer(t, s, newCustomer("taken@example.com"))
			c := mustCreateCustomer(t, s, newCustomer("free@example.com"))
			c.Email = ptr("taken@example.com")
			wantDuplicate(t, s.UpdateCustomer(ctx, c), "A customer with this email already exists.")
		})

		// Soft delete hides the customer.
		t.Run("soft delete", func(t *testing.T) {
			ctx := t.Context()
			c := mustCreateCustomer(t, s, newCustomer("del@example.com"))
			c.DeletedAt = ptr(t0)
			mustNoError(t, s.UpdateCustomer(ctx, c))
			_, err := s.Customer(ctx, c.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
		})

		t.Run("not found", func(t *testing.T) {
			ctx := t.Context()
			_, err := s.Customer(ctx, "nope")
			wantCode(t, err, gatehouse.CodeNotFound)
			wantCode(t, s.UpdateCustomer(ctx, newCustomer("ghost@example.com")), gatehouse.CodeNotFound)
		})
	})
}
