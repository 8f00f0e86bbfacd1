package auth

import (
	"context"
	"errors"
	"slices"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// The step-up: a sensitive change (the password, the factors, the email,
// deleting the account; for admins roles, deactivations and
// impersonation) needs the session to have authenticated within
// ReauthMaxAge, at the identity's highest level (aal2 once it has a
// second factor). reauthenticate renews that on the current session.

// errReauthRequired is the step-up's refusal.
var errReauthRequired = &gatehouse.Error{Code: gatehouse.CodeForbidden, Reason: gatehouse.ReasonReauthRequired,
	Message: "This change needs a recent sign-in: call reauthenticate, then retry."}

// requireRecent is FORBIDDEN (REAUTH_REQUIRED) unless the principal's
// session authenticated recently enough at identity a's highest level.
func (s *Service) requireRecent(p *principal, a *gatehouse.AuthIdentity) error {
	sess := p.session
	if sess == nil || s.clock().Sub(sess.AuthenticatedAt()) > s.reauthMaxAge {
		return errReauthRequired
	}
	if a.MFAEnabled && sess.Assurance() != gatehouse.AAL2 {
		return errReauthRequired
	}
	return nil
}

// requireRecentIfMFA is requireRecent for a change that already asks for
// the password (which proves a single-factor identity's holder): only an
// identity with a second factor needs the step-up on top.
func (s *Service) requireRecentIfMFA(ctx context.Context, p *principal) error {
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return err
	}
	if !a.MFAEnabled {
		return nil
	}
	return s.requireRecent(p, a)
}

// requireAdminRecent is requireRecent for an admin user's session.
func (s *Service) requireAdminRecent(ctx context.Context, adm *Admin) error {
	if adm == nil {
		return errReauthRequired
	}
	a, err := s.identityOf(ctx, s.store, adm.p)
	if err != nil {
		return err
	}
	return s.requireRecent(adm.p, a)
}

// belowPolicy is FORBIDDEN (MFA_REQUIRED) for a session below aal2 of an
// actor type whose policy requires a second factor.
func (s *Service) belowPolicy(actor gatehouse.ActorType, sess *gatehouse.Session) error {
	if !s.requireMFA[actor] || sess == nil || sess.Assurance() == gatehouse.AAL2 || sess.ImpersonatedBy != "" {
		return nil
	}
	return &gatehouse.Error{Code: gatehouse.CodeForbidden, Reason: gatehouse.ReasonMFARequired,
		Message: "A second factor is required: sign in with it, or enroll one (enrollTotp) and reauthenticate with it."}
}

// amrWith is amr with m added once, and "mfa" when it then holds more
// than one factor.
func amrWith(amr []string, m string) []string {
	out := slices.Clone(amr)
	if !slices.Contains(out, m) {
		out = append(out, m)
	}
	out = slices.DeleteFunc(out, func(v string) bool { return v == gatehouse.AMRMultiFactor })
	if len(out) > 1 {
		out = append(out, gatehouse.AMRMultiFactor)
	}
	return out
}

// firstFactorAMR is the amr of a sign-in by method.
func firstFactorAMR(method string) []string {
	switch method {
	case gatehouse.ProviderEmailPass:
		return []string{gatehouse.AMRPassword}
	case gatehouse.SignInAnonymous, gatehouse.SignInImpersonation:
		return []string{}
	case gatehouse.SignInPasskey:
		return []string{gatehouse.AMRHardwareKey}
	case gatehouse.ProviderEmailCode:
		return []string{gatehouse.AMROTP}
	}
	return []string{gatehouse.AMRFederated}
}

// Reauthentication is reauthenticate's input: exactly one of a password
// (for an identity without a second factor), a TOTP code, or a passkey
// assertion.
type Reauthentication struct {
	Password         *string
	TOTPCode         *string
	PasskeyAssertion map[string]any
}

// Reauthenticate proves again who holds the current session and records
// it on the session (auth_time; aal2 and "otp" for a TOTP code), then
// answers a new access token for the session (no refresh token: the one
// the client holds goes on working). An identity with a second factor
// reauthenticates with it: its password alone would not reach its
// highest level. Wrong answers count toward the lockout. actor names the
// session cookie that authenticates the request (credentialActor).
func (s *Service) Reauthenticate(ctx context.Context, cred Credential, actor *gatehouse.ActorType, in Reauthentication) (*gatehouse.Ticket, error) {
	p, err := s.principal(ctx, cred, s.credentialActorOf(cred, actor), enrolling)
	if err != nil {
		return nil, err
	}
	if err := p.notImpersonating("reauthenticate"); err != nil {
		return nil, err
	}
	field, err := in.check()
	if err != nil {
		return nil, err
	}
	a, err := s.identityOf(ctx, s.store, p)
	if err != nil {
		return nil, err
	}
	aal, amr := p.session.Assurance(), p.session.AMR
	switch {
	case in.Password != nil:
		if a.MFAEnabled {
			return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, field, "This account has a second factor: reauthenticate with it.")
		}
		if err := s.reauthPassword(ctx, p, *in.Password); err != nil {
			return nil, err
		}
		amr = amrWith(amr, gatehouse.AMRPassword)
	case in.TOTPCode != nil:
		if err := s.reauthTOTP(ctx, p, a, field, *in.TOTPCode); err != nil {
			return nil, err
		}
		aal, amr = gatehouse.AAL2, amrWith(amr, gatehouse.AMROTP)
	default:
		uv, err := s.reauthPasskey(ctx, a, in.PasskeyAssertion)
		if err != nil {
			return nil, err
		}
		if uv {
			aal = gatehouse.AAL2
		}
		amr = amrWith(amr, gatehouse.AMRHardwareKey)
	}
	var t *gatehouse.Ticket
	err = s.store.Tx(ctx, func(st Store) error {
		sess, err := st.Reauthenticated(ctx, p.SessionID, aal, amr, s.clock())
		if err != nil {
			return revokedIfMissing(err)
		}
		if t, err = s.ticket(ctx, st, a, sess, nil); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventReauthenticated, map[string]any{"aal": aal, "amr": amr, "session_id": sess.ID}))
	})
	return t, err
}

// check is INVALID_INPUT unless exactly one answer is given, and names
// its field.
func (in Reauthentication) check() ([]string, error) {
	return exactlyOne(given{"password", in.Password != nil}, given{"totpCode", in.TOTPCode != nil},
		given{"passkeyAssertion", in.PasskeyAssertion != nil})
}

// reauthPassword checks the session's own password under the lockout, as
// a sign-in does.
func (s *Service) reauthPassword(ctx context.Context, p *principal, pw string) error {
	if err := checkSignInPassword(pw); err != nil {
		return err
	}
	pi, lookupErr := s.passwordIdentity(ctx, p.AuthIdentityID)
	at, err := s.countAttempt(ctx, pi, lookupErr)
	if err != nil {
		return err
	}
	if err := s.checkAttempt(ctx, p.ActorType, pi, at, lookupErr, pw); err != nil {
		return err
	}
	_, err = s.store.ResetAttempts(ctx, p.AuthIdentityID)
	return err
}

// reauthPasskey checks an assertion of one of identity a's passkeys,
// answering a sign-in ceremony (beginPasskeySignIn), under the lockout,
// and answers whether the authenticator verified the user.
func (s *Service) reauthPasskey(ctx context.Context, a *gatehouse.AuthIdentity, assertion map[string]any) (bool, error) {
	if s.webauthn == nil {
		return false, errPasskeysOff
	}
	parsed, err := parseAssertion([]string{"input", "passkeyAssertion"}, assertion)
	if err != nil {
		return false, err
	}
	c, sd, err := s.claimCeremony(ctx, s.store, "passkeyAssertion", parsed.Response.CollectedClientData.Challenge, gatehouse.WebAuthnSignIn)
	if err != nil {
		return false, err
	}
	if (c.AuthIdentityID != "" && c.AuthIdentityID != a.ID) || c.ActorType != a.ActorType {
		return false, errPasskeyRefused("passkeyAssertion", "it is not one of the account's")
	}
	uv, err := s.checkPasskeyCounted(ctx, a, "passkeyAssertion", sd, parsed)
	if err != nil {
		return false, err
	}
	_, err = s.store.ResetAttempts(ctx, a.ID)
	return uv, err
}

// reauthTOTP checks a TOTP code of identity a under the lockout, and uses
// up its step.
func (s *Service) reauthTOTP(ctx context.Context, p *principal, a *gatehouse.AuthIdentity, field []string, code string) error {
	now := s.clock()
	attempts, locks, locked, err := s.store.TakeAttempt(ctx, a.ID, now)
	if err != nil {
		return err
	}
	wrong := gatehouse.FieldError(gatehouse.CodeInvalidCredentials, field, "The code is incorrect.")
	if locked || attempts > s.lockout.MaxAttempts {
		return wrong
	}
	err = s.store.Tx(ctx, func(st Store) error {
		_, _, err := s.answer(ctx, st, &gatehouse.PendingMFA{AuthIdentityID: a.ID}, MFAAnswer{TOTPCode: &code})
		return err
	})
	switch {
	case errors.Is(err, errWrongAnswer):
		if attempts == s.lockout.MaxAttempts {
			if err := s.lockIdentity(ctx, a.ActorType, a.ID, Attempt{Attempts: attempts, Locks: locks}); err != nil {
				return err
			}
		}
		if err := s.emit(ctx, s.store, s.selfEvent(p, gatehouse.EventMFAFailed, map[string]any{"reason": "invalid_code", "reauthenticate": true})); err != nil {
			s.log.WarnContext(ctx, "could not record a failed second factor", "error", err)
		}
		return wrong
	case err != nil:
		s.uncount(ctx, a.ID)
		return err
	}
	_, err = s.store.ResetAttempts(ctx, a.ID)
	return err
}
