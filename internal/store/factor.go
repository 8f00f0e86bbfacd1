package store

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Second factors, recovery codes and the challenges of sign-ins waiting
// for a second factor. Each single-use thing (a TOTP step, a recovery
// code, a challenge) is consumed by one conditional statement, so that of
// two racing requests exactly one wins.

type factorRow struct {
	bun.BaseModel `bun:"table:auth_factor,alias:af"`
	gatehouse.Factor
}

func (r *factorRow) domain() *gatehouse.Factor {
	f := r.Factor
	f.CreatedAt, f.ConfirmedAt, f.LastUsedAt = f.CreatedAt.UTC(), utc(f.ConfirmedAt), utc(f.LastUsedAt)
	return &f
}

type recoveryCodeRow struct {
	bun.BaseModel  `bun:"table:recovery_code,alias:rc"`
	ID             string     `bun:"id,pk"`
	AuthIdentityID string     `bun:"auth_identity_id,notnull"`
	CodeHash       string     `bun:"code_hash,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	UsedAt         *time.Time `bun:"used_at"`
}

type mfaChallengeRow struct {
	bun.BaseModel `bun:"table:mfa_challenge,alias:mc"`
	gatehouse.PendingMFA
}

func (r *mfaChallengeRow) domain() *gatehouse.PendingMFA {
	c := r.PendingMFA
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utc(c.UsedAt)
	if c.AMR == nil {
		c.AMR = []string{}
	}
	return &c
}

// CreateFactor inserts a factor (not yet confirmed, as enrollment makes
// it).
func (s *Store) CreateFactor(ctx context.Context, f *gatehouse.Factor) error {
	if _, err := s.db.NewInsert().Model(&factorRow{Factor: *f}).Exec(ctx); err != nil {
		return dbError("create factor", "factor", err)
	}
	return nil
}

// Factor loads a factor by id, whatever its state.
func (s *Store) Factor(ctx context.Context, id string) (*gatehouse.Factor, error) {
	var r factorRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx) }); err != nil {
		return nil, dbError("load factor", "factor", err)
	}
	return r.domain(), nil
}

// Factors lists an identity's confirmed factors, oldest first.
func (s *Store) Factors(ctx context.Context, authIdentityID string) ([]*gatehouse.Factor, error) {
	var rows []factorRow
	err := s.read(ctx, func(q bun.IDB) error {
		rows = nil
		return q.NewSelect().Model(&rows).Where("auth_identity_id = ?", authIdentityID).Where("confirmed_at IS NOT NULL").
			OrderExpr("created_at, id").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list factors", "factor", err)
	}
	out := make([]*gatehouse.Factor, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// ConfirmFactor activates an unconfirmed factor with the TOTP step of the
// code that confirmed it, and marks its identity as having a second
// factor, in one transaction (the caller's, if any). CodeNotFound when the
// factor is not waiting for confirmation.
func (s *Store) ConfirmFactor(ctx context.Context, id string, step int64, now time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		var authID string
		err := tx.db.NewUpdate().Model((*factorRow)(nil)).
			Set("confirmed_at = ?", now).Set("last_step = ?", step).Set("last_used_at = ?", now).
			Where("id = ?", id).Where("confirmed_at IS NULL").
			Returning("auth_identity_id").Scan(ctx, &authID)
		if err != nil {
			return dbError("confirm factor", "factor", err)
		}
		_, err = tx.SyncMFA(ctx, authID, now)
		return err
	})
}

// UseFactorStep records that a TOTP code of step was accepted for a
// confirmed factor, only if no code of that step or a later one was: it
// reports whether this call did, so that a code is good once even when
// two requests send it at the same moment.
func (s *Store) UseFactorStep(ctx context.Context, id string, step int64, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*factorRow)(nil)).
		Set("last_step = ?", step).Set("last_used_at = ?", now).
		Where("id = ?", id).Where("confirmed_at IS NOT NULL").Where("last_step < ?", step).
		Exec(ctx)
	return oneRow("use factor step", "factor", res, err)
}

// DeleteFactor deletes a factor and keeps its identity's second-factor
// mark true to what is left, in one transaction (the caller's, if any);
// with no active factor left, the identity's recovery codes go too. It
// answers whether the identity still has an active factor; CodeNotFound
// when there is no such factor.
func (s *Store) DeleteFactor(ctx context.Context, id string, now time.Time) (bool, error) {
	var left bool
	err := s.tx(ctx, func(tx *Store) error {
		var authID string
		err := tx.db.NewDelete().Model((*factorRow)(nil)).Where("id = ?", id).Returning("auth_identity_id").Scan(ctx, &authID)
		if err != nil {
			return dbError("delete factor", "factor", err)
		}
		if left, err = tx.SyncMFA(ctx, authID, now); err != nil || left {
			return err
		}
		_, err = tx.db.NewDelete().Model((*recoveryCodeRow)(nil)).Where("auth_identity_id = ?", authID).Exec(ctx)
		return dbError("delete recovery codes", "recovery code", err)
	})
	return left, err
}

// SyncMFA sets an identity's second-factor mark from its confirmed
// factors and answers it.
func (s *Store) SyncMFA(ctx context.Context, authIdentityID string, now time.Time) (bool, error) {
	var on bool
	err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).
		Set("mfa_enabled = EXISTS (SELECT 1 FROM auth_factor WHERE auth_identity_id = ? AND confirmed_at IS NOT NULL)", authIdentityID).
		Set("updated_at = ?", now).
		Where("id = ?", authIdentityID).
		Returning("mfa_enabled").Scan(ctx, &on)
	if err != nil {
		return false, dbError("sync second factor", "identity", err)
	}
	return on, nil
}

// ReplaceRecoveryCodes replaces an identity's recovery codes with the
// ones whose hashes are given, in one transaction (the caller's, if any).
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, authIdentityID string, hashes []string, now time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewDelete().Model((*recoveryCodeRow)(nil)).Where("auth_identity_id = ?", authIdentityID).Exec(ctx); err != nil {
			return dbError("delete recovery codes", "recovery code", err)
		}
		rows := make([]recoveryCodeRow, len(hashes))
		for i, h := range hashes {
			rows[i] = recoveryCodeRow{ID: gatehouse.NewID(gatehouse.PrefixRecoveryCode), AuthIdentityID: authIdentityID, CodeHash: h, CreatedAt: now}
		}
		if len(rows) == 0 {
			return nil
		}
		if _, err := tx.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return dbError("create recovery codes", "recovery code", err)
		}
		return nil
	})
}

// UseRecoveryCode marks an identity's unused recovery code with the hash
// used, in one conditional statement, and answers how many unused ones
// are left; CodeNotFound when there is no such unused code.
func (s *Store) UseRecoveryCode(ctx context.Context, authIdentityID, hash string, now time.Time) (int, error) {
	var left int
	err := s.tx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*recoveryCodeRow)(nil)).Set("used_at = ?", now).
			Where("auth_identity_id = ?", authIdentityID).Where("code_hash = ?", hash).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return dbError("use recovery code", "recovery code", err)
		}
		if err := affected("use recovery code", "recovery code", res); err != nil {
			return err
		}
		left, err = tx.RecoveryCodesLeft(ctx, authIdentityID)
		return err
	})
	return left, err
}

// RecoveryCodesLeft counts an identity's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, authIdentityID string) (int, error) {
	var n int64
	err := s.read(ctx, func(q bun.IDB) (err error) {
		n, err = q.NewSelect().Model((*recoveryCodeRow)(nil)).Where("auth_identity_id = ?", authIdentityID).Where("used_at IS NULL").Count(ctx)
		return err
	})
	return int(n), dbError("count recovery codes", "recovery code", err)
}

// CreateMFAChallenge inserts a challenge.
func (s *Store) CreateMFAChallenge(ctx context.Context, c *gatehouse.PendingMFA) error {
	r := &mfaChallengeRow{PendingMFA: *c}
	if r.AMR == nil {
		r.AMR = []string{}
	}
	if _, err := s.db.NewInsert().Model(r).Exec(ctx); err != nil {
		return dbError("create mfa challenge", "challenge", err)
	}
	return nil
}

// MFAChallenge loads the challenge whose token has the hash, whatever its
// state.
func (s *Store) MFAChallenge(ctx context.Context, hash string) (*gatehouse.PendingMFA, error) {
	var r mfaChallengeRow
	if err := s.read(ctx, func(q bun.IDB) error { return q.NewSelect().Model(&r).Where("token_hash = ?", hash).Scan(ctx) }); err != nil {
		return nil, dbError("load mfa challenge", "challenge", err)
	}
	return r.domain(), nil
}

// FailMFAChallenge counts a wrong answer to a challenge still open and
// answers the count; CodeNotFound when the challenge was used meanwhile.
func (s *Store) FailMFAChallenge(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.NewUpdate().Model((*mfaChallengeRow)(nil)).Set("failures = failures + 1").
		Where("id = ?", id).Where("used_at IS NULL").Returning("failures").Scan(ctx, &n)
	return n, dbError("count mfa challenge failure", "challenge", err)
}

// ClaimMFAChallenge marks an open challenge used, in one conditional
// statement: unused, unexpired at now, with fewer than maxFailures wrong
// answers. It reports whether this call did: of racing answers exactly
// one wins.
func (s *Store) ClaimMFAChallenge(ctx context.Context, id string, maxFailures int, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*mfaChallengeRow)(nil)).Set("used_at = ?", now).
		Where("id = ?", id).Where("used_at IS NULL").Where("expires_at > ?", now).Where("failures < ?", maxFailures).
		Exec(ctx)
	return oneRow("claim mfa challenge", "challenge", res, err)
}

type webauthnChallengeRow struct {
	bun.BaseModel `bun:"table:webauthn_challenge,alias:wc"`
	gatehouse.WebAuthnChallenge
}

// CreatePasskey inserts a confirmed passkey and marks its identity as
// having a second factor, in one transaction (the caller's, if any).
// CodeDuplicate when the credential id is registered already.
func (s *Store) CreatePasskey(ctx context.Context, f *gatehouse.Factor) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewInsert().Model(&factorRow{Factor: *f}).Exec(ctx); err != nil {
			return dbError("create passkey", "passkey", err)
		}
		_, err := tx.SyncMFA(ctx, f.AuthIdentityID, f.CreatedAt)
		return err
	})
}

// PasskeyByCredentialID loads the confirmed passkey with a credential id.
func (s *Store) PasskeyByCredentialID(ctx context.Context, credentialID string) (*gatehouse.Factor, error) {
	var r factorRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("credential_id = ?", credentialID).Where("confirmed_at IS NOT NULL").Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load passkey", "passkey", err)
	}
	return r.domain(), nil
}

// UsePasskey records a passkey's use with the credential record and
// counter its assertion left, only if the counter moved forward (or both
// are zero: an authenticator without a counter), in one conditional
// statement; it reports whether it did. Of two assertions with one
// counter value, one wins.
func (s *Store) UsePasskey(ctx context.Context, id string, credential []byte, signCount int64, backedUp bool, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*factorRow)(nil)).
		Set("credential = ?", string(credential)).Set("sign_count = ?", signCount).Set("backed_up = ?", backedUp).Set("last_used_at = ?", now).
		Where("id = ?", id).Where("(sign_count < ? OR (sign_count = 0 AND ? = 0))", signCount, signCount).
		Exec(ctx)
	return oneRow("use passkey", "passkey", res, err)
}

// RenameFactor renames a confirmed factor of an identity; CodeNotFound
// when it has none with the id.
func (s *Store) RenameFactor(ctx context.Context, authIdentityID, id, name string) error {
	res, err := s.db.NewUpdate().Model((*factorRow)(nil)).Set("name = ?", name).
		Where("id = ?", id).Where("auth_identity_id = ?", authIdentityID).Where("confirmed_at IS NOT NULL").Exec(ctx)
	if err != nil {
		return dbError("rename factor", "factor", err)
	}
	return affected("rename factor", "factor", res)
}

// CreateWebAuthnChallenge inserts a WebAuthn ceremony in flight.
func (s *Store) CreateWebAuthnChallenge(ctx context.Context, c *gatehouse.WebAuthnChallenge) error {
	if _, err := s.db.NewInsert().Model(&webauthnChallengeRow{WebAuthnChallenge: *c}).Exec(ctx); err != nil {
		return dbError("create webauthn challenge", "challenge", err)
	}
	return nil
}

// ClaimWebAuthnChallenge marks the unused, unexpired ceremony with the
// challenge hash used and answers it, in one conditional statement;
// CodeNotFound when there is none (unknown, used or expired).
func (s *Store) ClaimWebAuthnChallenge(ctx context.Context, hash string, now time.Time) (*gatehouse.WebAuthnChallenge, error) {
	var r webauthnChallengeRow
	err := s.db.NewUpdate().Model(&r).Set("used_at = ?", now).
		Where("challenge_hash = ?", hash).Where("used_at IS NULL").Where("expires_at > ?", now).
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, dbError("claim webauthn challenge", "challenge", err)
	}
	c := r.WebAuthnChallenge
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utc(c.UsedAt)
	return &c, nil
}

// oneRow reports whether a conditional statement (res, err) changed its
// one row.
func oneRow(op, entity string, res sql.Result, err error) (bool, error) {
	if err != nil {
		return false, dbError(op, entity, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError(op, entity, err)
	}
	return n == 1, nil
}

type emailCodeRow struct {
	bun.BaseModel `bun:"table:email_code,alias:ec"`
	gatehouse.EmailCode
}

// CreateEmailCode inserts an email code, retiring the unused ones of the
// same actor type and address, in one transaction (the caller's, if any).
func (s *Store) CreateEmailCode(ctx context.Context, c *gatehouse.EmailCode) error {
	return s.tx(ctx, func(tx *Store) error {
		_, err := tx.db.NewUpdate().Model((*emailCodeRow)(nil)).Set("used_at = ?", c.CreatedAt).
			Where("actor_type = ?", c.ActorType).Where("email = ?", c.Email).Where("used_at IS NULL").Exec(ctx)
		if err != nil {
			return dbError("retire email codes", "email code", err)
		}
		if _, err := tx.db.NewInsert().Model(&emailCodeRow{EmailCode: *c}).Exec(ctx); err != nil {
			return dbError("create email code", "email code", err)
		}
		return nil
	})
}

// LiveEmailCode loads the unused code of an actor type and address, the
// newest; CodeNotFound when there is none.
func (s *Store) LiveEmailCode(ctx context.Context, actor gatehouse.ActorType, email string) (*gatehouse.EmailCode, error) {
	var r emailCodeRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("actor_type = ?", actor).Where("email = ?", email).Where("used_at IS NULL").
			OrderExpr("created_at DESC").Limit(1).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load email code", "email code", err)
	}
	c := r.EmailCode
	c.CreatedAt, c.ExpiresAt, c.UsedAt = c.CreatedAt.UTC(), c.ExpiresAt.UTC(), utc(c.UsedAt)
	return &c, nil
}

// FailEmailCode counts a wrong try of an unused code and answers the
// count; CodeNotFound when it was used meanwhile.
func (s *Store) FailEmailCode(ctx context.Context, id string) (int, error) {
	var n int
	err := s.db.NewUpdate().Model((*emailCodeRow)(nil)).Set("attempts = attempts + 1").
		Where("id = ?", id).Where("used_at IS NULL").Returning("attempts").Scan(ctx, &n)
	return n, dbError("count email code try", "email code", err)
}

// ClaimEmailCode marks an unused, unexpired code with fewer than
// maxAttempts wrong tries used, in one conditional statement, and reports
// whether this call did.
func (s *Store) ClaimEmailCode(ctx context.Context, id string, maxAttempts int, now time.Time) (bool, error) {
	res, err := s.db.NewUpdate().Model((*emailCodeRow)(nil)).Set("used_at = ?", now).
		Where("id = ?", id).Where("used_at IS NULL").Where("expires_at > ?", now).Where("attempts < ?", maxAttempts).Exec(ctx)
	return oneRow("claim email code", "email code", res, err)
}
