package gatehouse

import (
	"encoding/json"
	"time"
)

// ID prefixes of factors, recovery codes and challenges.
const (
	PrefixFactor       = "factor"
	PrefixRecoveryCode = "rcode"
	PrefixMFAChallenge = "mfach"
)

// FactorKind names a kind of second factor. Its values are the ones
// stored; the schema spells them TOTP, RECOVERY_CODE and PASSKEY.
type FactorKind string

// Factor kinds. Recovery codes are a way to answer a challenge, never a
// factor of their own.
const (
	FactorTOTP         FactorKind = "totp"
	FactorRecoveryCode FactorKind = "recovery_code"
	FactorPasskey      FactorKind = "passkey"
)

// Factor is a second factor of an auth identity: an authenticator app
// (TOTP) or a passkey. It counts only once confirmed.
type Factor struct {
	ID             string     `bun:"id,pk"`
	AuthIdentityID string     `bun:"auth_identity_id,notnull"`
	Kind           FactorKind `bun:"kind,notnull"`
	Name           string     `bun:"name,notnull"`
	// SecretSealed is a TOTP factor's secret, sealed under the factor
	// key for this factor's id (secret.SealFactorSecret).
	SecretSealed string `bun:"secret_sealed,nullzero"`
	// LastStep is the TOTP time step of the last code accepted.
	LastStep    int64      `bun:"last_step,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	ConfirmedAt *time.Time `bun:"confirmed_at"`
	LastUsedAt  *time.Time `bun:"last_used_at"`
	// A passkey's credential id (base64url), its credential record as
	// the WebAuthn library writes it (JSON), its signature counter and
	// backup flags.
	CredentialID   string          `bun:"credential_id,nullzero"`
	Credential     json.RawMessage `bun:"credential,type:jsonb,nullzero"`
	SignCount      int64           `bun:"sign_count,notnull"`
	BackupEligible bool            `bun:"backup_eligible,notnull"`
	BackedUp       bool            `bun:"backed_up,notnull"`
}

// Active reports whether the factor was confirmed.
func (f *Factor) Active() bool { return f.ConfirmedAt != nil }

// Assurance levels (NIST SP 800-63B): one factor, or two.
const (
	AAL1 = "aal1"
	AAL2 = "aal2"
)

// Authentication methods, as RFC 8176 names them, in a token's amr claim
// and a session's record.
const (
	AMRPassword    = "pwd" // a password
	AMROTP         = "otp" // a one-time code: TOTP, a recovery code, an email code
	AMRFederated   = "fed" // a third-party provider
	AMRHardwareKey = "hwk" // a passkey
	AMRMultiFactor = "mfa"
)

// MFAChallenge is a sign-in whose first factor passed, waiting for the
// second: the challenge token (shown once; only its hash is kept), when
// it dies, which kinds of answer the identity can give, and for an
// identity with passkeys the WebAuthn request options to answer with one.
type MFAChallenge struct {
	Token          string
	ExpiresAt      time.Time
	Factors        []FactorKind
	PasskeyOptions map[string]any
}

// WebAuthn ceremony purposes.
const (
	WebAuthnRegistration = "registration"
	WebAuthnSignIn       = "sign_in"
	WebAuthnMFA          = "mfa"
)

// WebAuthnChallenge is a WebAuthn ceremony in flight: only its
// challenge's hash is kept, with the library's session data (JSON).
// AuthIdentityID is "" for a sign-in with a discoverable credential;
// MFAChallengeID names the sign-in challenge a passkey may answer.
type WebAuthnChallenge struct {
	ID             string          `bun:"id,pk"`
	ChallengeHash  string          `bun:"challenge_hash,notnull"`
	Purpose        string          `bun:"purpose,notnull"`
	ActorType      ActorType       `bun:"actor_type,notnull"`
	AuthIdentityID string          `bun:"auth_identity_id,nullzero"`
	MFAChallengeID string          `bun:"mfa_challenge_id,nullzero"`
	SessionData    json.RawMessage `bun:"session_data,type:jsonb,notnull"`
	CreatedAt      time.Time       `bun:"created_at,notnull"`
	ExpiresAt      time.Time       `bun:"expires_at,notnull"`
	UsedAt         *time.Time      `bun:"used_at"`
}

// PendingMFA is a stored challenge.
type PendingMFA struct {
	ID             string `bun:"id,pk"`
	TokenHash      string `bun:"token_hash,notnull"`
	AuthIdentityID string `bun:"auth_identity_id,notnull"`
	// SessionID is the session the challenge starts once answered.
	SessionID string `bun:"session_id,notnull"`
	// Method and AMR are the first factor's: the provider, and its amr
	// values.
	Method             string     `bun:"method,notnull"`
	ProviderIdentityID string     `bun:"provider_identity_id,notnull"`
	AMR                []string   `bun:"amr,type:jsonb,notnull"`
	Failures           int        `bun:"failures,notnull"`
	CreatedAt          time.Time  `bun:"created_at,notnull"`
	ExpiresAt          time.Time  `bun:"expires_at,notnull"`
	UsedAt             *time.Time `bun:"used_at"`
}

// ProviderEmailCode signs in with a one-time code sent to the email
// address: a first factor only (NIST SP 800-63B does not accept email as
// an out-of-band second factor).
const ProviderEmailCode = "emailcode"

// PrefixEmailCode is the id prefix of email codes.
const PrefixEmailCode = "ecode"

// EmailCode is a one-time code sent to an address: only its keyed hash is
// kept. AuthIdentityID is "" for an address with no account yet.
type EmailCode struct {
	ID             string     `bun:"id,pk"`
	ActorType      ActorType  `bun:"actor_type,notnull"`
	Email          string     `bun:"email,notnull"`
	AuthIdentityID string     `bun:"auth_identity_id,nullzero"`
	CodeHash       string     `bun:"code_hash,notnull"`
	Attempts       int        `bun:"attempts,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	ExpiresAt      time.Time  `bun:"expires_at,notnull"`
	UsedAt         *time.Time `bun:"used_at"`
}
