package auth

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/device"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// ImpersonationMaxAge is the longest an impersonation lasts: its one
// access token expires with its session, and neither is ever renewed.
const ImpersonationMaxAge = 15 * time.Minute

const maxImpersonationReason = 500 // characters

// ImpersonateCustomer signs an admin user in as a customer, for support:
// a new session of the customer's identity marked with the admin (it
// appears in the customer's own session list), and a ticket with one
// access token that carries the act claim (RFC 8693) and lasts as long as
// the session, at most ImpersonationMaxAge, with no refresh token. The
// start is recorded, with the reason, in the same transaction. A customer
// that cannot sign in (deactivated, deleted, or a guest without an
// account) is NOT_ALLOWED; an unknown one NOT_FOUND.
func (s *Service) ImpersonateCustomer(ctx context.Context, adm *Admin, customerID, reason string) (*gatehouse.Ticket, error) {
	if err := adm.require(gatehouse.PermImpersonateCustomers); err != nil {
		return nil, err
	}
	if err := s.requireAdminRecent(ctx, adm); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"reason"}, "Say why you impersonate the customer: the reason goes into the audit trail.")
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, isControl):
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"reason"}, "Must be valid UTF-8 without control characters.")
	case utf8.RuneCountInString(reason) > maxImpersonationReason:
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"reason"}, "Must be at most %d characters.", maxImpersonationReason)
	}
	var t *gatehouse.Ticket
	err := s.store.Tx(ctx, func(st Store) error {
		c, err := st.Customer(ctx, customerID)
		if err != nil {
			return asField(err, "customerId")
		}
		if !c.IsActive || c.DeletedAt != nil {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"customerId"}, "The customer is deactivated and cannot be impersonated.")
		}
		a, err := st.AuthIdentityByActor(ctx, gatehouse.ActorCustomer, customerID)
		if gatehouse.ErrorCode(err) == gatehouse.CodeNotFound {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"customerId"}, "The customer has no account to sign in to.")
		}
		if err != nil {
			return err
		}
		now, o := s.clock(), gatehouse.OriginFrom(ctx)
		sess := &gatehouse.Session{
			ID:             gatehouse.NewID(gatehouse.PrefixSession),
			AuthIdentityID: a.ID,
			ActorType:      gatehouse.ActorCustomer,
			CreatedAt:      now,
			LastActiveAt:   now,
			ExpiresAt:      now.Add(min(ImpersonationMaxAge, s.life.SessionMaxAge[gatehouse.ActorCustomer])),
			IP:             o.IP,
			UserAgent:      o.UserAgent,
			DeviceLabel:    device.Label(o.UserAgent),
			SignInMethod:   gatehouse.SignInImpersonation,
			ImpersonatedBy: adm.user.ID,
		}
		sess.IdleExpiresAt = sess.ExpiresAt
		if err := st.CreateSession(ctx, sess); err != nil {
			return err
		}
		if t, err = s.ticket(ctx, st, a, sess, nil); err != nil {
			return err
		}
		t.CustomerAccount = c
		return s.adminEvent(ctx, st, adm, gatehouse.EventCustomerImpersonated, customerID, map[string]any{
			"customer_id": customerID, "impersonation_session_id": sess.ID, "reason": reason, "expires_at": sess.ExpiresAt})
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// notImpersonating is FORBIDDEN (IMPERSONATION) for a principal acting
// through an impersonation session: an admin acting as a customer may see
// and do what the customer does, but not change how the customer signs in
// (password, email, factors), delete the account, end the customer's other
// sessions, or make the impersonation outlive its token.
func (p *principal) notImpersonating(what string) error { return notImpersonating(p.session, what) }

// notImpersonating is principal.notImpersonating for the session itself.
func notImpersonating(sess *gatehouse.Session, what string) error {
	if sess == nil || sess.ImpersonatedBy == "" {
		return nil
	}
	return &gatehouse.Error{
		Code:    gatehouse.CodeForbidden,
		Reason:  gatehouse.ReasonImpersonation,
		Message: "An impersonation session cannot " + what + ".",
	}
}

// impersonationEnded records, in st, that the impersonation session sess
// was ended before it expired.
func (s *Service) impersonationEnded(ctx context.Context, st Store, sess *gatehouse.Session, customerID string) error {
	if sess.ImpersonatedBy == "" {
		return nil
	}
	return s.emit(ctx, st, gatehouse.Event{
		Name: gatehouse.EventImpersonationEnded, AuthIdentityID: sess.AuthIdentityID, ActorType: gatehouse.ActorCustomer,
		ActorID: sess.ImpersonatedBy, ActorKind: gatehouse.ActorUser, SubjectID: customerID, SessionID: sess.ID,
		Payload: map[string]any{"customer_id": customerID, "impersonation_session_id": sess.ID,
			"actor_id": sess.ImpersonatedBy, "subject_id": customerID},
	})
}
