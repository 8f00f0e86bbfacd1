package auth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Passkeys (WebAuthn Level 2, with github.com/go-webauthn/webauthn):
// registering one for the signed-in account, signing in with one (with an
// email, or none for a discoverable credential), and answering a
// sign-in's challenge or a reauthentication with one. Every ceremony's
// challenge is stored (hashed), single-use, for PasskeyCeremonyTTL, on
// the injected clock: the library's own expiry, on the wall clock, is
// left unset. A passkey whose signature counter goes backwards is refused
// and recorded (auth.passkey_clone_suspected).

// PasskeyCeremonyTTL is how long a WebAuthn ceremony may be finished.
const PasskeyCeremonyTTL = 5 * time.Minute

// maxPasskeyName bounds a passkey's name.
const maxPasskeyName = 100

var errPasskeysOff = gatehouse.Errorf(gatehouse.CodeNotAllowed,
	"Passkeys are not set up on this service (GATEHOUSE_WEBAUTHN_RP_ID and GATEHOUSE_WEBAUTHN_ORIGINS).")

// errPasskeyRefused is an assertion or registration that did not verify,
// or a ceremony unknown, used or expired.
func errPasskeyRefused(field string, why string) error {
	return gatehouse.FieldError(gatehouse.CodeInvalidCredentials, []string{field}, "The passkey was not accepted: %s.", why)
}

// passkeyUser is an identity as the WebAuthn library sees it: its user
// handle is the auth identity id (no secret, no personal data).
type passkeyUser struct {
	id, name string
	creds    []webauthn.Credential
	// factors are the passkeys behind creds, in the same order.
	factors []*gatehouse.Factor
}

func (u *passkeyUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.name }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// factorOf is the passkey with the credential id.
func (u *passkeyUser) factorOf(id []byte) *gatehouse.Factor {
	for i, c := range u.creds {
		if bytes.Equal(c.ID, id) {
			return u.factors[i]
		}
	}
	return nil
}

// passkeyUser loads an identity's passkeys for a ceremony.
func (s *Service) passkeyUser(ctx context.Context, st Store, authIdentityID, name string) (*passkeyUser, error) {
	fs, err := st.Factors(ctx, authIdentityID)
	if err != nil {
		return nil, err
	}
	return passkeyUserOf(authIdentityID, name, fs)
}

// passkeyUserOf is the passkey user of an identity with factors fs.
func passkeyUserOf(authIdentityID, name string, fs []*gatehouse.Factor) (*passkeyUser, error) {
	u := &passkeyUser{id: authIdentityID, name: name}
	for _, f := range fs {
		if f.Kind != gatehouse.FactorPasskey {
			continue
		}
		var c webauthn.Credential
		if err := json.Unmarshal(f.Credential, &c); err != nil {
			return nil, gatehouse.Internal(fmt.Errorf("passkey %s: credential record: %w", f.ID, err))
		}
		u.creds, u.factors = append(u.creds, c), append(u.factors, f)
	}
	return u, nil
}

// saveCeremony stores a ceremony's session data, to be claimed once.
func (s *Service) saveCeremony(ctx context.Context, st Store, purpose string, actor gatehouse.ActorType, authIdentityID, mfaChallengeID string, sd *webauthn.SessionData) error {
	sd.Expires = time.Time{} // expired by the stored row, on the service's clock
	data, err := json.Marshal(sd)
	if err != nil {
		return gatehouse.Internal(err)
	}
	now := s.clock()
	return st.CreateWebAuthnChallenge(ctx, &gatehouse.WebAuthnChallenge{
		ID: gatehouse.NewID("wachal"), ChallengeHash: secret.Hash(sd.Challenge), Purpose: purpose, ActorType: actor,
		AuthIdentityID: authIdentityID, MFAChallengeID: mfaChallengeID, SessionData: data, CreatedAt: now, ExpiresAt: now.Add(PasskeyCeremonyTTL),
	})
}

// claimCeremony claims the stored ceremony of a response's challenge, for
// purpose: used up whatever the response's fate.
func (s *Service) claimCeremony(ctx context.Context, st Store, field, challenge, purpose string) (*gatehouse.WebAuthnChallenge, webauthn.SessionData, error) {
	var sd webauthn.SessionData
	c, err := st.ClaimWebAuthnChallenge(ctx, secret.Hash(challenge), s.clock())
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, sd, errPasskeyRefused(field, "its challenge is unknown, used or expired; start again")
	case err != nil:
		return nil, sd, err
	case c.Purpose != purpose:
		return nil, sd, errPasskeyRefused(field, "its challenge was made for another ceremony")
	}
	if err := json.Unmarshal(c.SessionData, &sd); err != nil {
		return nil, sd, gatehouse.Internal(fmt.Errorf("webauthn challenge %s: %w", c.ID, err))
	}
	return c, sd, nil
}

// options is a ceremony's options as the JSON the browser's
// PublicKeyCredential.parse…OptionsFromJSON reads.
func options(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, gatehouse.Internal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, gatehouse.Internal(err)
	}
	return m, nil
}

// BeginPasskeyRegistration starts registering a passkey for the signed-in
// customer or user: the PublicKeyCredentialCreationOptions, asking for a
// discoverable credential, excluding the account's passkeys. Once the
// account has a second factor this needs the step-up.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, cred Credential, actor *gatehouse.ActorType) (map[string]any, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	p, a, err := s.factorPrincipal(ctx, cred, actor, "add a passkey")
	if err != nil {
		return nil, err
	}
	if a.MFAEnabled {
		if err := s.requireRecent(p, a); err != nil {
			return nil, err
		}
	}
	u, err := s.passkeyUser(ctx, s.store, a.ID, s.accountLabel(ctx, p, a))
	if err != nil {
		return nil, err
	}
	exclude := make([]protocol.CredentialDescriptor, len(u.creds))
	for i := range u.creds {
		exclude[i] = u.creds[i].Descriptor()
	}
	creation, sd, err := s.webauthn.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, UserVerification: protocol.VerificationPreferred,
		}),
		webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("begin passkey registration: %w", err))
	}
	if err := s.saveCeremony(ctx, s.store, gatehouse.WebAuthnRegistration, a.ActorType, a.ID, "", sd); err != nil {
		return nil, err
	}
	return options(creation.Response)
}

// PasskeyRegistration is what finishing a registration made: the passkey
// and, when it is the account's first factor, its recovery codes (shown
// this once).
type PasskeyRegistration struct {
	Passkey       *gatehouse.Factor
	RecoveryCodes []string
}

// FinishPasskeyRegistration checks the browser's registration response
// (PublicKeyCredential as JSON) against the ceremony and stores the
// passkey, in one transaction with, for a first factor, the recovery
// codes; the account's other sessions end (auth.passkey_added).
func (s *Service) FinishPasskeyRegistration(ctx context.Context, cred Credential, actor *gatehouse.ActorType, response map[string]any, name *string) (*PasskeyRegistration, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	p, a, err := s.factorPrincipal(ctx, cred, actor, "add a passkey")
	if err != nil {
		return nil, err
	}
	label, err := passkeyName(name)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(response)
	if err != nil {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"credential"}, "Not a registration response.")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(raw)
	if err != nil {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"credential"},
			"Not a WebAuthn registration response (the PublicKeyCredential of navigator.credentials.create, as JSON).")
	}
	var reg *PasskeyRegistration
	err = s.store.Tx(ctx, func(st Store) error {
		c, sd, err := s.claimCeremony(ctx, st, "credential", parsed.Response.CollectedClientData.Challenge, gatehouse.WebAuthnRegistration)
		if err != nil {
			return err
		}
		if c.AuthIdentityID != a.ID {
			return errPasskeyRefused("credential", "its challenge was made for another account")
		}
		u, err := s.passkeyUser(ctx, st, a.ID, "")
		if err != nil {
			return err
		}
		wc, err := s.webauthn.CreateCredential(u, sd, parsed)
		if err != nil {
			return errPasskeyRefused("credential", webauthnReason(err))
		}
		record, err := json.Marshal(wc)
		if err != nil {
			return gatehouse.Internal(err)
		}
		now := s.clock()
		f := &gatehouse.Factor{ID: gatehouse.NewID(gatehouse.PrefixFactor), AuthIdentityID: a.ID, Kind: gatehouse.FactorPasskey, Name: label,
			CreatedAt: now, ConfirmedAt: &now, CredentialID: base64.RawURLEncoding.EncodeToString(wc.ID), Credential: record,
			SignCount: int64(wc.Authenticator.SignCount), BackupEligible: wc.Flags.BackupEligible, BackedUp: wc.Flags.BackupState}
		if err := st.CreatePasskey(ctx, f); err != nil {
			if gatehouse.ErrorCode(err) == gatehouse.CodeDuplicate {
				return gatehouse.FieldError(gatehouse.CodeDuplicate, []string{"credential"}, "This passkey is registered already.")
			}
			return err
		}
		reg = &PasskeyRegistration{Passkey: f}
		if !a.MFAEnabled {
			codes, hashes, err := s.newRecoveryCodes(a.ID)
			if err != nil {
				return err
			}
			if err := st.ReplaceRecoveryCodes(ctx, a.ID, hashes, now); err != nil {
				return err
			}
			reg.RecoveryCodes = codes
		}
		if _, err := st.RevokeOtherSessions(ctx, a.ID, p.SessionID, gatehouse.RevokedFactorEnrolled, now); err != nil {
			return err
		}
		return s.emit(ctx, st, s.selfEvent(p, gatehouse.EventPasskeyAdded, map[string]any{"factor_id": f.ID, "kind": string(f.Kind),
			"backup_eligible": f.BackupEligible, "backed_up": f.BackedUp}))
	})
	if err != nil {
		return nil, err
	}
	return reg, nil
}

// RenamePasskey renames one of the signed-in account's passkeys.
func (s *Service) RenamePasskey(ctx context.Context, cred Credential, actor *gatehouse.ActorType, id string, name string) (*gatehouse.Factor, error) {
	p, err := s.principal(ctx, cred, s.credentialActorOf(cred, actor), linked)
	if err != nil {
		return nil, err
	}
	label, err := passkeyName(&name)
	if err != nil {
		return nil, err
	}
	f, err := s.ownFactor(ctx, p.AuthIdentityID, id)
	if err != nil {
		return nil, asField(err, "passkeyId")
	}
	if f.Kind != gatehouse.FactorPasskey {
		return nil, gatehouse.FieldError(gatehouse.CodeNotFound, []string{"passkeyId"}, "No such passkey.")
	}
	if err := s.store.RenameFactor(ctx, p.AuthIdentityID, id, label); err != nil {
		return nil, asField(err, "passkeyId")
	}
	f.Name = label
	return f, nil
}

// passkeyName is a passkey's name as given: "Passkey" when none is.
func passkeyName(name *string) (string, error) {
	if name == nil || strings.TrimSpace(*name) == "" {
		return "Passkey", nil
	}
	n := strings.TrimSpace(*name)
	if !utf8.ValidString(n) || strings.ContainsFunc(n, isControl) || utf8.RuneCountInString(n) > maxPasskeyName {
		return "", gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"name"}, "A name is at most %d characters, without control characters.", maxPasskeyName)
	}
	return n, nil
}

// BeginPasskeySignIn starts a sign-in with a passkey: the
// PublicKeyCredentialRequestOptions. With an email, the options list that
// account's passkeys; an unknown email, or one without passkeys, gets one
// made-up credential in their place, derived from the email, so that the
// answer says nothing of which accounts exist. Without one, any
// discoverable credential of the actor type may answer.
func (s *Service) BeginPasskeySignIn(ctx context.Context, actor gatehouse.ActorType, email *string) (map[string]any, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	if !actor.Valid() {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"actor"}, "Unknown actor type.")
	}
	var (
		assertion *protocol.CredentialAssertion
		sd        *webauthn.SessionData
		identity  string
		err       error
	)
	uv := webauthn.WithUserVerification(protocol.VerificationPreferred)
	if e := gatehouse.NormalizeEmail(deref(email)); e != "" {
		var u *passkeyUser
		pi, lookupErr := s.store.ProviderIdentity(ctx, actor, gatehouse.ProviderEmailPass, e)
		switch {
		case lookupErr == nil:
			if u, err = s.passkeyUser(ctx, s.store, pi.AuthIdentityID, e); err != nil {
				return nil, err
			}
		case gatehouse.ErrorCode(lookupErr) != gatehouse.CodeNotFound:
			return nil, lookupErr
		default:
			// The same statements as for an account: the work tells nothing.
			if _, err = s.passkeyUser(ctx, s.store, "authid_none", e); err != nil {
				return nil, err
			}
		}
		if u != nil && len(u.creds) > 0 {
			identity = u.id
			assertion, sd, err = s.webauthn.BeginLogin(u, uv)
		} else {
			decoy := protocol.CredentialDescriptor{Type: protocol.PublicKeyCredentialType,
				CredentialID: []byte(secret.KeyedHash(s.factorKey, "passkey_decoy/"+string(actor), e)[:32])}
			assertion, sd, err = s.webauthn.BeginDiscoverableLogin(uv, webauthn.WithAllowedCredentials([]protocol.CredentialDescriptor{decoy}))
		}
	} else {
		assertion, sd, err = s.webauthn.BeginDiscoverableLogin(uv)
	}
	if err != nil {
		return nil, gatehouse.Internal(fmt.Errorf("begin passkey sign-in: %w", err))
	}
	if err := s.saveCeremony(ctx, s.store, gatehouse.WebAuthnSignIn, actor, identity, "", sd); err != nil {
		return nil, err
	}
	return options(assertion.Response)
}

// parseAssertion parses an assertion (PublicKeyCredential of
// navigator.credentials.get, as JSON).
func parseAssertion(field []string, assertion map[string]any) (*protocol.ParsedCredentialAssertionData, error) {
	bad := gatehouse.FieldError(gatehouse.CodeInvalidInput, field,
		"Not a WebAuthn assertion (the PublicKeyCredential of navigator.credentials.get, as JSON).")
	raw, err := json.Marshal(assertion)
	if err != nil {
		return nil, bad
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(raw)
	if err != nil {
		return nil, bad
	}
	return parsed, nil
}

// FinishPasskeySignIn checks an assertion against its sign-in ceremony
// and signs its passkey's account in: at aal2 when the authenticator
// verified the user (amr hwk, mfa), else at aal1, or with the challenge
// when the account has a second factor. A refused assertion counts
// toward the account's lockout.
func (s *Service) FinishPasskeySignIn(ctx context.Context, cred Credential, assertion map[string]any) (*gatehouse.Ticket, error) {
	if s.webauthn == nil {
		return nil, errPasskeysOff
	}
	parsed, err := parseAssertion([]string{"assertion"}, assertion)
	if err != nil {
		return nil, err
	}
	c, sd, err := s.claimCeremony(ctx, s.store, "assertion", parsed.Response.CollectedClientData.Challenge, gatehouse.WebAuthnSignIn)
	if err != nil {
		return nil, err
	}
	f, err := s.store.PasskeyByCredentialID(ctx, base64.RawURLEncoding.EncodeToString(parsed.RawID))
	switch {
	case gatehouse.ErrorCode(err) == gatehouse.CodeNotFound:
		return nil, errPasskeyRefused("assertion", "it is not registered here")
	case err != nil:
		return nil, err
	case c.AuthIdentityID != "" && c.AuthIdentityID != f.AuthIdentityID:
		return nil, errPasskeyRefused("assertion", "it is not one of the account's")
	}
	a, err := s.store.AuthIdentity(ctx, f.AuthIdentityID)
	if err != nil {
		return nil, revokedIfMissing(err)
	}
	if a.ActorType != c.ActorType {
		return nil, errPasskeyRefused("assertion", "it is not one of the account's")
	}
	uv, err := s.checkPasskeyCounted(ctx, a, "assertion", sd, parsed)
	if err != nil {
		return nil, err
	}
	providerIdentityID, err := s.anyProviderIdentity(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var t *gatehouse.Ticket
	err = s.store.Tx(ctx, func(st Store) error {
		if !uv {
			// Possession alone: one factor, like a password.
			t, err = s.signInMergingTx(ctx, st, cred.Bearer, gatehouse.SignInPasskey, a.ID, providerIdentityID, true)
			return err
		}
		a, err := st.ResetAttempts(ctx, a.ID)
		if err != nil {
			return revokedIfMissing(err)
		}
		t, err = s.signedIn(ctx, st, cred.Bearer, a, providerIdentityID,
			sessionStart{method: gatehouse.SignInPasskey, aal: gatehouse.AAL2, amr: []string{gatehouse.AMRHardwareKey, gatehouse.AMRMultiFactor}})
		return err
	})
	if gatehouse.ErrorCode(err) == gatehouse.CodeUnauthenticated {
		return nil, errPasskeyRefused("assertion", "the account cannot sign in")
	}
	return t, err
}

// checkPasskeyCounted checks an assertion of identity a's passkey under
// the lockout (counted before, forgotten by the sign-in that follows) and
// answers whether the authenticator verified the user.
func (s *Service) checkPasskeyCounted(ctx context.Context, a *gatehouse.AuthIdentity, field string, sd webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData) (bool, error) {
	attempts, locks, locked, err := s.store.TakeAttempt(ctx, a.ID, s.clock())
	if err != nil {
		return false, err
	}
	if locked || attempts > s.lockout.MaxAttempts {
		return false, errPasskeyRefused(field, "the account is locked for now")
	}
	var uv bool
	err = s.store.Tx(ctx, func(st Store) (err error) {
		uv, err = s.checkPasskey(ctx, st, a, field, sd, parsed)
		return err
	})
	if gatehouse.ErrorCode(err) == gatehouse.CodeInvalidCredentials {
		s.recordClone(ctx, err)
		if attempts == s.lockout.MaxAttempts {
			if lerr := s.lockIdentity(ctx, a.ActorType, a.ID, Attempt{Attempts: attempts, Locks: locks}); lerr != nil {
				return false, lerr
			}
		}
		if eerr := s.emit(ctx, s.store, gatehouse.Event{Name: gatehouse.EventLoginFailed, AuthIdentityID: a.ID, ActorType: a.ActorType,
			Payload: map[string]any{"provider": gatehouse.SignInPasskey, "reason": "passkey_refused"}}); eerr != nil {
			s.log.WarnContext(ctx, "could not record a refused passkey", "error", eerr)
		}
		return false, err
	}
	if err != nil {
		s.uncount(ctx, a.ID)
	}
	return uv, err
}

// checkPasskey verifies an assertion against identity a's passkeys and
// the ceremony's session data, and records the passkey's use (counter,
// backup state) in st. A counter at or below the stored one (a cloned
// authenticator) is refused and recorded. It answers whether the
// authenticator verified the user.
func (s *Service) checkPasskey(ctx context.Context, st Store, a *gatehouse.AuthIdentity, field string, sd webauthn.SessionData, parsed *protocol.ParsedCredentialAssertionData) (bool, error) {
	u, err := s.passkeyUser(ctx, st, a.ID, "")
	if err != nil {
		return false, err
	}
	var wc *webauthn.Credential
	if len(sd.UserID) > 0 {
		wc, err = s.webauthn.ValidateLogin(u, sd, parsed)
	} else {
		_, wc, err = s.webauthn.ValidatePasskeyLogin(func(_, userHandle []byte) (webauthn.User, error) {
			if !bytes.Equal(userHandle, u.WebAuthnID()) {
				return nil, errors.New("user handle of another account")
			}
			return u, nil
		}, sd, parsed)
	}
	if err != nil {
		return false, errPasskeyRefused(field, webauthnReason(err))
	}
	f := u.factorOf(wc.ID)
	if f == nil {
		return false, errPasskeyRefused(field, "it is not one of the account's")
	}
	record, err := json.Marshal(wc)
	if err != nil {
		return false, gatehouse.Internal(err)
	}
	won := false
	if !wc.Authenticator.CloneWarning {
		if won, err = st.UsePasskey(ctx, f.ID, record, int64(wc.Authenticator.SignCount), wc.Flags.BackupState, s.clock()); err != nil {
			return false, err
		}
	}
	if !won {
		return false, &clonedPasskey{a: a, factor: f, count: parsed.Response.AuthenticatorData.Counter,
			refused: errPasskeyRefused(field, "its signature counter went backwards, as a cloned authenticator's does")}
	}
	return parsed.Response.AuthenticatorData.Flags.UserVerified(), nil
}

// clonedPasskey is an assertion refused because its counter did not move
// forward: refused as INVALID_CREDENTIALS, and recorded by the caller once
// the transaction that checked it has rolled back (recordClone).
type clonedPasskey struct {
	a       *gatehouse.AuthIdentity
	factor  *gatehouse.Factor
	count   uint32
	refused error
}

func (c *clonedPasskey) Error() string { return c.refused.Error() }
func (c *clonedPasskey) Unwrap() error { return c.refused }

// recordClone records auth.passkey_clone_suspected when err holds a
// clonedPasskey. Failing to changes no answer.
func (s *Service) recordClone(ctx context.Context, err error) {
	var c *clonedPasskey
	if !errors.As(err, &c) {
		return
	}
	if err := s.emit(ctx, s.store, gatehouse.Event{Name: gatehouse.EventPasskeyCloneSuspected, AuthIdentityID: c.a.ID, ActorType: c.a.ActorType,
		Payload: map[string]any{"factor_id": c.factor.ID, "stored_sign_count": c.factor.SignCount, "sign_count": c.count}}); err != nil {
		s.log.WarnContext(ctx, "could not record a passkey's counter going backwards", "error", err)
	}
}

// webauthnReason is a safe, short reason for a refused ceremony: the
// library's own detail (no secret, no personal data), or its type.
func webauthnReason(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		if pe.Details != "" {
			return strings.TrimSuffix(strings.ToLower(pe.Details[:1])+pe.Details[1:], ".")
		}
		return pe.Type
	}
	return "it does not verify"
}

// anyProviderIdentity is a provider identity of an identity, for the
// sign-in's record (lastSignInAt) of a passkey sign-in.
func (s *Service) anyProviderIdentity(ctx context.Context, authIdentityID string) (string, error) {
	ps, err := s.store.ProviderIdentities(ctx, authIdentityID)
	if err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", errPasskeyRefused("assertion", "the account cannot sign in")
	}
	return ps[0].ID, nil
}
