package store

import (
	"context"
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
	if err != nil {
		return false, dbError("use factor step", "factor", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError("use factor step", "factor", err)
	}
	return n == 1, nil
}

// TouchFactor records a factor's use.
func (s *Store) TouchFactor(ctx context.Context, id string, now time.Time) error {
	_, err := s.db.NewUpdate().Model((*factorRow)(nil)).Set("last_used_at = ?", now).Where("id = ?", id).Exec(ctx)
	return dbError("touch factor", "factor", err)
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
	if err != nil {
		return false, dbError("claim mfa challenge", "challenge", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, dbError("claim mfa challenge", "challenge", err)
	}
	return n == 1, nil
}
