package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type idempotencyRow struct {
	bun.BaseModel `bun:"table:idempotency_record,alias:ir"`
	gatehouse.IdempotencyRecord
}

func (r *idempotencyRow) domain() *gatehouse.IdempotencyRecord {
	rec := r.IdempotencyRecord
	rec.LockedUntil, rec.CreatedAt, rec.ExpiresAt = rec.LockedUntil.UTC(), rec.CreatedAt.UTC(), rec.ExpiresAt.UTC()
	return &rec
}

// claimIdempotencySQL inserts a record in progress, or takes over the row
// of its id when that one has expired or is in progress past its lock
// (its owner died): one statement, so of two racing claims one wins and
// the other gets no row back. The statement is the same in both dialects.
const claimIdempotencySQL = `INSERT INTO idempotency_record (id, fingerprint, state, owner, locked_until, created_at, expires_at)
VALUES (?, ?, 'in_progress', ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
  fingerprint = excluded.fingerprint,
  state = 'in_progress',
  owner = excluded.owner,
  status = NULL,
  body = NULL,
  locked_until = excluded.locked_until,
  created_at = excluded.created_at,
  expires_at = excluded.expires_at
WHERE idempotency_record.expires_at <= ?
   OR (idempotency_record.state = 'in_progress' AND idempotency_record.locked_until <= ?)
RETURNING *`

// ClaimIdempotency claims r's id for r.Owner at now, and returns the record
// as it stands: r's own (the claim won: Owner is r.Owner) when the id was
// free, expired, or held past its lock; otherwise the other request's,
// in progress or done, for the caller to wait for, replay or refuse.
func (s *Store) ClaimIdempotency(ctx context.Context, r *gatehouse.IdempotencyRecord, now time.Time) (*gatehouse.IdempotencyRecord, error) {
	// A row seen held by the claim and gone before the read (released, or
	// pruned) is claimed again; three rounds are plenty, as each needs
	// another request to finish in between.
	for range 3 {
		var got idempotencyRow
		err := s.db.NewRaw(claimIdempotencySQL,
			r.ID, r.Fingerprint, r.Owner, r.LockedUntil, r.CreatedAt, r.ExpiresAt, now, now).Scan(ctx, &got)
		switch {
		case err == nil:
			return got.domain(), nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, dbError("claim idempotency key", "idempotency record", err)
		}
		err = s.db.NewSelect().Model(&got).Where("id = ?", r.ID).Scan(ctx)
		switch {
		case err == nil:
			return got.domain(), nil
		case !errors.Is(err, sql.ErrNoRows):
			return nil, dbError("load idempotency record", "idempotency record", err)
		}
	}
	return nil, gatehouse.Internal(errors.New("store: claim idempotency key: the record kept changing"))
}

// CompleteIdempotency keeps the answer (its status and sealed body) of the
// request that holds the record, filed under the identity it acted for
// (authIdentityID, "" for none): CodeNotFound when it no longer does (its
// lock passed and a retry took the record over).
func (s *Store) CompleteIdempotency(ctx context.Context, id, owner string, status int, body, authIdentityID string) error {
	res, err := s.db.NewUpdate().Model((*idempotencyRow)(nil)).
		Set("state = ?", gatehouse.IdempotencyDone).
		Set("auth_identity_id = NULLIF(?, '')", authIdentityID).
		Set("status = ?", status).
		Set("body = ?", body).
		Where("id = ?", id).
		Where("owner = ?", owner).
		Where("state = ?", gatehouse.IdempotencyInProgress).
		Exec(ctx)
	if err != nil {
		return dbError("complete idempotency record", "idempotency record", err)
	}
	return affected("complete idempotency record", "idempotency record", res)
}

// ReleaseIdempotency deletes the record the request holds, whose answer is
// not to be kept (shed, or failed): a retry then runs. A record no longer
// held is left alone.
func (s *Store) ReleaseIdempotency(ctx context.Context, id, owner string) error {
	_, err := s.db.NewDelete().Model((*idempotencyRow)(nil)).
		Where("id = ?", id).
		Where("owner = ?", owner).
		Where("state = ?", gatehouse.IdempotencyInProgress).
		Exec(ctx)
	return dbError("release idempotency record", "idempotency record", err)
}
