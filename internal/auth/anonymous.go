package auth

import (
	"context"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// CreateAnonymousShopper creates an anonymous shopper (Kibo's anonymous
// shopper ticket): an identity with a system-generated id, an anonymous
// customer linked to it, and a session with a full ticket.
func (s *Service) CreateAnonymousShopper(ctx context.Context) (*gatehouse.Ticket, error) {
	now := s.clock()
	c := &gatehouse.Customer{
		ID:          gatehouse.NewID(gatehouse.PrefixCustomer),
		IsActive:    true,
		IsAnonymous: true,
		Metadata:    map[string]any{},
		Attributes:  []gatehouse.CustomerAttribute{},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	a := &gatehouse.AuthIdentity{
		ID:        gatehouse.NewID(gatehouse.PrefixAuthIdentity),
		ActorType: gatehouse.ActorCustomer,
		AppMetadata: map[string]any{
			gatehouse.ActorCustomer.MetadataKey(): c.ID,
			gatehouse.AnonymousKey:                true,
		},
		CreatedAt: now,
		UpdatedAt: now,
	}
	var t *gatehouse.Ticket
	err := s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateCustomer(ctx, c); err != nil {
			return err
		}
		if err := st.CreateAuthIdentity(ctx, a); err != nil {
			return err
		}
		var err error
		t, err = s.signIn(ctx, st, a, gatehouse.SignInAnonymous)
		return err
	})
	return t, err
}

// mergeAnonymous ends the anonymous shopper's session when a sign-in or
// registration presents its live token, names it in the new ticket's
// MergedAnonymousUserID so the storefront can move the cart, and records
// the merge. A token that is not a live anonymous shopper's is ignored: it
// must not make a sign-in fail.
func (s *Service) mergeAnonymous(ctx context.Context, st Store, bearer string, t *gatehouse.Ticket) error {
	if bearer == "" || t.ActorType != gatehouse.ActorCustomer {
		return nil
	}
	c, err := s.signer.Verify(bearer)
	if err != nil || c.SessionID == "" || c.AuthIdentityID == t.UserID {
		return nil
	}
	sess, err := st.Session(ctx, c.SessionID)
	if err != nil || sess.AuthIdentityID != c.AuthIdentityID || sess.State(s.clock()) != gatehouse.SessionLive {
		return nil
	}
	anon, err := st.AuthIdentity(ctx, c.AuthIdentityID)
	if err != nil || !anon.Anonymous() {
		return nil
	}
	now := s.clock()
	if _, err := st.RevokeSessions(ctx, anon.ID, sess.ID, gatehouse.RevokedMerged, now); err != nil {
		return err
	}
	t.MergedAnonymousUserID = &anon.ID
	return s.emit(ctx, st, gatehouse.Event{
		Name:           gatehouse.EventCustomerMerged,
		AuthIdentityID: anon.ID,
		ActorType:      gatehouse.ActorCustomer,
		Payload: map[string]any{"anonymous_user_id": anon.ID, "anonymous_customer_id": anon.ActorID(),
			"merged_into_user_id": t.UserID, "session_id": t.SessionID},
	})
}
