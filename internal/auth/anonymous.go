package auth

import (
	"context"
	"maps"
	"reflect"
	"slices"
	"time"

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

// pendingMergeKey is the app metadata key of a registration identity
// whose registration presented an anonymous shopper's token: the
// shopper's auth identity id, whose customer createCustomer takes over.
const pendingMergeKey = "merge_anonymous"

// mergeAnonymous ends the anonymous shopper's session when a sign-in or
// registration presents its live token and names it in the new ticket
// (MergedAnonymousUserID, MergedAnonymousCustomerID) so that the
// storefront can move the cart. A signed-in customer takes over the
// shopper's addresses, profile and metadata, and the shopper is deleted,
// in st's transaction; a registration identity remembers the shopper
// for createCustomer to do so. A token that is not a live anonymous
// shopper's is ignored: it must not make a sign-in fail.
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
	anonCustomer := anon.ActorID()
	t.MergedAnonymousUserID = &anon.ID
	if anonCustomer != "" {
		t.MergedAnonymousCustomerID = &anonCustomer
	}
	payload := map[string]any{"anonymous_user_id": anon.ID, "anonymous_customer_id": anonCustomer,
		"merged_into_user_id": t.UserID, "session_id": t.SessionID}
	if t.ActorID == nil {
		a, err := st.AuthIdentity(ctx, t.UserID)
		if err != nil {
			return err
		}
		md := maps.Clone(a.AppMetadata)
		if md == nil {
			md = map[string]any{}
		}
		md[pendingMergeKey] = anon.ID
		if err := st.SetAppMetadata(ctx, a.ID, md, now); err != nil {
			return err
		}
		payload["pending"] = true
	} else {
		moved, err := s.absorbAnonymous(ctx, st, anon, *t.ActorID, now)
		if err != nil {
			return err
		}
		payload["merged_into_customer_id"], payload["addresses_moved"] = *t.ActorID, moved
		if t.CustomerAccount != nil {
			if t.CustomerAccount, err = st.Customer(ctx, *t.ActorID); err != nil {
				return err
			}
		}
	}
	return s.emit(ctx, st, gatehouse.Event{
		Name:           gatehouse.EventCustomerMerged,
		AuthIdentityID: anon.ID,
		ActorType:      gatehouse.ActorCustomer,
		Payload:        payload,
	})
}

// absorbAnonymous gives customer targetID what the anonymous shopper
// anonIdentityID's customer holds, then deletes the shopper (identity,
// sessions, customer), in st's transaction: its addresses (but exact
// copies of the target's), its default addresses where the target has
// none, the profile fields the target has empty, the metadata keys the
// target lacks. It answers how many addresses moved. anon is the
// shopper's identity, loaded by the caller.
func (s *Service) absorbAnonymous(ctx context.Context, st Store, anon *gatehouse.AuthIdentity, targetID string, now time.Time) (int, error) {
	src, err := st.Customer(ctx, anon.ActorID())
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return 0, st.DeleteAnonymousShopper(ctx, anon.ID, anon.ActorID())
	case err != nil:
		return 0, err
	}
	dst, err := st.Customer(ctx, targetID)
	if err != nil {
		return 0, err
	}
	have, err := st.Addresses(ctx, dst.ID)
	if err != nil {
		return 0, err
	}
	theirs, err := st.Addresses(ctx, src.ID)
	if err != nil {
		return 0, err
	}
	moved := 0
	for _, a := range theirs {
		if slices.ContainsFunc(have, func(b *gatehouse.Address) bool { return sameAddress(a, b) }) {
			continue
		}
		if err := st.MoveAddress(ctx, a.ID, dst.ID, now); err != nil {
			return 0, err
		}
		moved++
		have = append(have, a)
		if dst.DefaultBillingAddressID == nil && a.IsDefaultBilling {
			dst.DefaultBillingAddressID = &a.ID
		}
		if dst.DefaultShippingAddressID == nil && a.IsDefaultShipping {
			dst.DefaultShippingAddressID = &a.ID
		}
	}
	for _, f := range []struct{ to, from **string }{
		{&dst.FirstName, &src.FirstName}, {&dst.LastName, &src.LastName}, {&dst.CompanyName, &src.CompanyName},
		{&dst.Phone, &src.Phone}, {&dst.LocaleCode, &src.LocaleCode}, {&dst.TaxID, &src.TaxID},
	} {
		if deref(*f.to) == "" && deref(*f.from) != "" {
			*f.to = *f.from
		}
	}
	if dst.Metadata == nil {
		dst.Metadata = map[string]any{}
	}
	for k, v := range src.Metadata {
		if _, ok := dst.Metadata[k]; !ok {
			dst.Metadata[k] = v
		}
	}
	dst.UpdatedAt = now
	if err := st.UpdateCustomer(ctx, dst); err != nil {
		return 0, err
	}
	return moved, st.DeleteAnonymousShopper(ctx, anon.ID, src.ID)
}

// sameAddress reports whether two addresses hold the same address: every
// field but ids, timestamps and default flags.
func sameAddress(a, b *gatehouse.Address) bool {
	x, y := *a, *b
	for _, c := range []*gatehouse.Address{&x, &y} {
		c.ID, c.CustomerID, c.CreatedAt, c.UpdatedAt, c.IsDefaultBilling, c.IsDefaultShipping = "", "", time.Time{}, time.Time{}, false, false
		if len(c.Metadata) == 0 {
			c.Metadata = nil
		}
	}
	return reflect.DeepEqual(x, y)
}

// absorbPending is absorbAnonymous for the shopper a registration
// identity remembered (pendingMergeKey): a shopper gone since
// (housekeeping, another merge) gives nothing.
func (s *Service) absorbPending(ctx context.Context, st Store, anonIdentityID, targetID string, now time.Time) (int, error) {
	anon, err := st.AuthIdentity(ctx, anonIdentityID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return 0, nil
	case err != nil:
		return 0, err
	case !anon.Anonymous():
		return 0, nil
	}
	return s.absorbAnonymous(ctx, st, anon, targetID, now)
}
