package auth

import (
	"context"

	"golang.org/x/text/language"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// AdminCustomerFields are what an admin may set on a customer: the
// customer's own fields but the user name, and the account fields.
type AdminCustomerFields struct {
	CustomerFields
	AccountType gatehouse.Opt[*string]
	CustomerSet gatehouse.Opt[*string]
	ExternalID  gatehouse.Opt[*string]
	TaxID       gatehouse.Opt[*string]
	TaxExempt   gatehouse.Opt[*bool]
	Attributes  gatehouse.Opt[[]gatehouse.CustomerAttribute]
}

// Customers searches, filters and orders the customers, a page at a time,
// for an admin who reads customers.
func (s *Service) Customers(ctx context.Context, adm *Admin, f gatehouse.CustomerFilter, o gatehouse.CustomerOrder, p gatehouse.Page) (gatehouse.CustomerPage, error) {
	if err := adm.require(gatehouse.PermViewCustomers); err != nil {
		return gatehouse.CustomerPage{}, err
	}
	return s.store.SearchCustomers(ctx, f, o, p, s.clock())
}

// CustomerIdentities lists a customer's provider identities, for a field
// of a customer the caller could already read.
func (s *Service) CustomerIdentities(ctx context.Context, c *gatehouse.Customer) ([]*gatehouse.ProviderIdentity, error) {
	return s.Identities(ctx, gatehouse.ActorCustomer, c.ID)
}

// UpdateCustomerAsAdmin changes a customer for an admin who manages
// customers.
func (s *Service) UpdateCustomerAsAdmin(ctx context.Context, adm *Admin, id string, in AdminCustomerFields) (*gatehouse.Customer, error) {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return nil, err
	}
	var c *gatehouse.Customer
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if c, err = st.Customer(ctx, id); err != nil {
			return asField(err, "id")
		}
		if err := in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		if err := st.UpdateCustomer(ctx, c); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventCustomerUpdated, c.ID, map[string]any{"customer_id": c.ID})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (f AdminCustomerFields) apply(c *gatehouse.Customer) error {
	if err := f.CustomerFields.apply(c); err != nil {
		return err
	}
	if c.LocaleCode != nil {
		tag, err := language.Parse(*c.LocaleCode)
		if err != nil {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "localeCode"}, "A locale is a BCP 47 tag, such as en-US.")
		}
		canon := tag.String()
		c.LocaleCode = &canon
	}
	for _, t := range []struct {
		dst   **string
		o     gatehouse.Opt[*string]
		field string
	}{
		{&c.AccountType, f.AccountType, "accountType"},
		{&c.CustomerSet, f.CustomerSet, "customerSet"},
		{&c.ExternalID, f.ExternalID, "externalId"},
		{&c.TaxID, f.TaxID, "taxId"},
	} {
		if err := text(t.dst, t.o, t.field); err != nil {
			return err
		}
	}
	flag(&c.TaxExempt, f.TaxExempt)
	if f.Attributes.Set {
		attrs := f.Attributes.Value
		if attrs == nil {
			attrs = []gatehouse.CustomerAttribute{}
		}
		if len(attrs) > 100 {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "attributes"}, "At most 100 attributes.")
		}
		for _, a := range attrs {
			if a.FullyQualifiedName == "" || len(a.FullyQualifiedName) > maxTextLength {
				return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "attributes"}, "Each attribute needs a fully qualified name of at most %d characters.", maxTextLength)
			}
		}
		c.Attributes = attrs
	}
	return nil
}

// DeactivateCustomer stops a customer from signing in (isActive false) and
// ends their sessions, in one transaction; reason is recorded in the audit
// trail.
func (s *Service) DeactivateCustomer(ctx context.Context, adm *Admin, id string, reason *string) (*gatehouse.Customer, error) {
	return s.setCustomerActive(ctx, adm, id, false, reason)
}

// ReactivateCustomer lets a deactivated customer sign in again.
func (s *Service) ReactivateCustomer(ctx context.Context, adm *Admin, id string) (*gatehouse.Customer, error) {
	return s.setCustomerActive(ctx, adm, id, true, nil)
}

func (s *Service) setCustomerActive(ctx context.Context, adm *Admin, id string, active bool, reason *string) (*gatehouse.Customer, error) {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return nil, err
	}
	var why *string
	if err := text(&why, gatehouse.Some(reason), "reason"); err != nil {
		return nil, err
	}
	var c *gatehouse.Customer
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if c, err = st.Customer(ctx, id); err != nil {
			return asField(err, "id")
		}
		now := s.clock()
		c.IsActive, c.UpdatedAt = active, now
		if err := st.UpdateCustomer(ctx, c); err != nil {
			return err
		}
		name, payload := gatehouse.EventCustomerReactivated, map[string]any{"customer_id": c.ID}
		if !active {
			name, payload["reason"] = gatehouse.EventCustomerDeactivated, deref(why)
			n, err := s.revokeActorSessions(ctx, st, gatehouse.ActorCustomer, c.ID, gatehouse.RevokedDeactivated, now)
			if err != nil {
				return err
			}
			payload["revoked_sessions"] = n
		}
		return s.adminEvent(ctx, st, adm, name, c.ID, payload)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
