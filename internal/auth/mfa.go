package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// The second step of a sign-in. When an identity with a second factor
// passes its first (a password, a third party), the sign-in answers a
// challenge, not a ticket: a token, single-use, alive ChallengeTTL,
// bound to the identity and to the session it will start, stored so that
// any instance can finish it. verifyMfa answers it with a TOTP code or a
// recovery code. A challenge allows MaxChallengeFailures wrong answers,
// then dies; each wrong answer also counts toward the identity's lockout,
// which only the second factor's success resets.

const (
	// ChallengeTTL is how long a challenge can be answered.
	ChallengeTTL = 5 * time.Minute
	// MaxChallengeFailures is how many wrong answers kill a challenge.
	MaxChallengeFailures = 5
)

// MFAAnswer is verifyMfa's input: the challenge token and exactly one
// answer.
type MFAAnswer struct {
	ChallengeToken   string
	TOTPCode         *string
	RecoveryCode     *string
	PasskeyAssertion map[string]any
	// ceremony is the WebAuthn ceremony a passkey assertion answers:
	// the challenge's (mfa), or a sign-in's for a reauthentication.
	ceremony string
}

// challenge records a challenge for identity a, whose first factor
// (method, through providerIdentityID) passed, and answers a ticket that
// holds only it.
func (s *Service) challenge(ctx context.Context, st Store, a *gatehouse.AuthIdentity, method, providerIdentityID string) (*gatehouse.Ticket, error) {
	factors, err := st.Factors(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	left, err := st.RecoveryCodesLeft(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	tok, err := secret.New(s.rand)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	now := s.clock()
	c := &gatehouse.PendingMFA{
		ID:                 gatehouse.NewID(gatehouse.PrefixMFAChallenge),
		TokenHash:          secret.Hash(tok),
		AuthIdentityID:     a.ID,
		SessionID:          gatehouse.NewID(gatehouse.PrefixSession),
		Method:             method,
		ProviderIdentityID: providerIdentityID,
		AMR:                firstFactorAMR(method),
		CreatedAt:          now,
		ExpiresAt:          now.Add(ChallengeTTL),
	}
	if err := st.CreateMFAChallenge(ctx, c); err != nil {
		return nil, err
	}
	mfa := &gatehouse.MFAChallenge{Token: tok, ExpiresAt: c.ExpiresAt, Factors: answerKinds(factors, left)}
	if mfa.PasskeyOptions, err = s.passkeyAnswerOptions(ctx, st, a, c.ID, factors); err != nil {
		return nil, err
	}
	return &gatehouse.Ticket{UserID: a.ID, ActorType: a.ActorType, MFA: mfa}, nil
}

// passkeyAnswerOptions starts, for an identity with passkeys, the
// WebAuthn ceremony that answers challenge challengeID with one, and
// answers its request options; nil for an identity without.
func (s *Service) passkeyAnswerOptions(ctx context.Context, st Store, a *gatehouse.AuthIdentity, challengeID string, factors []*gatehouse.Factor) (map[string]any, error) {
	if s.webauthn == nil || !slices.ContainsFunc(factors, func(f *gatehouse.Factor) bool { return f.Kind == gatehouse.FactorPasskey }) {
		return nil, nil
	}
	u, err := passkeyUserOf(a.ID, "", factors)
	if err != nil {
		return nil, err
	}
	assertion, sd, err := s.webauthn.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("begin passkey answer: %w", err))
	}
	if err := s.saveCeremony(ctx, st, gatehouse.WebAuthnMFA, a.ActorType, a.ID, challengeID, sd); err != nil {
		return nil, err
	}
	return options(assertion.Response)
}

// answerKinds are the kinds of answer an identity with factors and left
// unused recovery codes can give, in the schema's order.
func answerKinds(factors []*gatehouse.Factor, left int) []gatehouse.FactorKind {
	var totp, passkey bool
	for _, f := range factors {
		totp = totp || f.Kind == gatehouse.FactorTOTP
		passkey = passkey || f.Kind == gatehouse.FactorPasskey
	}
	kinds := []gatehouse.FactorKind{}
	if totp {
		kinds = append(kinds, gatehouse.FactorTOTP)
	}
	if left > 0 {
		kinds = append(kinds, gatehouse.FactorRecoveryCode)
	}
	if passkey {
		kinds = append(kinds, gatehouse.FactorPasskey)
	}
	return kinds
}

// errWrongAnswer is a second factor that did not match; the transaction
// that checked it rolls back (the challenge is not used up), and
// VerifyMFA counts the failure.
var errWrongAnswer = errors.New("auth: wrong second factor")

// VerifyMFA answers a challenge and, when the answer is right, starts the
// session the challenge was bound to, at aal2, and merges the anonymous
// shopper whose token the request carries, as the first factor's sign-in
// would have. In one transaction: the challenge is claimed, the TOTP step
// or the recovery code used up, the lockout count forgotten, the session
// started and recorded.
func (s *Service) VerifyMFA(ctx context.Context, cred Credential, in MFAAnswer) (*gatehouse.Ticket, error) {
	field, err := in.check()
	if err != nil {
		return nil, err
	}
	in.ceremony = gatehouse.WebAuthnMFA
	c, err := s.openChallenge(ctx, in.ChallengeToken)
	if err != nil {
		return nil, err
	}
	attempts, locks, locked, err := s.store.TakeAttempt(ctx, c.AuthIdentityID, s.clock())
	if err != nil {
		return nil, err
	}
	if locked || attempts > s.lockout.MaxAttempts {
		// Locked, or racing past the limit: nothing is checked.
		return nil, s.wrongAnswer(ctx, c, field, "locked", Attempt{Locked: true})
	}
	var (
		t      *gatehouse.Ticket
		used   gatehouse.FactorKind
		remain int
	)
	err = s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		ok, err := st.ClaimMFAChallenge(ctx, c.ID, MaxChallengeFailures, now)
		if err != nil {
			return err
		}
		if !ok {
			return errChallengeUsed
		}
		if used, remain, err = s.answer(ctx, st, c, in); err != nil {
			return err
		}
		a, err := st.ResetAttempts(ctx, c.AuthIdentityID)
		if err != nil {
			return revokedIfMissing(err)
		}
		amr := amrWith(c.AMR, gatehouse.AMROTP)
		if used == gatehouse.FactorPasskey {
			amr = amrWith(c.AMR, gatehouse.AMRHardwareKey)
		}
		if !slices.Contains(amr, gatehouse.AMRMultiFactor) {
			// Two factors passed, even when both were one-time codes (an
			// email code, then the app's).
			amr = append(amr, gatehouse.AMRMultiFactor)
		}
		t, err = s.signedIn(ctx, st, cred.Bearer, a, c.ProviderIdentityID,
			sessionStart{id: c.SessionID, method: c.Method, aal: gatehouse.AAL2, amr: amr})
		if err != nil {
			return err
		}
		if used != gatehouse.FactorRecoveryCode {
			return nil
		}
		return s.emit(ctx, st, gatehouse.Event{Name: gatehouse.EventRecoveryCodeUsed, AuthIdentityID: a.ID, ActorType: a.ActorType,
			ActorID: a.ActorID(), ActorKind: a.ActorType, SubjectID: a.ActorID(), SessionID: t.SessionID,
			Payload: map[string]any{"remaining": remain, "session_id": t.SessionID}})
	})
	switch {
	case errors.Is(err, errWrongAnswer):
		s.recordClone(ctx, err)
		return nil, s.wrongAnswer(ctx, c, field, "invalid_code", Attempt{Attempts: attempts, Locks: locks})
	case err != nil:
		s.uncount(ctx, c.AuthIdentityID)
		return nil, err
	}
	return t, nil
}

// errChallengeUsed is a challenge used, dead or expired by the time it
// was claimed.
var errChallengeUsed = gatehouse.FieldError(gatehouse.CodeTokenInvalid, []string{"input", "challengeToken"},
	"This challenge is used up or over; sign in again.")

// check is INVALID_INPUT unless exactly one answer is given, and names
// its field.
func (in MFAAnswer) check() ([]string, error) {
	return exactlyOne(given{"totpCode", in.TOTPCode != nil}, given{"recoveryCode", in.RecoveryCode != nil},
		given{"passkeyAssertion", in.PasskeyAssertion != nil})
}

// given is an input field that may hold an answer, and whether it does.
type given struct {
	name string
	set  bool
}

// exactlyOne is the path of the one field set among fields, under
// "input"; INVALID_INPUT naming them all unless exactly one is.
func exactlyOne(fields ...given) ([]string, error) {
	var set, names []string
	for _, f := range fields {
		names = append(names, f.name)
		if f.set {
			set = append(set, f.name)
		}
	}
	if len(set) != 1 {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input"}, "Give exactly one of %s and %s.",
			strings.Join(names[:len(names)-1], ", "), names[len(names)-1])
	}
	return []string{"input", set[0]}, nil
}

// openChallenge finds the open challenge a token names: TOKEN_INVALID
// when there is none, it was used or died, TOKEN_EXPIRED when its time
// is over.
func (s *Service) openChallenge(ctx context.Context, tok string) (*gatehouse.PendingMFA, error) {
	if !secret.WellFormed(tok) {
		return nil, errChallengeUsed
	}
	c, err := s.store.MFAChallenge(ctx, secret.Hash(tok))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, errChallengeUsed
	case err != nil:
		return nil, err
	case c.UsedAt != nil || c.Failures >= MaxChallengeFailures:
		return nil, errChallengeUsed
	case !s.clock().Before(c.ExpiresAt):
		return nil, gatehouse.FieldError(gatehouse.CodeTokenExpired, []string{"input", "challengeToken"},
			"This challenge has expired; sign in again.")
	}
	return c, nil
}

// answer checks the answer to challenge c and uses it up in st: the TOTP
// step (so that the code is good once) or the recovery code. errWrongAnswer
// when it does not match, or was used already. It answers what was used
// and, for a recovery code, how many are left.
func (s *Service) answer(ctx context.Context, st Store, c *gatehouse.PendingMFA, in MFAAnswer) (gatehouse.FactorKind, int, error) {
	now := s.clock()
	switch {
	case in.TOTPCode != nil:
		factors, err := st.Factors(ctx, c.AuthIdentityID)
		if err != nil {
			return "", 0, err
		}
		for _, f := range factors {
			if f.Kind != gatehouse.FactorTOTP {
				continue
			}
			step, ok, err := s.checkTOTP(f, *in.TOTPCode)
			if err != nil {
				return "", 0, err
			}
			if !ok {
				continue
			}
			// Of two requests with the same code, one wins.
			won, err := st.UseFactorStep(ctx, f.ID, step, now)
			if err != nil {
				return "", 0, err
			}
			if !won {
				return "", 0, errWrongAnswer
			}
			return gatehouse.FactorTOTP, 0, nil
		}
	case in.RecoveryCode != nil:
		left, err := st.UseRecoveryCode(ctx, c.AuthIdentityID, s.recoveryHash(c.AuthIdentityID, *in.RecoveryCode), now)
		switch {
		case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		case err != nil:
			return "", 0, err
		default:
			return gatehouse.FactorRecoveryCode, left, nil
		}
	case in.PasskeyAssertion != nil && s.webauthn != nil:
		parsed, err := parseAssertion([]string{"input", "passkeyAssertion"}, in.PasskeyAssertion)
		if err != nil {
			return "", 0, errWrongAnswer
		}
		wc, sd, err := s.claimCeremony(ctx, st, "passkeyAssertion", parsed.Response.CollectedClientData.Challenge, in.ceremony)
		if err != nil || wc.AuthIdentityID != c.AuthIdentityID || (in.ceremony == gatehouse.WebAuthnMFA && wc.MFAChallengeID != c.ID) {
			return "", 0, errWrongAnswer
		}
		a := &gatehouse.AuthIdentity{ID: c.AuthIdentityID, ActorType: wc.ActorType}
		if _, err := s.checkPasskey(ctx, st, a, "passkeyAssertion", sd, parsed); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidCredentials {
				return "", 0, errors.Join(err, errWrongAnswer) // a clone is recorded after the rollback
			}
			return "", 0, err
		}
		return gatehouse.FactorPasskey, 0, nil
	}
	return "", 0, errWrongAnswer
}

// wrongAnswer counts a wrong answer against challenge c (at
// MaxChallengeFailures it dies) and, through at (the lockout count the
// answer took), toward the identity's lockout, records auth.mfa_failed,
// and answers INVALID_CREDENTIALS on the answer's field.
func (s *Service) wrongAnswer(ctx context.Context, c *gatehouse.PendingMFA, field []string, reason string, at Attempt) error {
	failures, err := s.store.FailMFAChallenge(ctx, c.ID)
	if err != nil && gatehouse.ErrorCode(err) != gatehouse.CodeNotFound {
		return err
	}
	a, err := s.store.AuthIdentity(ctx, c.AuthIdentityID)
	if err != nil {
		return revokedIfMissing(err)
	}
	if !at.Locked && at.Attempts == s.lockout.MaxAttempts {
		if err := s.lockIdentity(ctx, a.ActorType, a.ID, at); err != nil {
			return err
		}
	}
	if err := s.emit(ctx, s.store, gatehouse.Event{Name: gatehouse.EventMFAFailed, AuthIdentityID: a.ID, ActorType: a.ActorType,
		Payload: map[string]any{"reason": reason, "failures": failures, "challenge_id": c.ID}}); err != nil {
		s.log.WarnContext(ctx, "could not record a failed second factor", "error", err)
	}
	msg := "The code is incorrect."
	if failures >= MaxChallengeFailures {
		msg = "The code is incorrect, and that was the last try: sign in again."
	}
	return gatehouse.FieldError(gatehouse.CodeInvalidCredentials, field, "%s", msg)
}
