package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// KiboCredentials are Kibo's createUserAuthTicket input. Kibo's "user" is
// the shopper (a customer), never an admin user.
type KiboCredentials struct {
	EmailAddress string
	UserName     string
	Password     string
}

// CreateUserAuthTicket signs a customer in by email address or by user
// name (Kibo's CreateUserAuthTicket). Either way an unknown account costs
// the same hashing work as a wrong password and gets the same answer.
func (s *Service) CreateUserAuthTicket(ctx context.Context, cred Credential, in KiboCredentials) (*gatehouse.Ticket, error) {
	bearer := cred.Bearer // these operations act on the bearer token only
	if in.EmailAddress != "" {
		return s.authenticatePassword(ctx, bearer, gatehouse.ActorCustomer, PasswordCredentials{Email: &in.EmailAddress, Password: &in.Password})
	}
	if in.UserName == "" {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "emailAddress"}, "An email address or a user name is required.")
	}
	if err := checkSignInPassword(in.Password); err != nil {
		return nil, err
	}
	p, err := s.providerIdentityByUserName(ctx, in.UserName)
	at, cerr := s.countAttempt(ctx, p, err)
	if cerr != nil {
		return nil, cerr
	}
	if err := s.checkAttempt(ctx, gatehouse.ActorCustomer, p, at, err, in.Password); err != nil {
		return nil, err
	}
	return s.passwordSignedIn(ctx, bearer, p)
}

// providerIdentityByUserName finds the emailpass identity of the customer
// with a user name: the identity whose email is the customer's and which
// is linked to that customer. Anything else is CodeNotFound.
func (s *Service) providerIdentityByUserName(ctx context.Context, userName string) (*gatehouse.ProviderIdentity, error) {
	c, err := s.store.CustomerByUserName(ctx, userName)
	if err != nil {
		return nil, err
	}
	if c.Email == nil || c.IsAnonymous {
		return nil, errNotFound
	}
	p, err := s.store.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, *c.Email)
	if err != nil {
		return nil, err
	}
	a, err := s.store.AuthIdentity(ctx, p.AuthIdentityID)
	if err != nil {
		return nil, err
	}
	if a.ActorID() != c.ID {
		return nil, errNotFound
	}
	return p, nil
}

var errNotFound = gatehouse.Errorf(gatehouse.CodeNotFound, "Not found.")
