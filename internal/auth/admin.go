package auth

import (
	"context"
	"strings"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// pageSize bounds a page of an admin listing.
func pageSize(first int) int {
	switch {
	case first <= 0:
		return 20
	case first > 100:
		return 100
	}
	return first
}

// AuditEvents lists the recent events of an identity, or about a customer
// or user, for an admin user, newest first: first of them (at most 100) older than the event id after. No
// secret is ever returned. It also answers whether more follow.
func (s *Service) AuditEvents(ctx context.Context, adm *Admin, authIdentityID, after string, first int) ([]gatehouse.Event, bool, error) {
	if err := adm.require(gatehouse.PermViewAudit); err != nil {
		return nil, false, err
	}
	ids, err := s.aboutIDs(ctx, authIdentityID)
	if err != nil {
		return nil, false, err
	}
	n := pageSize(first)
	es, err := s.store.EventsAbout(ctx, ids, after, n+1)
	if err != nil {
		return nil, false, err
	}
	if len(es) > n {
		return es[:n], true, nil
	}
	return es, false, nil
}

// DeadDeliveries lists, for an admin user, the events set aside after too
// many failed deliveries.
func (s *Service) DeadDeliveries(ctx context.Context, adm *Admin, after string, first int) ([]gatehouse.DeadDelivery, bool, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, false, err
	}
	n := pageSize(first)
	ds, err := s.store.DeadDeliveries(ctx, after, n+1)
	if err != nil {
		return nil, false, err
	}
	if len(ds) > n {
		return ds[:n], true, nil
	}
	return ds, false, nil
}

// AuditEventCount counts the events AuditEvents pages through for id (an
// identity, customer or user id), for an admin user.
func (s *Service) AuditEventCount(ctx context.Context, adm *Admin, id string) (int, error) {
	if err := adm.require(gatehouse.PermViewAudit); err != nil {
		return 0, err
	}
	ids, err := s.aboutIDs(ctx, id)
	if err != nil {
		return 0, err
	}
	return s.store.EventsAboutCount(ctx, ids)
}

// aboutIDs are the ids whose events make id's trail: a customer's or
// user's own id (what admins did to it) and its identity's (its sign-ins,
// failures, resets); an identity id alone.
func (s *Service) aboutIDs(ctx context.Context, id string) ([]string, error) {
	actor := gatehouse.ActorType("")
	switch prefix, _, _ := strings.Cut(id, "_"); prefix {
	case gatehouse.PrefixCustomer:
		actor = gatehouse.ActorCustomer
	case gatehouse.PrefixUser:
		actor = gatehouse.ActorUser
	default:
		return []string{id}, nil
	}
	a, err := s.store.AuthIdentityByActor(ctx, actor, id)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return []string{id}, nil
	case err != nil:
		return nil, err
	}
	return []string{id, a.ID}, nil
}

// DeadDeliveryCount counts the dead deliveries of every subscriber, for an
// admin user.
func (s *Service) DeadDeliveryCount(ctx context.Context, adm *Admin) (int, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return 0, err
	}
	return s.store.DeadDeliveryCount(ctx)
}

// ReplayDelivery has the dispatcher try a dead delivery again.
func (s *Service) ReplayDelivery(ctx context.Context, adm *Admin, eventID, subscriber string) error {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		if err := st.Replay(ctx, eventID, subscriber, s.clock()); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventDeliveryReplayed, eventID, map[string]any{"event_id": eventID, "subscriber": subscriber})
	})
}

// UnlockCustomer lifts a customer's lockout, for an admin user.
func (s *Service) UnlockCustomer(ctx context.Context, adm *Admin, customerID string) error {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		a, err := st.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, customerID)
		if err != nil {
			return err
		}
		if err := st.Unlock(ctx, a.ID, s.clock()); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventCustomerUnlocked, customerID, map[string]any{"customer_id": customerID})
	})
}

// Customer returns a customer for an admin user; nil when there is none.
// Its isLocked is CustomerLocked's.
func (s *Service) Customer(ctx context.Context, adm *Admin, id string) (*gatehouse.Customer, error) {
	if err := adm.require(gatehouse.PermViewCustomers); err != nil {
		return nil, err
	}
	c, err := s.store.Customer(ctx, id)
	if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CustomerLocked reports whether the customer's identity is locked out
// now, loaded only when an answer selects isLocked.
func (s *Service) CustomerLocked(ctx context.Context, c *gatehouse.Customer) (bool, error) {
	a, err := s.store.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, c.ID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return false, nil
	case err != nil:
		return false, err
	}
	return a.Locked(s.clock()), nil
}

// AuditLog lists the audit trail, newest first, for an admin who reads it:
// first of the events the filter chooses (at most 100) older than the
// event id after, whether more follow, and how many it chooses.
func (s *Service) AuditLog(ctx context.Context, adm *Admin, f gatehouse.AuditFilter, after string, first int) ([]gatehouse.Event, bool, int, error) {
	if err := adm.require(gatehouse.PermViewAudit); err != nil {
		return nil, false, 0, err
	}
	n := pageSize(first)
	es, err := s.store.AuditLog(ctx, f, after, n+1)
	if err != nil {
		return nil, false, 0, err
	}
	total, err := s.store.AuditLogCount(ctx, f)
	if err != nil {
		return nil, false, 0, err
	}
	if len(es) > n {
		return es[:n], true, total, nil
	}
	return es, false, total, nil
}

// UserStatus says whether a user may sign in.
func (s *Service) UserStatus(u *gatehouse.User) gatehouse.UserStatus { return u.Status() }
