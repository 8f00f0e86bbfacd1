package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// The lockout's statements: counting a password attempt before the check,
// taking it back, forgetting the count after a success, locking and
// unlocking.

// attemptRow is a provider identity and the attempt counts of its auth
// identity.
type attemptRow struct {
	providerIdentityRow
	Attempts    int        `bun:"attempts,scanonly"`
	Locks       int        `bun:"locks,scanonly"`
	LockedUntil *time.Time `bun:"locked_until,scanonly"`
}

// PasswordAttempt finds the provider identity (actor, provider, entityID)
// and counts a password attempt against its auth identity before the
// password is checked, in one statement: parallel attempts cannot slip
// past the limit, each sees its own count. An identity locked at now is
// not counted and answers locked. CodeNotFound when there is no such
// provider identity, after the same one statement.
func (s *Store) PasswordAttempt(ctx context.Context, actor gatehouse.ActorType, provider, entityID string, now time.Time) (*gatehouse.ProviderIdentity, auth.Attempt, error) {
	var r attemptRow
	// Counted, it must not be counted again: retried only when it never ran.
	err := s.write(ctx, func(q bun.IDB) error {
		return q.NewRaw(s.sql.passwordAttempt, now, actor, provider, entityID).Scan(ctx, &r)
	})
	if err != nil {
		return nil, auth.Attempt{}, dbError("count password attempt", "provider identity", err)
	}
	locked := r.LockedUntil != nil && r.LockedUntil.After(now)
	return r.domain(), auth.Attempt{Attempts: r.Attempts, Locks: r.Locks, Locked: locked}, nil
}

// UncountAttempt takes back an attempt PasswordAttempt counted, for a
// check that never reached a verdict (the hash was shed, the request
// cancelled): being turned away under load must not lock an account.
func (s *Store) UncountAttempt(ctx context.Context, authIdentityID string) error {
	_, err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).Set("failed_attempts = failed_attempts - 1").
		Where("id = ?", authIdentityID).Where("failed_attempts > 0").Exec(ctx)
	return dbError("uncount attempt", "identity", err)
}

// liveIdentityRow is an auth identity and whether its actor is live.
type liveIdentityRow struct {
	authIdentityRow
	ActorLive bool `bun:"actor_live,scanonly"`
}

// ResetAttempts loads an auth identity for a sign-in that succeeded,
// forgetting its failed attempts in the same statement. An identity whose
// customer or user is gone is CodeNotFound.
func (s *Store) ResetAttempts(ctx context.Context, authIdentityID string) (*gatehouse.AuthIdentity, error) {
	return s.resetAttempts(ctx, authIdentityID, "failed_attempts = 0")
}

// FirstFactorPassed loads an auth identity whose first factor passed, in
// one statement as ResetAttempts: one without a second factor forgets its
// failed attempts; one with keeps them until its second factor passes,
// less the attempt the first factor's check counted (counted), so that a
// right password never counts as a wrong one.
func (s *Store) FirstFactorPassed(ctx context.Context, authIdentityID string, counted bool) (*gatehouse.AuthIdentity, error) {
	if !counted {
		return s.resetAttempts(ctx, authIdentityID, "failed_attempts = CASE WHEN mfa_enabled THEN failed_attempts ELSE 0 END")
	}
	return s.resetAttempts(ctx, authIdentityID, "failed_attempts = CASE WHEN mfa_enabled AND failed_attempts > 0 THEN failed_attempts - 1 ELSE 0 END")
}

func (s *Store) resetAttempts(ctx context.Context, authIdentityID, set string) (*gatehouse.AuthIdentity, error) {
	var r liveIdentityRow
	err := s.db.NewUpdate().Model(&r.authIdentityRow).Set(set).
		Where("id = ?", authIdentityID).Returning(s.sql.resetAttemptsReturning).Scan(ctx, &r)
	if err != nil {
		return nil, dbError("reset attempts", "identity", err)
	}
	a := r.domain()
	if !r.ActorLive {
		return nil, errActorGone(a)
	}
	return a, nil
}

// TakeAttempt counts a password attempt against an identity before the
// password is checked, in one statement, and returns the count; an
// identity locked at now is not counted and answers locked. So parallel
// attempts cannot slip past the limit: each sees its own count.
func (s *Store) TakeAttempt(ctx context.Context, authIdentityID string, now time.Time) (attempts, locks int, locked bool, err error) {
	var r authIdentityRow
	err = s.db.NewUpdate().Model(&r).
		Set("failed_attempts = failed_attempts + 1").
		Where("id = ?", authIdentityID).
		Where("(locked_until IS NULL OR locked_until <= ?)", now).
		Returning("failed_attempts, lock_count").
		Scan(ctx, &attempts, &locks)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, true, nil
	}
	if err != nil {
		return 0, 0, false, dbError("count attempt", "identity", err)
	}
	return attempts, locks, false, nil
}

// Lock locks an identity until until, counting the lock and starting the
// attempts afresh.
func (s *Store) Lock(ctx context.Context, authIdentityID string, until, now time.Time) error {
	_, err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).
		Set("locked_until = ?", until).Set("lock_count = lock_count + 1").Set("failed_attempts = 0").Set("updated_at = ?", now).
		Where("id = ?", authIdentityID).Exec(ctx)
	return dbError("lock identity", "identity", err)
}

// Unlock ends a lock and forgets the attempts and earlier locks.
func (s *Store) Unlock(ctx context.Context, authIdentityID string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*authIdentityRow)(nil)).
		Set("locked_until = NULL").Set("lock_count = 0").Set("failed_attempts = 0").Set("updated_at = ?", now).
		Where("id = ?", authIdentityID).Exec(ctx)
	if err != nil {
		return dbError("unlock identity", "identity", err)
	}
	return affected("unlock identity", "identity", res)
}
