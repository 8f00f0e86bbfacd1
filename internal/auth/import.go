package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
)

// ImportedAccount is a customer or admin user moved from another store
// (gatehouse import medusa) with its own ids: the customer's or user's, its
// auth identity's and its provider identities', so that the ids the
// commerce backend's orders and the storefront's tokens hold keep naming
// it. Customer or User is set, by ActorType.
type ImportedAccount struct {
	ActorType gatehouse.ActorType
	Customer  *gatehouse.Customer
	Addresses []*gatehouse.Address
	User      *gatehouse.User
	// AuthIdentityID is "" for an actor with no way to sign in (a guest
	// customer of a past order).
	AuthIdentityID string
	Identities     []ImportedIdentity
}

// ImportedIdentity is one way an imported account signs in.
type ImportedIdentity struct {
	ID       string
	Provider string // emailpass, google, github, …
	// EntityID is the email for emailpass, the provider's subject
	// otherwise.
	EntityID string
	// PasswordHash is emailpass's hash (argon2id, bcrypt or Medusa
	// scrypt), "" for none.
	PasswordHash string
	UserMetadata map[string]any
}

// ID is the imported customer's or user's id.
func (acc ImportedAccount) ID() string {
	if acc.ActorType == gatehouse.ActorUser && acc.User != nil {
		return acc.User.ID
	}
	if acc.Customer != nil {
		return acc.Customer.ID
	}
	return ""
}

// ImportOutcome is what ImportAccount did with one account.
type ImportOutcome string

// Import outcomes.
const (
	Imported ImportOutcome = "imported"
	// AlreadyImported: an account with the id exists; nothing changed.
	AlreadyImported ImportOutcome = "already imported"
)

// ImportAccount creates one imported account in one transaction, keeping
// its ids: the customer (or user), its addresses and default addresses,
// its auth identity and provider identities with their password hashes.
// An account whose id exists is left as it is (AlreadyImported), so that
// a second run changes nothing. A hash in no supported format, an id of
// the wrong kind or an email another account holds fails the account and
// writes nothing of it. With dryRun the work is done and rolled back. No
// event is emitted: an import is not a sign-up.
func (s *Service) ImportAccount(ctx context.Context, acc ImportedAccount, dryRun bool) (ImportOutcome, error) {
	if err := checkImported(&acc); err != nil {
		return "", err
	}
	now := s.clock()
	outcome := Imported
	err := s.store.Tx(ctx, func(st Store) error {
		exists, err := importedExists(ctx, st, acc)
		if err != nil || exists {
			outcome = AlreadyImported
			return err
		}
		if err := s.createImported(ctx, st, acc, now); err != nil {
			return err
		}
		if dryRun {
			return errRollback
		}
		return nil
	})
	if err != nil && !errors.Is(err, errRollback) {
		return "", err
	}
	for _, p := range acc.Identities {
		if p.PasswordHash != "" && outcome == Imported && !dryRun {
			// A sign-in in this process costs, from now, what this
			// hash costs too (see CreateAccount).
			s.decoysFor(ctx, p.PasswordHash)
		}
	}
	return outcome, nil
}

// checkImported normalises the account's emails and refuses what would
// not import: ids of the wrong kind, a malformed email, a hash in no
// supported format.
func checkImported(acc *ImportedAccount) error {
	switch {
	case acc.ActorType == gatehouse.ActorCustomer && (acc.Customer == nil || !gatehouse.HasPrefix(acc.Customer.ID, gatehouse.PrefixCustomer)):
		return gatehouse.Errorf(gatehouse.CodeInvalidInput, "A customer id must start with %s_.", gatehouse.PrefixCustomer)
	case acc.ActorType == gatehouse.ActorUser && (acc.User == nil || !gatehouse.HasPrefix(acc.User.ID, gatehouse.PrefixUser)):
		return gatehouse.Errorf(gatehouse.CodeInvalidInput, "A user id must start with %s_.", gatehouse.PrefixUser)
	case !acc.ActorType.Valid():
		return gatehouse.Errorf(gatehouse.CodeInvalidInput, "Unknown actor type %q.", acc.ActorType)
	case acc.AuthIdentityID == "" && len(acc.Identities) > 0:
		return gatehouse.Errorf(gatehouse.CodeInvalidInput, "Provider identities need an auth identity id.")
	}
	if acc.ActorType == gatehouse.ActorCustomer {
		if e := acc.Customer.Email; e != nil {
			n := gatehouse.NormalizeEmail(*e)
			if err := checkEmail(n, []string{"email"}); err != nil {
				return err
			}
			acc.Customer.Email = &n
		} else if acc.Customer.HasAccount {
			return gatehouse.Errorf(gatehouse.CodeInvalidInput, "A registered customer needs an email.")
		}
	} else {
		acc.User.Email = gatehouse.NormalizeEmail(acc.User.Email)
		if err := checkEmail(acc.User.Email, []string{"email"}); err != nil {
			return err
		}
	}
	for i := range acc.Identities {
		p := &acc.Identities[i]
		if p.ID == "" || p.Provider == "" || p.EntityID == "" {
			return gatehouse.Errorf(gatehouse.CodeInvalidInput, "A provider identity needs an id, a provider and an entity id.")
		}
		if p.Provider != gatehouse.ProviderEmailPass {
			continue
		}
		p.EntityID = gatehouse.NormalizeEmail(p.EntityID)
		if p.PasswordHash != "" {
			if err := password.CheckEncoded(p.PasswordHash); err != nil {
				return gatehouse.Errorf(gatehouse.CodeInvalidInput, "The password hash of %s is not a supported format (argon2id, bcrypt, Medusa scrypt) with acceptable parameters.", p.ID)
			}
		}
	}
	return nil
}

// importedExists reports whether the account's customer or user exists.
func importedExists(ctx context.Context, st Store, acc ImportedAccount) (bool, error) {
	var err error
	if acc.ActorType == gatehouse.ActorUser {
		_, err = st.User(ctx, acc.User.ID)
	} else {
		_, err = st.Customer(ctx, acc.Customer.ID)
	}
	switch gatehouse.ErrorCode(err) {
	case "":
		return true, nil
	case gatehouse.CodeNotFound:
		return false, nil
	}
	return false, err
}

// createImported writes the account in st's transaction.
func (s *Service) createImported(ctx context.Context, st Store, acc ImportedAccount, now time.Time) error {
	id := acc.ID()
	if acc.ActorType == gatehouse.ActorUser {
		u := *acc.User
		u.Metadata = orEmpty(u.Metadata)
		if err := st.CreateUser(ctx, &u); err != nil {
			return err
		}
		// Medusa's admin users have no roles: they are owners, as those
		// `users create` and `users import` make.
		if err := st.SetUserRoles(ctx, u.ID, []string{gatehouse.RoleOwner}, now); err != nil {
			return err
		}
	} else {
		c := *acc.Customer
		c.Metadata, c.IsActive = orEmpty(c.Metadata), true
		if c.Attributes == nil {
			c.Attributes = []gatehouse.CustomerAttribute{}
		}
		c.DefaultBillingAddressID, c.DefaultShippingAddressID = nil, nil
		if err := st.CreateCustomer(ctx, &c); err != nil {
			return err
		}
		for _, ad := range acc.Addresses {
			a := *ad
			a.CustomerID, a.Metadata = c.ID, orEmpty(a.Metadata)
			if err := st.CreateAddress(ctx, &a); err != nil {
				return err
			}
			if a.IsDefaultBilling {
				c.DefaultBillingAddressID = &a.ID
			}
			if a.IsDefaultShipping {
				c.DefaultShippingAddressID = &a.ID
			}
		}
		if c.DefaultBillingAddressID != nil || c.DefaultShippingAddressID != nil {
			if err := st.UpdateCustomer(ctx, &c); err != nil {
				return err
			}
		}
	}
	if acc.AuthIdentityID == "" {
		return nil
	}
	a := &gatehouse.AuthIdentity{ID: acc.AuthIdentityID, ActorType: acc.ActorType,
		AppMetadata: map[string]any{acc.ActorType.MetadataKey(): id}, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateAuthIdentity(ctx, a); err != nil {
		return err
	}
	for _, ip := range acc.Identities {
		md := map[string]any{}
		if ip.PasswordHash != "" {
			md = withPassword(nil, ip.PasswordHash)
		}
		p := &gatehouse.ProviderIdentity{ID: ip.ID, AuthIdentityID: a.ID, ActorType: acc.ActorType, Provider: ip.Provider,
			EntityID: ip.EntityID, ProviderMetadata: md, UserMetadata: orEmpty(ip.UserMetadata), CreatedAt: now, UpdatedAt: now}
		if err := st.CreateProviderIdentity(ctx, p); err != nil {
			return fmt.Errorf("provider identity %s: %w", ip.ID, err)
		}
	}
	return nil
}

// orEmpty is md, or an empty map for nil.
func orEmpty(md map[string]any) map[string]any {
	if md == nil {
		return map[string]any{}
	}
	return md
}
