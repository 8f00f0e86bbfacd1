package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// DeviceSession is one live session in the list of an identity's
// sessions, one a device: Current marks the session the request acts
// through.
type DeviceSession struct {
	*gatehouse.Session
	Current bool
}

// MySessions lists the live sessions of the signed-in customer or user,
// newest first (at most 100), the request's own marked Current.
func (s *Service) MySessions(ctx context.Context, cred Credential, actor gatehouse.ActorType) ([]DeviceSession, error) {
	p, err := s.principal(ctx, cred, actor, enrolling)
	if err != nil {
		return nil, err
	}
	return s.deviceSessions(ctx, p.AuthIdentityID, p.SessionID)
}

// SessionsOfActor lists the live sessions of a customer or user, newest
// first, marking currentSessionID's ("" for none) Current: for a field of
// a customer or user the caller could already read. An actor without an
// identity has none.
func (s *Service) SessionsOfActor(ctx context.Context, actor gatehouse.ActorType, actorID string, currentSessionID string) ([]DeviceSession, error) {
	a, err := s.store.AuthIdentityByActor(ctx, actor, actorID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return []DeviceSession{}, nil
	case err != nil:
		return nil, err
	}
	return s.deviceSessions(ctx, a.ID, currentSessionID)
}

// SessionsFor lists the live sessions of a customer or user for a field of
// that customer or user: the account itself reads them, its own session
// marked Current; anyone else must be an admin user holding perm
// (MANAGE_CUSTOMERS for a customer's, MANAGE_USERS for a user's), for whom
// none is Current. The check is made here, not by the field's parent, as
// a customer or user appears in more answers than the ones that admit it.
func (s *Service) SessionsFor(ctx context.Context, cred Credential, actor gatehouse.ActorType, actorID string) ([]DeviceSession, error) {
	// The account reads its own even below the second-factor policy.
	if p, err := s.principal(ctx, cred, actor, enrolling); err == nil && p.ActorID == actorID {
		return s.deviceSessions(ctx, p.AuthIdentityID, p.SessionID)
	}
	perm := gatehouse.PermManageCustomers
	if actor == gatehouse.ActorUser {
		perm = gatehouse.PermManageUsers
	}
	if _, err := s.Authorize(ctx, cred, perm); err != nil {
		return nil, err
	}
	return s.SessionsOfActor(ctx, actor, actorID, "")
}

// RevokeSession ends one of the caller's own sessions, the current one
// too if it names it, and returns how many it ended (1). Another
// identity's session is NOT_FOUND, as is one already ended: nothing tells
// whether a session id exists elsewhere. actor names the session cookie
// that authenticates the request; nil takes the bearer token's actor, or
// the one cookie sent (credentialActor).
func (s *Service) RevokeSession(ctx context.Context, cred Credential, actor *gatehouse.ActorType, sessionID string) (int, error) {
	p, err := s.principal(ctx, cred, s.credentialActorOf(cred, actor), linked)
	if err != nil {
		return 0, err
	}
	if sessionID != p.SessionID {
		if err := p.notImpersonating("end the customer's other sessions"); err != nil {
			return 0, err
		}
	}
	if err := s.revokeOne(ctx, s.store, p.AuthIdentityID, sessionID, gatehouse.RevokedByUser); err != nil {
		return 0, err
	}
	return 1, nil
}

// CustomerSessions lists a customer's live sessions for an admin user,
// newest first; none is Current (an admin acts through their own). An
// unknown customer is NOT_FOUND.
func (s *Service) CustomerSessions(ctx context.Context, adm *Admin, customerID string) ([]DeviceSession, error) {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return nil, err
	}
	if _, err := s.store.Customer(ctx, customerID); err != nil {
		return nil, asField(err, "customerId")
	}
	return s.SessionsOfActor(ctx, gatehouse.ActorCustomer, customerID, "")
}

// RevokeCustomerSessions ends a customer's session sessionID, or every
// session of the customer when sessionID is nil, for an admin user, and
// returns how many ended. An unknown customer, or a session that is not
// the customer's live one, is NOT_FOUND.
func (s *Service) RevokeCustomerSessions(ctx context.Context, adm *Admin, customerID string, sessionID *string) (int, error) {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return 0, err
	}
	n := 0
	err := s.store.Tx(ctx, func(st Store) error {
		if _, err := st.Customer(ctx, customerID); err != nil {
			return asField(err, "customerId")
		}
		a, err := st.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, customerID)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound && sessionID != nil:
			// No identity, so no session of it.
			return noSuchSession()
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
			// Never signed in: nothing to end.
		case err != nil:
			return err
		case sessionID != nil:
			if err := s.revokeOne(ctx, st, a.ID, *sessionID, gatehouse.RevokedByAdmin); err != nil {
				return err
			}
			n = 1
		default:
			if n, err = st.RevokeSessions(ctx, a.ID, "", gatehouse.RevokedByAdmin, s.clock()); err != nil {
				return err
			}
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventCustomerSessionsRevoked, customerID, map[string]any{
			"customer_id": customerID, "session_id": sessionID, "revoked_sessions": n,
		})
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// deviceSessions lists an identity's live sessions, marking current's.
func (s *Service) deviceSessions(ctx context.Context, authIdentityID, current string) ([]DeviceSession, error) {
	ss, err := s.store.SessionsOf(ctx, authIdentityID, s.clock())
	if err != nil {
		return nil, err
	}
	out := make([]DeviceSession, len(ss))
	for i, sess := range ss {
		out[i] = DeviceSession{Session: sess, Current: current != "" && sess.ID == current}
	}
	return out, nil
}

// revokeOne ends the identity's live session sessionID; NOT_FOUND when the
// identity has no such live session.
func (s *Service) revokeOne(ctx context.Context, st Store, authIdentityID, sessionID, reason string) error {
	// "" would make RevokeSessions end every session of the identity.
	if sessionID == "" {
		return noSuchSession()
	}
	sess, err := st.Session(ctx, sessionID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return noSuchSession()
	case err != nil:
		return err
	case sess.AuthIdentityID != authIdentityID || sess.State(s.clock()) != gatehouse.SessionLive:
		return noSuchSession()
	}
	n, err := st.RevokeSessions(ctx, authIdentityID, sessionID, reason, s.clock())
	if err != nil {
		return err
	}
	if n == 0 {
		// Ended by a racing request since it was loaded.
		return noSuchSession()
	}
	return nil
}

func noSuchSession() error {
	return gatehouse.FieldError(gatehouse.CodeNotFound, []string{"sessionId"}, "No such session.")
}
