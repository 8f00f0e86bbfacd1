package auth

import (
	"context"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Deleting accounts. A customer's deletion is ForgetCustomer in one
// transaction with its customer.deleted event: the identity and all it
// holds go, the customer row stays anonymised (its id and timestamps, for
// the orders that name it), and the audit rows about it keep only ids and
// types. Under GATEHOUSE_DELETION_GRACE a customer's own request is
// scheduled instead: the sessions end, housekeeping deletes when due, a
// sign-in before then cancels it.

// Deletion is what deleteAccount did: deleted now, or scheduled for
// ScheduledFor.
type Deletion struct {
	Deleted      bool
	ScheduledFor *time.Time
}

// DeleteAccount deletes the signed-in customer's or user's account. It
// needs the step-up, for which the current password stands in when the
// identity has no second factor. A user who is the last active owner is
// refused. actor names whose cookie to use when no bearer token is sent.
func (s *Service) DeleteAccount(ctx context.Context, cred Credential, actor gatehouse.ActorType, currentPassword string) (Deletion, error) {
	actor = s.credentialActor(cred, actor)
	p, err := s.principal(ctx, cred, actor, linked)
	if err != nil {
		return Deletion{}, err
	}
	if err := p.notImpersonating("delete the account"); err != nil {
		return Deletion{}, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return Deletion{}, err
	}
	if a.Anonymous() {
		return Deletion{}, gatehouse.Errorf(gatehouse.CodeNotAllowed, "An anonymous shopper has no account to delete.")
	}
	if err := s.proveHolder(ctx, p, a, currentPassword); err != nil {
		return Deletion{}, err
	}
	if actor == gatehouse.ActorUser {
		return Deletion{Deleted: true}, s.store.Tx(ctx, func(st Store) error {
			if err := s.keepAnOwner(ctx, st, p.ActorID, false); err != nil {
				return err
			}
			if err := st.DeleteAuthIdentity(ctx, a.ID); err != nil {
				return err
			}
			if err := st.DeleteUser(ctx, p.ActorID, s.clock()); err != nil {
				return err
			}
			return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventUserDeleted, map[string]any{"user_id": p.ActorID, "by": "self"}))
		})
	}
	if s.deletionGrace > 0 {
		return s.scheduleDeletion(ctx, p)
	}
	return Deletion{Deleted: true}, s.store.Tx(ctx, func(st Store) error {
		return s.forgetCustomer(ctx, st, p.ActorID, a.ID, "self", s.clock())
	})
}

// DeleteCustomer deletes a customer's account at once, for an admin who
// manages customers and authenticated recently.
func (s *Service) DeleteCustomer(ctx context.Context, adm *Admin, id string) error {
	if err := adm.require(gatehouse.PermManageCustomers); err != nil {
		return err
	}
	if err := s.requireAdminRecent(ctx, adm); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		c, err := st.Customer(ctx, id)
		if err != nil {
			return asField(err, "id")
		}
		if c.DeletedAt != nil {
			return gatehouse.FieldError(gatehouse.CodeNotFound, []string{"id"}, "The customer is already deleted.")
		}
		authID := ""
		switch a, err := st.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, id); gatehouse.ErrorCode(err) {
		case "":
			authID = a.ID
		case gatehouse.CodeNotFound:
		default:
			return err
		}
		now := s.clock()
		if err := st.ForgetCustomer(ctx, id, authID, now); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventCustomerDeleted, id, map[string]any{"customer_id": id, "by": "admin"})
	})
}

// forgetCustomer deletes the customer's account (ForgetCustomer) and
// emits customer.deleted, in st's transaction. The event keeps the
// request id of its origin and nothing else of it: the customer's
// address would be personal data again.
func (s *Service) forgetCustomer(ctx context.Context, st Store, customerID, authIdentityID, by string, now time.Time) error {
	if err := st.ForgetCustomer(ctx, customerID, authIdentityID, now); err != nil {
		return err
	}
	return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventCustomerDeleted, AuthIdentityID: authIdentityID,
		ActorType: gatehouse.ActorCustomer, SubjectID: customerID,
		Origin:  gatehouse.Origin{RequestID: gatehouse.OriginFrom(ctx).RequestID},
		Payload: map[string]any{"customer_id": customerID, "by": by}})
}

// scheduleDeletion schedules the customer's deletion after the grace
// period and ends every session of the identity.
func (s *Service) scheduleDeletion(ctx context.Context, p *principal) (Deletion, error) {
	now := s.clock()
	d := &gatehouse.AccountDeletion{
		ID: gatehouse.NewID(gatehouse.PrefixAccountDeletion), AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
		ActorID: p.ActorID, RequestedBy: p.ActorID, RequestedAt: now, DueAt: now.Add(s.deletionGrace),
	}
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if d, err = st.ScheduleDeletion(ctx, d); err != nil {
			return err
		}
		if _, err := st.RevokeSessions(ctx, p.AuthIdentityID, "", gatehouse.RevokedDeletionScheduled, now); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventCustomerDeletionScheduled,
			map[string]any{"customer_id": p.ActorID, "due_at": d.DueAt}))
	})
	if err != nil {
		return Deletion{}, err
	}
	return Deletion{ScheduledFor: &d.DueAt}, nil
}

// cancelDeletion cancels a pending deletion of identity a when it signs
// in, in st's transaction (only while a grace period is configured: the
// sign-in's statements stay the same otherwise).
func (s *Service) cancelDeletion(ctx context.Context, st Store, a *gatehouse.AuthIdentity, sessionID string) error {
	if s.deletionGrace <= 0 || a.ActorType != gatehouse.ActorCustomer {
		return nil
	}
	n, err := st.CancelDeletions(ctx, a.ID, s.clock())
	if err != nil || n == 0 {
		return err
	}
	id := a.ActorID()
	return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventCustomerDeletionCancelled, AuthIdentityID: a.ID, ActorType: a.ActorType,
		ActorID: id, ActorKind: a.ActorType, SubjectID: id, SessionID: sessionID, Payload: map[string]any{"customer_id": id}})
}

// RunDueDeletions carries out up to limit scheduled deletions due at now,
// each in its own transaction, and answers how many it did: the
// housekeeping's task. One cancelled or done meanwhile is skipped.
func (s *Service) RunDueDeletions(ctx context.Context, now time.Time, limit int) (int, error) {
	due, err := s.store.DueDeletions(ctx, now, limit)
	if err != nil {
		return 0, err
	}
	done := 0
	for _, d := range due {
		err := s.store.Tx(ctx, func(st Store) error {
			switch ok, err := st.ClaimDeletion(ctx, d.ID, now); {
			case err != nil || !ok:
				return err
			}
			err := s.forgetCustomer(ctx, st, d.ActorID, d.AuthIdentityID, "schedule", now)
			if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
				return nil // deleted meanwhile (by an admin)
			}
			if err == nil {
				done++
			}
			return err
		})
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// CountDueDeletions is how many scheduled deletions are due at now (the
// housekeeping's dry run), up to limit.
func (s *Service) CountDueDeletions(ctx context.Context, now time.Time, limit int) (int, error) {
	due, err := s.store.DueDeletions(ctx, now, limit)
	return len(due), err
}
