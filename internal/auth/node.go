package auth

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Node loads the object a global id names, for node(id:), with the access
// its own field has: the signed-in customer or user reads their own
// (customer, addresses, identities, sessions; user, sessions); anyone else
// must be an admin user holding the permission that field needs, and is
// FORBIDDEN without it whether or not the id exists. An id that names
// nothing, or nothing of a Node type, answers nil. The answer is one of
// *gatehouse.Customer, *gatehouse.Address, *gatehouse.ProviderIdentity,
// *gatehouse.User, *gatehouse.Invite, *gatehouse.Role, *DeviceSession,
// *gatehouse.Event and *gatehouse.WebhookEndpoint.
func (s *Service) Node(ctx context.Context, cred Credential, id string) (any, error) {
	prefix, _, ok := strings.Cut(id, "_")
	if !ok {
		return nil, nil
	}
	var self *principal
	switch prefix {
	case gatehouse.PrefixCustomer, gatehouse.PrefixAddress, gatehouse.PrefixProviderIdentity, gatehouse.PrefixSession, gatehouse.PrefixUser:
		// Types one may read as oneself; the others are admins' alone.
		self = s.self(ctx, cred)
	}
	switch prefix {
	case gatehouse.PrefixCustomer:
		if !self.is(gatehouse.ActorCustomer, id) {
			if err := s.admit(ctx, cred, gatehouse.PermViewCustomers); err != nil {
				return nil, err
			}
		}
		return found(s.store.Customer(ctx, id))
	case gatehouse.PrefixAddress:
		a, err := found(s.store.AddressByID(ctx, id))
		if err != nil {
			return nil, err
		}
		if a == nil || !self.is(gatehouse.ActorCustomer, a.CustomerID) {
			if err := s.admit(ctx, cred, gatehouse.PermViewCustomers); err != nil {
				return nil, err
			}
		}
		return a, nil
	case gatehouse.PrefixProviderIdentity:
		p, err := found(s.store.ProviderIdentityByID(ctx, id))
		if err != nil {
			return nil, err
		}
		if p == nil || self == nil || self.AuthIdentityID != p.AuthIdentityID {
			if err := s.admit(ctx, cred, s.identityPermission(ctx, p)); err != nil {
				return nil, err
			}
		}
		return p, nil
	case gatehouse.PrefixSession:
		sess, err := found(s.store.Session(ctx, id))
		if err != nil {
			return nil, err
		}
		if sess != nil && sess.State(s.clock()) != gatehouse.SessionLive {
			sess = nil // ended sessions are no longer anyone's to see
		}
		if sess == nil || self == nil || self.AuthIdentityID != sess.AuthIdentityID {
			perm := gatehouse.PermManageCustomers
			if sess != nil && sess.ActorType == gatehouse.ActorUser {
				perm = gatehouse.PermManageUsers
			}
			if err := s.admit(ctx, cred, perm); err != nil {
				return nil, err
			}
		}
		if sess == nil {
			return nil, nil
		}
		return &DeviceSession{Session: sess, Current: self != nil && self.SessionID == sess.ID}, nil
	case gatehouse.PrefixUser:
		if !self.is(gatehouse.ActorUser, id) {
			if err := s.admit(ctx, cred, gatehouse.PermManageUsers); err != nil {
				return nil, err
			}
		}
		return found(s.store.User(ctx, id))
	case gatehouse.PrefixInvite:
		if err := s.admit(ctx, cred, gatehouse.PermManageUsers); err != nil {
			return nil, err
		}
		return found(s.store.Invite(ctx, id))
	case gatehouse.PrefixRole:
		if err := s.admit(ctx, cred, gatehouse.PermManageRoles, gatehouse.PermManageUsers); err != nil {
			return nil, err
		}
		return found(s.store.Role(ctx, id))
	case gatehouse.PrefixEvent:
		if err := s.admit(ctx, cred, gatehouse.PermViewAudit); err != nil {
			return nil, err
		}
		return found(s.store.Event(ctx, id))
	case gatehouse.PrefixWebhookEndpoint:
		if err := s.admit(ctx, cred, gatehouse.PermManageWebhooks); err != nil {
			return nil, err
		}
		return found(s.store.WebhookEndpoint(ctx, id))
	}
	return nil, nil
}

// self is the signed-in customer or user the credential acts for; nil for
// none (an admin's own account counts: a user reads themself).
func (s *Service) self(ctx context.Context, cred Credential) *principal {
	p, err := s.principal(ctx, cred, s.credentialActor(cred, ""), linked)
	if err != nil {
		return nil
	}
	return p
}

// is reports whether the principal acts for the actor id of actor type.
func (p *principal) is(actor gatehouse.ActorType, id string) bool {
	return p != nil && p.ActorType == actor && p.ActorID == id
}

// admit is Authorize for a caller that is not the owner.
func (s *Service) admit(ctx context.Context, cred Credential, anyOf ...gatehouse.Permission) error {
	_, err := s.Authorize(ctx, cred, anyOf...)
	return err
}

// identityPermission is what reading another's provider identity needs:
// VIEW_CUSTOMERS for a customer's (and an unknown one), MANAGE_USERS for a
// user's.
func (s *Service) identityPermission(ctx context.Context, p *gatehouse.ProviderIdentity) gatehouse.Permission {
	if p != nil {
		if a, err := s.store.AuthIdentity(ctx, p.AuthIdentityID); err == nil && a.ActorType == gatehouse.ActorUser {
			return gatehouse.PermManageUsers
		}
	}
	return gatehouse.PermViewCustomers
}

// found turns a load's NOT_FOUND into nil, nil.
func found[T any](v *T, err error) (*T, error) {
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}
