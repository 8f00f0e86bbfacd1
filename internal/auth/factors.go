package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/totp"
)

// Second factors: enrolling an authenticator app (TOTP), confirming it
// with a first code (which hands out the recovery codes), listing,
// removing, and new recovery codes. Enrolling, confirming and removing
// are refused to an impersonation session; adding a factor once one
// exists, removing one and new recovery codes need the step-up.

// RecoveryCodeCount is how many recovery codes an identity gets.
const RecoveryCodeCount = 10

// TOTPEnrollment is an authenticator app waiting for its first code: the
// secret, shown once, as text, as an otpauth:// URI and as a QR code.
type TOTPEnrollment struct {
	FactorID string
	Secret   string
	URI      string
	// QRCode is the URI as a PNG, in a data:image/png;base64 URI.
	QRCode string
}

// EnrollTOTP starts enrolling an authenticator app for the signed-in
// customer or user: the factor counts only once ConfirmTOTP checked a
// code from it.
func (s *Service) EnrollTOTP(ctx context.Context, cred Credential, actor *gatehouse.ActorType) (*TOTPEnrollment, error) {
	p, a, err := s.factorPrincipal(ctx, cred, actor, "enroll a second factor")
	if err != nil {
		return nil, err
	}
	if a.MFAEnabled {
		// Adding a factor to an identity that has one is a change to how
		// it signs in: whoever holds the session must prove the first.
		if err := s.requireRecent(p, a); err != nil {
			return nil, err
		}
	}
	key, err := totp.Generate(s.totpIssuer, s.accountLabel(ctx, p, a), s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	qr, err := totp.QRCode(key.URI)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	f := &gatehouse.Factor{ID: gatehouse.NewID(gatehouse.PrefixFactor), AuthIdentityID: a.ID, Kind: gatehouse.FactorTOTP,
		Name: "Authenticator app", CreatedAt: s.clock()}
	if f.SecretSealed, err = secret.Seal(s.factorKey, factorBinding(f.ID), []byte(key.Secret)); err != nil {
		return nil, gatehouse.Internal(err)
	}
	if err := s.store.CreateFactor(ctx, f); err != nil {
		return nil, err
	}
	return &TOTPEnrollment{FactorID: f.ID, Secret: key.Secret, URI: key.URI, QRCode: qr}, nil
}

// ConfirmTOTP activates an enrolled authenticator app with a code from
// it and answers the identity's new recovery codes, shown this once. In
// one transaction: the factor is confirmed, the recovery codes replaced,
// the identity's other sessions revoked (whoever else was signed in did
// not pass the new factor) and auth.factor_enrolled recorded. The
// current session keeps its level.
func (s *Service) ConfirmTOTP(ctx context.Context, cred Credential, actor *gatehouse.ActorType, factorID, code string) ([]string, error) {
	p, a, err := s.factorPrincipal(ctx, cred, actor, "enroll a second factor")
	if err != nil {
		return nil, err
	}
	f, err := s.ownFactor(ctx, a.ID, factorID)
	if err != nil {
		return nil, err
	}
	if f.Active() || f.Kind != gatehouse.FactorTOTP {
		return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"factorId"}, "This factor is not waiting for confirmation.")
	}
	step, ok, err := s.checkTOTP(f, code)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{"code"}, "The code is incorrect or has expired; enter the one the app shows now.")
	}
	codes, hashes, err := s.newRecoveryCodes(a.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.ConfirmFactor(ctx, f.ID, step, now); err != nil {
			return asField(err, "factorId")
		}
		if err := st.ReplaceRecoveryCodes(ctx, a.ID, hashes, now); err != nil {
			return err
		}
		if _, err := st.RevokeOtherSessions(ctx, a.ID, p.SessionID, gatehouse.RevokedFactorEnrolled, now); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventFactorEnrolled,
			map[string]any{"factor_id": f.ID, "kind": string(f.Kind), "recovery_codes": len(codes)}))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// RegenerateRecoveryCodes replaces the signed-in identity's recovery codes
// with new ones, shown this once; the old ones stop working. It needs a
// second factor and the step-up.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, cred Credential, actor *gatehouse.ActorType) ([]string, error) {
	p, a, err := s.factorPrincipal(ctx, cred, actor, "change the recovery codes")
	if err != nil {
		return nil, err
	}
	if !a.MFAEnabled {
		return nil, gatehouse.Errorf(gatehouse.CodeNotAllowed, "Recovery codes come with a second factor: enroll one first.")
	}
	if err := s.requireRecent(p, a); err != nil {
		return nil, err
	}
	codes, hashes, err := s.newRecoveryCodes(a.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.ReplaceRecoveryCodes(ctx, a.ID, hashes, now); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventRecoveryCodesRegenerated, map[string]any{"recovery_codes": len(codes)}))
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Factors lists the confirmed factors of a customer or user for a field
// of that customer or user: the account itself reads them; anyone else
// must be an admin user holding VIEW_CUSTOMERS (a customer's) or
// MANAGE_USERS (a user's; there is no permission to view users alone).
func (s *Service) Factors(ctx context.Context, cred Credential, actor gatehouse.ActorType, actorID string) ([]*gatehouse.Factor, error) {
	if p, err := s.principal(ctx, cred, actor, enrolling); err == nil && p.ActorID == actorID {
		return s.store.Factors(ctx, p.AuthIdentityID)
	}
	perm := gatehouse.PermViewCustomers
	if actor == gatehouse.ActorUser {
		perm = gatehouse.PermManageUsers
	}
	if _, err := s.Authorize(ctx, cred, perm); err != nil {
		return nil, err
	}
	a, err := s.store.AuthIdentityByActor(ctx, actor, actorID)
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return []*gatehouse.Factor{}, nil
	case err != nil:
		return nil, err
	}
	return s.store.Factors(ctx, a.ID)
}

// RemoveFactor removes a factor. The caller's own needs the step-up and
// is refused to an impersonation session; someone else's needs an admin
// user holding MANAGE_CUSTOMERS (a customer's) or MANAGE_USERS (a
// user's), who passes the step-up too, and is recorded in the audit
// trail. With the last factor the recovery codes go. A factor the caller
// may not see is NOT_FOUND, as is one that does not exist. actor names
// the session cookie that authenticates the request (credentialActor).
func (s *Service) RemoveFactor(ctx context.Context, cred Credential, actor *gatehouse.ActorType, factorID string) error {
	p, err := s.principal(ctx, cred, s.credentialActorOf(cred, actor), linked)
	if err != nil {
		return err
	}
	if err := p.notImpersonating("remove a second factor"); err != nil {
		return err
	}
	f, err := s.store.Factor(ctx, factorID)
	if err != nil {
		return asField(err, "factorId")
	}
	if f.AuthIdentityID == p.AuthIdentityID {
		return s.removeOwnFactor(ctx, p, f)
	}
	return s.removeFactorAsAdmin(ctx, cred, f)
}

func (s *Service) removeOwnFactor(ctx context.Context, p *principal, f *gatehouse.Factor) error {
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return err
	}
	if f.Active() {
		if err := s.requireRecent(p, a); err != nil {
			return err
		}
	}
	return s.store.Tx(ctx, func(st Store) error {
		if _, err := st.DeleteFactor(ctx, f.ID, s.clock()); err != nil {
			return asField(err, "factorId")
		}
		if !f.Active() {
			return nil // an enrollment abandoned: nothing changed how it signs in
		}
		return s.emit(ctx, st, s.selfEvent(p, removedEvent(f), map[string]any{"factor_id": f.ID, "kind": string(f.Kind)}))
	})
}

// removedEvent is the event of a factor's removal.
func removedEvent(f *gatehouse.Factor) string {
	if f.Kind == gatehouse.FactorPasskey {
		return gatehouse.EventPasskeyRemoved
	}
	return gatehouse.EventFactorRemoved
}

func (s *Service) removeFactorAsAdmin(ctx context.Context, cred Credential, f *gatehouse.Factor) error {
	owner, err := s.store.AuthIdentity(ctx, f.AuthIdentityID)
	if err != nil {
		return asField(err, "factorId")
	}
	perm := gatehouse.PermManageCustomers
	if owner.ActorType == gatehouse.ActorUser {
		perm = gatehouse.PermManageUsers
	}
	adm, err := s.Authorize(ctx, cred, perm)
	if err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.CodeForbidden && gatehouse.AsError(err).Reason == "" {
			// Not an admin at all: someone else's factor does not exist.
			return gatehouse.FieldError(gatehouse.CodeNotFound, []string{"factorId"}, "No such factor.")
		}
		return err
	}
	if err := s.requireAdminRecent(ctx, adm); err != nil {
		return err
	}
	subject := owner.ActorID()
	if subject == "" {
		subject = owner.ID
	}
	return s.store.Tx(ctx, func(st Store) error {
		if _, err := st.DeleteFactor(ctx, f.ID, s.clock()); err != nil {
			return asField(err, "factorId")
		}
		if !f.Active() {
			return nil
		}
		if err := s.emit(ctx, st, gatehouse.Event{Name: removedEvent(f), AuthIdentityID: owner.ID, ActorType: owner.ActorType,
			ActorID: adm.user.ID, ActorKind: gatehouse.ActorUser, SubjectID: subject, SessionID: adm.p.SessionID,
			Payload: map[string]any{"factor_id": f.ID, "kind": string(f.Kind), "by_admin": true}}); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventAdminFactorRemoved, subject,
			map[string]any{"factor_id": f.ID, "kind": string(f.Kind), "actor_type": string(owner.ActorType)})
	})
}

// factorPrincipal is the signed-in account changing its own factors, not
// through an impersonation session, and its identity. actor names the
// session cookie that authenticates the request (credentialActor).
func (s *Service) factorPrincipal(ctx context.Context, cred Credential, actor *gatehouse.ActorType, what string) (*principal, *gatehouse.AuthIdentity, error) {
	p, err := s.principal(ctx, cred, s.credentialActorOf(cred, actor), enrolling)
	if err != nil {
		return nil, nil, err
	}
	if err := p.notImpersonating(what); err != nil {
		return nil, nil, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}

// ownFactor loads a factor of the identity; another identity's is
// NOT_FOUND, as one that does not exist.
func (s *Service) ownFactor(ctx context.Context, authIdentityID, id string) (*gatehouse.Factor, error) {
	f, err := s.store.Factor(ctx, id)
	if err != nil {
		return nil, asField(err, "factorId")
	}
	if f.AuthIdentityID != authIdentityID {
		return nil, gatehouse.FieldError(gatehouse.CodeNotFound, []string{"factorId"}, "No such factor.")
	}
	return f, nil
}

// checkTOTP checks a code against a TOTP factor, refusing the steps at
// or before the last one it accepted: the matched step, and whether one
// matched.
func (s *Service) checkTOTP(f *gatehouse.Factor, code string) (int64, bool, error) {
	key, err := secret.Open(s.factorKey, factorBinding(f.ID), f.SecretSealed)
	if err != nil {
		return 0, false, gatehouse.Internal(fmt.Errorf("open secret of factor %s: %w", f.ID, err))
	}
	step, ok := totp.Verify(string(key), code, s.clock(), f.LastStep)
	return step, ok, nil
}

// newRecoveryCodes makes an identity's recovery codes and their hashes.
func (s *Service) newRecoveryCodes(authIdentityID string) (codes, hashes []string, err error) {
	codes, hashes = make([]string, RecoveryCodeCount), make([]string, RecoveryCodeCount)
	for i := range codes {
		if codes[i], err = secret.NewRecoveryCode(s.rand); err != nil {
			return nil, nil, gatehouse.Internal(err)
		}
		hashes[i] = s.recoveryHash(authIdentityID, codes[i])
	}
	return codes, hashes, nil
}

// recoveryHash is how a recovery code of an identity is stored.
func (s *Service) recoveryHash(authIdentityID, code string) string {
	return secret.KeyedHash(s.factorKey, "recovery_code/"+authIdentityID, secret.NormalizeRecoveryCode(code))
}

// accountLabel names the account in the authenticator app: the email,
// else the customer or user id.
func (s *Service) accountLabel(ctx context.Context, p *principal, a *gatehouse.AuthIdentity) string {
	if pi, err := s.passwordIdentity(ctx, a.ID); err == nil {
		return pi.EntityID
	}
	return p.ActorID
}

// selfEvent is an event an account records about itself.
func (s *Service) selfEvent(p *principal, name string, payload map[string]any) gatehouse.Event {
	return gatehouse.Event{Name: name, AuthIdentityID: p.AuthIdentityID, ActorType: p.ActorType,
		ActorID: p.ActorID, ActorKind: p.ActorType, SubjectID: p.ActorID, SessionID: p.SessionID, Payload: payload}
}

func factorBinding(id string) string { return "auth_factor/" + id }

// Passkeys lists the passkeys among the factors Factors lists, for the
// same callers.
func (s *Service) Passkeys(ctx context.Context, cred Credential, actor gatehouse.ActorType, actorID string) ([]*gatehouse.Factor, error) {
	fs, err := s.Factors(ctx, cred, actor, actorID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(fs, func(f *gatehouse.Factor) bool { return f.Kind != gatehouse.FactorPasskey }), nil
}
