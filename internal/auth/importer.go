package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/password"
)

// Account is a customer or admin user created from the command line: the
// first admin user, or an account imported with its existing password
// hash.
type Account struct {
	Email     string
	FirstName *string
	LastName  *string
	Phone     *string
	Metadata  map[string]any
	CreatedAt time.Time // zero means now
	// Exactly one of Password and PasswordHash is set. PasswordHash may be
	// argon2id, bcrypt or Medusa's scrypt; it is upgraded at the first
	// sign-in.
	Password     string
	PasswordHash string
}

// CreateAccount creates an actor of the given type together with its
// emailpass identity, in one transaction, and returns the actor's id.
func (s *Service) CreateAccount(ctx context.Context, actor gatehouse.ActorType, acc Account) (string, error) {
	if !actor.Valid() {
		return "", gatehouse.Errorf(gatehouse.CodeInvalidInput, "Unknown actor type %q.", actor)
	}
	email := gatehouse.NormalizeEmail(acc.Email)
	if err := checkEmail(email, []string{"email"}); err != nil {
		return "", err
	}
	hash := acc.PasswordHash
	switch {
	case (acc.Password == "") == (hash == ""):
		return "", gatehouse.Errorf(gatehouse.CodeInvalidInput, "Give exactly one of a password and a password hash.")
	case hash != "":
		if err := password.CheckEncoded(hash); err != nil {
			return "", gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"password_hash"}, "The password hash is not a supported format (argon2id, bcrypt, Medusa scrypt) with acceptable parameters.")
		}
	default:
		if err := checkNewPassword(acc.Password, s.passwordContext(email, acc.FirstName, acc.LastName), []string{"password"}); err != nil {
			return "", err
		}
		var err error
		if hash, err = s.hasher.Hash(ctx, acc.Password); err != nil {
			return "", hashError(err)
		}
	}
	now := s.clock()
	created := now
	if !acc.CreatedAt.IsZero() {
		created = acc.CreatedAt.UTC().Truncate(time.Microsecond)
	}
	md := acc.Metadata
	if md == nil {
		md = map[string]any{}
	}
	var actorID string
	err := s.store.Tx(ctx, func(st Store) error {
		switch actor {
		case gatehouse.ActorCustomer:
			c := &gatehouse.Customer{
				ID: gatehouse.NewID(gatehouse.PrefixCustomer), Email: &email, HasAccount: true, IsActive: true,
				FirstName: acc.FirstName, LastName: acc.LastName, Phone: acc.Phone,
				Metadata: md, Attributes: []gatehouse.CustomerAttribute{}, CreatedAt: created, UpdatedAt: now,
			}
			if err := st.CreateCustomer(ctx, c); err != nil {
				return err
			}
			actorID = c.ID
		case gatehouse.ActorUser:
			u := &gatehouse.User{
				ID: gatehouse.NewID(gatehouse.PrefixUser), Email: email,
				FirstName: acc.FirstName, LastName: acc.LastName,
				Metadata: md, CreatedAt: created, UpdatedAt: now,
			}
			if err := st.CreateUser(ctx, u); err != nil {
				return err
			}
			// The command line is the operator's: its admin users
			// (the first one, and those moved from a store without
			// roles) are owners.
			if err := st.SetUserRoles(ctx, u.ID, []string{gatehouse.RoleOwner}, now); err != nil {
				return err
			}
			actorID = u.ID
		}
		a := &gatehouse.AuthIdentity{
			ID:          gatehouse.NewID(gatehouse.PrefixAuthIdentity),
			ActorType:   actor,
			AppMetadata: map[string]any{actor.MetadataKey(): actorID},
			CreatedAt:   now,
			UpdatedAt:   now,
		}
		p := &gatehouse.ProviderIdentity{
			ID: gatehouse.NewID(gatehouse.PrefixProviderIdentity), AuthIdentityID: a.ID, ActorType: actor,
			Provider: gatehouse.ProviderEmailPass, EntityID: email,
			ProviderMetadata: withPassword(nil, hash), UserMetadata: map[string]any{},
			CreatedAt: now, UpdatedAt: now,
		}
		return st.CreateIdentity(ctx, a, p)
	})
	if err != nil {
		return "", fmt.Errorf("create %s %s: %w", actor, email, err)
	}
	// A sign-in in this process costs, from now, what this hash costs too.
	s.decoysFor(ctx, hash)
	return actorID, nil
}
