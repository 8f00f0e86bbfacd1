package auth

import (
	"context"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CustomerFields are the fields a customer may set on itself. A field whose
// Set is false is left as it is.
type CustomerFields struct {
	FirstName        gatehouse.Opt[*string]
	LastName         gatehouse.Opt[*string]
	CompanyName      gatehouse.Opt[*string]
	Phone            gatehouse.Opt[*string]
	AcceptsMarketing gatehouse.Opt[*bool]
	LocaleCode       gatehouse.Opt[*string]
	UserName         gatehouse.Opt[*string]
	Metadata         gatehouse.Opt[map[string]any]
}

// apply writes f onto c, validating every field.
func (f CustomerFields) apply(c *gatehouse.Customer) error {
	for _, t := range []struct {
		dst   **string
		o     gatehouse.Opt[*string]
		field string
	}{
		{&c.FirstName, f.FirstName, "firstName"},
		{&c.LastName, f.LastName, "lastName"},
		{&c.CompanyName, f.CompanyName, "companyName"},
		{&c.Phone, f.Phone, "phone"},
		{&c.LocaleCode, f.LocaleCode, "localeCode"},
		{&c.UserName, f.UserName, "userName"},
	} {
		if err := text(t.dst, t.o, t.field); err != nil {
			return err
		}
	}
	if c.UserName != nil && (strings.ContainsAny(*c.UserName, " \t") || strings.Contains(*c.UserName, "@")) {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField([]string{"userName"}), "A user name has no spaces and no @.")
	}
	flag(&c.AcceptsMarketing, f.AcceptsMarketing)
	md, err := mergeMetadata(c.Metadata, f.Metadata, "metadata")
	if err != nil {
		return err
	}
	c.Metadata = md
	return nil
}

// CreateCustomer creates the customer of a CUSTOMER registration token and
// links the token's identity to it, in one transaction. The email comes
// from the identity.
func (s *Service) CreateCustomer(ctx context.Context, cred Credential, in CustomerFields) (*gatehouse.Customer, error) {
	var c *gatehouse.Customer
	err := s.registerActor(ctx, cred, gatehouse.ActorCustomer, func(st Store, authIdentityID, email string, verified bool, now time.Time) (string, error) {
		c = &gatehouse.Customer{
			ID:         gatehouse.NewID(gatehouse.PrefixCustomer),
			HasAccount: true,
			IsActive:   true,
			// A provider-verified email, or one a link or code proved.
			EmailVerified: verified && email != "",
			Metadata:      map[string]any{},
			Attributes:    []gatehouse.CustomerAttribute{},
			CreatedAt:     now,
			UpdatedAt:     now,
		}
		if email != "" {
			c.Email = &email
		}
		if err := in.apply(c); err != nil {
			return "", err
		}
		if err := st.CreateCustomer(ctx, c); err != nil {
			return "", err
		}
		payload := map[string]any{"customer_id": c.ID, "email": c.Email}
		// A registration that presented an anonymous shopper's token:
		// the new customer takes the shopper's data over.
		a, err := st.AuthIdentity(ctx, authIdentityID)
		if err != nil {
			return "", err
		}
		if anon, _ := a.AppMetadata[pendingMergeKey].(string); anon != "" {
			moved, err := s.absorbPending(ctx, st, anon, c.ID, now)
			if err != nil {
				return "", err
			}
			if c, err = st.Customer(ctx, c.ID); err != nil {
				return "", err
			}
			payload["merged_anonymous_user_id"], payload["addresses_moved"] = anon, moved
		}
		return c.ID, s.emit(ctx, st, gatehouse.Event{
			Name: gatehouse.EventCustomerCreated, ActorType: gatehouse.ActorCustomer, AuthIdentityID: authIdentityID,
			Payload: payload,
		})
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CurrentCustomer returns the customer of a linked CUSTOMER token.
func (s *Service) CurrentCustomer(ctx context.Context, cred Credential) (*gatehouse.Customer, error) {
	if cred.Bearer == "" && cred.Cookies[gatehouse.ActorCustomer] != "" {
		p, err := s.principal(ctx, cred, gatehouse.ActorCustomer, enrolling)
		if err != nil {
			return nil, err
		}
		c, err := s.store.Customer(ctx, p.ActorID)
		return c, revokedIfMissing(err)
	}
	// A bearer token names its session and customer: both are read in
	// one statement.
	claims, err := s.verify(cred.Bearer)
	if err != nil {
		return nil, err
	}
	sess, c, err := s.store.SessionCustomer(ctx, claims.SessionID, claims.ActorID)
	if err := s.checkSession(claims, sess, err); err != nil {
		return nil, err
	}
	p := &principal{AuthIdentityID: claims.AuthIdentityID, ActorType: gatehouse.ActorType(claims.ActorType), ActorID: claims.ActorID}
	if err := p.may(gatehouse.ActorCustomer, linked); err != nil {
		return nil, err
	}
	if c == nil {
		return nil, gatehouse.Unauthenticated(gatehouse.ReasonRevoked, nil)
	}
	return c, nil
}

// UpdateCustomer changes the signed-in customer.
func (s *Service) UpdateCustomer(ctx context.Context, cred Credential, in CustomerFields) (*gatehouse.Customer, error) {
	claims, err := s.principal(ctx, cred, gatehouse.ActorCustomer, linked)
	if err != nil {
		return nil, err
	}
	var c *gatehouse.Customer
	err = s.store.Tx(ctx, func(st Store) error {
		found, err := st.Customer(ctx, claims.ActorID)
		if err != nil {
			return revokedIfMissing(err)
		}
		c = found
		if err := in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		return st.UpdateCustomer(ctx, c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}
