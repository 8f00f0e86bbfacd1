package store_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestAddresses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)

		// Create, list, load, update and delete an address.
		t.Run("lifecycle", func(t *testing.T) {
			ctx := t.Context()
			c := mustCreateCustomer(t, s, newCustomer("addr@example.com"))
			home := newAddress(c.ID, "home")
			home.Company, home.FirstName, home.LastName = ptr("Acme"), ptr("Ann"), ptr("Lee")
			home.Address1, home.Address2, home.City = ptr("1 Main St"), ptr("Apt 2"), ptr("Springfield")
			home.CountryCode, home.Province, home.PostalCode, home.Phone = ptr("US"), ptr("IL"), ptr("62701"), ptr("555")
			home.Metadata = map[string]any{"door": "blue"}
			work := newAddress(c.ID, "work")
			work.CreatedAt = t0.Add(time.Second)
			mustNoError(t, s.CreateAddress(ctx, work))
			mustNoError(t, s.CreateAddress(ctx, home))

			list, err := s.Addresses(ctx, c.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(list, []*gatehouse.Address{home, work}) {
				t.Errorf("Addresses = %+v, want home then work", list)
			}

			home.City = ptr("Shelbyville")
			home.UpdatedAt = t0.Add(time.Hour)
			mustNoError(t, s.UpdateAddress(ctx, home))
			got, err := s.Address(ctx, c.ID, home.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, home) {
				t.Errorf("Address after update =\n%+v\nwant\n%+v", got, home)
			}

			mustNoError(t, s.DeleteAddress(ctx, c.ID, home.ID))
			_, err = s.Address(ctx, c.ID, home.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			wantCode(t, s.DeleteAddress(ctx, c.ID, home.ID), gatehouse.CodeNotFound)
		})

		t.Run("another customer's address", func(t *testing.T) {
			owner := mustCreateCustomer(t, s, newCustomer("owner@example.com"))
			other := mustCreateCustomer(t, s, newCustomer("other@example.com"))
			a := newAddress(owner.ID, "mine")
			mustNoError(t, s.CreateAddress(t.Context(), a))

			for _, tc := range []struct {
				name string
				call func() error
			}{
				{"Address", func() error { _, err := s.Address(t.Context(), other.ID, a.ID); return err }},
				{"UpdateAddress", func() error {
					stolen := *a
					stolen.CustomerID, stolen.AddressName = other.ID, ptr("stolen")
					return s.UpdateAddress(t.Context(), &stolen)
				}},
				{"DeleteAddress", func() error { return s.DeleteAddress(t.Context(), other.ID, a.ID) }},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantCode(t, tc.call(), gatehouse.CodeNotFound)
					got, err := s.Address(t.Context(), owner.ID, a.ID)
					mustNoError(t, err)
					if !reflect.DeepEqual(got, a) {
						t.Errorf("address changed: %+v, want %+v", got, a)
					}
				})
			}
			list, err := s.Addresses(t.Context(), other.ID)
			mustNoError(t, err)
			if len(list) != 0 {
				t.Errorf("other customer's Addresses = %+v, want none", list)
			}
		})

		t.Run("defaults", func(t *testing.T) {
			ctx := t.Context()
			c := mustCreateCustomer(t, s, newCustomer("defaults@example.com"))
			billing, shipping := newAddress(c.ID, "billing"), newAddress(c.ID, "shipping")
			mustNoError(t, s.CreateAddress(ctx, billing))
			mustNoError(t, s.CreateAddress(ctx, shipping))
			c.DefaultBillingAddressID, c.DefaultShippingAddressID = &billing.ID, &shipping.ID
			mustNoError(t, s.UpdateCustomer(ctx, c))

			for _, tc := range []struct {
				address                   *gatehouse.Address
				wantBilling, wantShipping bool
			}{
				{billing, true, false},
				{shipping, false, true},
			} {
				got, err := s.Address(ctx, c.ID, tc.address.ID)
				mustNoError(t, err)
				if got.IsDefaultBilling != tc.wantBilling || got.IsDefaultShipping != tc.wantShipping {
					t.Errorf("%s: billing %v shipping %v, want %v %v", *got.AddressName,
						got.IsDefaultBilling, got.IsDefaultShipping, tc.wantBilling, tc.wantShipping)
				}
			}

			// Deleting a default address leaves the customer without one.
			mustNoError(t, s.DeleteAddress(ctx, c.ID, billing.ID))
			got, err := s.Customer(ctx, c.ID)
			mustNoError(t, err)
			if got.DefaultBillingAddressID != nil {
				t.Errorf("DefaultBillingAddressID = %q after its address was deleted, want nil", *got.DefaultBillingAddressID)
			}
			if got.DefaultShippingAddressID == nil || *got.DefaultShippingAddressID != shipping.ID {
				t.Errorf("DefaultShippingAddressID = %v, want %s", got.DefaultShippingAddressID, shipping.ID)
			}
		})

		// Nil metadata reads back empty.
		t.Run("nil metadata", func(t *testing.T) {
			ctx := t.Context()
			c := mustCreateCustomer(t, s, newCustomer("nilmeta@example.com"))
			a := newAddress(c.ID, "bare")
			a.Metadata = nil
			mustNoError(t, s.CreateAddress(ctx, a))
			got, err := s.Address(ctx, c.ID, a.ID)
			mustNoError(t, err)
			if got.Metadata == nil || len(got.Metadata) != 0 {
				t.Errorf("Metadata = %#v, want an empty map", got.Metadata)
			}
		})
	})
}
