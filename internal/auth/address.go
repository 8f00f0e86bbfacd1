package auth

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// AddressFields are the fields of an address. A field whose Set is false is
// left as it is.
type AddressFields struct {
	AddressName       gatehouse.Opt[*string]
	IsDefaultShipping gatehouse.Opt[*bool]
	IsDefaultBilling  gatehouse.Opt[*bool]
	Company           gatehouse.Opt[*string]
	FirstName         gatehouse.Opt[*string]
	LastName          gatehouse.Opt[*string]
	Address1          gatehouse.Opt[*string]
	Address2          gatehouse.Opt[*string]
	City              gatehouse.Opt[*string]
	CountryCode       gatehouse.Opt[*string]
	Province          gatehouse.Opt[*string]
	PostalCode        gatehouse.Opt[*string]
	Phone             gatehouse.Opt[*string]
	Metadata          gatehouse.Opt[map[string]any]
}

// apply writes f onto a and the default address ids onto c.
func (f AddressFields) apply(a *gatehouse.Address, c *gatehouse.Customer) error {
	for _, t := range []struct {
		dst   **string
		o     gatehouse.Opt[*string]
		field string
	}{
		{&a.AddressName, f.AddressName, "addressName"},
		{&a.Company, f.Company, "company"},
		{&a.FirstName, f.FirstName, "firstName"},
		{&a.LastName, f.LastName, "lastName"},
		{&a.Address1, f.Address1, "address1"},
		{&a.Address2, f.Address2, "address2"},
		{&a.City, f.City, "city"},
		{&a.CountryCode, f.CountryCode, "countryCode"},
		{&a.Province, f.Province, "province"},
		{&a.PostalCode, f.PostalCode, "postalCode"},
		{&a.Phone, f.Phone, "phone"},
	} {
		if err := text(t.dst, t.o, t.field); err != nil {
			return err
		}
	}
	if a.CountryCode != nil {
		cc := strings.ToLower(*a.CountryCode)
		if len(cc) != 2 || cc[0] < 'a' || cc[0] > 'z' || cc[1] < 'a' || cc[1] > 'z' {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField([]string{"countryCode"}), "A country code is two letters (ISO 3166-1 alpha-2).")
		}
		a.CountryCode = &cc
	}
	if a.Province != nil {
		p := strings.ToLower(*a.Province)
		a.Province = &p
	}
	md, err := mergeMetadata(a.Metadata, f.Metadata, "metadata")
	if err != nil {
		return err
	}
	a.Metadata = md
	setDefault(&c.DefaultShippingAddressID, a.ID, f.IsDefaultShipping)
	setDefault(&c.DefaultBillingAddressID, a.ID, f.IsDefaultBilling)
	a.MarkDefaults(c)
	return nil
}

// setDefault makes id the default (true) or stops it being so (false).
func setDefault(dst **string, id string, o gatehouse.Opt[*bool]) {
	if !o.Set {
		return
	}
	switch {
	case deref(o.Value):
		*dst = &id
	case *dst != nil && **dst == id:
		*dst = nil
	}
}

// Addresses lists a customer's addresses, with their default flags.
func (s *Service) Addresses(ctx context.Context, c *gatehouse.Customer) ([]*gatehouse.Address, error) {
	as, err := s.store.Addresses(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		a.MarkDefaults(c)
	}
	return as, nil
}

// AddAddress adds an address to the signed-in customer.
func (s *Service) AddAddress(ctx context.Context, cred Credential, in AddressFields) (*gatehouse.Address, *gatehouse.Customer, error) {
	return s.changeAddress(ctx, cred, func(ctx context.Context, st Store, c *gatehouse.Customer) (*gatehouse.Address, error) {
		existing, err := st.Addresses(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		if len(existing) >= maxAddresses {
			return nil, gatehouse.Errorf(gatehouse.CodeNotAllowed, "A customer has at most %d addresses.", maxAddresses)
		}
		now := s.clock()
		a := &gatehouse.Address{
			ID:         gatehouse.NewID(gatehouse.PrefixAddress),
			CustomerID: c.ID,
			Metadata:   map[string]any{},
			CreatedAt:  now,
			UpdatedAt:  now,
		}
		if err := in.apply(a, c); err != nil {
			return nil, err
		}
		return a, st.CreateAddress(ctx, a)
	})
}

// UpdateAddress changes an address of the signed-in customer. Another
// customer's address is NOT_FOUND.
func (s *Service) UpdateAddress(ctx context.Context, cred Credential, id string, in AddressFields) (*gatehouse.Address, *gatehouse.Customer, error) {
	return s.changeAddress(ctx, cred, func(ctx context.Context, st Store, c *gatehouse.Customer) (*gatehouse.Address, error) {
		a, err := st.Address(ctx, c.ID, id)
		if err != nil {
			return nil, addressNotFound(err)
		}
		if err := in.apply(a, c); err != nil {
			return nil, err
		}
		a.UpdatedAt = s.clock()
		return a, st.UpdateAddress(ctx, a)
	})
}

// DeleteAddress deletes an address of the signed-in customer and returns
// the customer after it. Another customer's address is NOT_FOUND.
func (s *Service) DeleteAddress(ctx context.Context, cred Credential, id string) (*gatehouse.Customer, error) {
	_, c, err := s.changeAddress(ctx, cred, func(ctx context.Context, st Store, c *gatehouse.Customer) (*gatehouse.Address, error) {
		if err := st.DeleteAddress(ctx, c.ID, id); err != nil {
			return nil, addressNotFound(err)
		}
		// The foreign keys cleared any default that pointed at it.
		for _, d := range []**string{&c.DefaultBillingAddressID, &c.DefaultShippingAddressID} {
			if *d != nil && **d == id {
				*d = nil
			}
		}
		return nil, nil
	})
	return c, err
}

// changeAddress runs change on the signed-in customer in one transaction and
// saves the customer (whose default address ids change may have moved).
func (s *Service) changeAddress(ctx context.Context, cred Credential, change func(context.Context, Store, *gatehouse.Customer) (*gatehouse.Address, error)) (*gatehouse.Address, *gatehouse.Customer, error) {
	claims, err := s.principal(ctx, cred, gatehouse.ActorCustomer, linked)
	if err != nil {
		return nil, nil, err
	}
	var a *gatehouse.Address
	var c *gatehouse.Customer
	err = s.store.Tx(ctx, func(st Store) error {
		found, err := st.Customer(ctx, claims.ActorID)
		if err != nil {
			return revokedIfMissing(err)
		}
		c = found
		if a, err = change(ctx, st, c); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		return st.UpdateCustomer(ctx, c)
	})
	if err != nil {
		return nil, nil, err
	}
	return a, c, nil
}

func addressNotFound(err error) error {
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return gatehouse.FieldError(gatehouse.CodeNotFound, []string{"id"}, "No such address.")
	}
	return err
}
