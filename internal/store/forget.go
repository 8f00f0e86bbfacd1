package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// Deleting a customer's account: what goes, what is anonymised, and the
// deletions scheduled under a grace period.

type accountDeletionRow struct {
	bun.BaseModel `bun:"table:account_deletion,alias:ad"`
	gatehouse.AccountDeletion
}

func (r *accountDeletionRow) domain() *gatehouse.AccountDeletion {
	d := r.AccountDeletion
	d.RequestedAt, d.DueAt, d.CancelledAt, d.DoneAt = d.RequestedAt.UTC(), d.DueAt.UTC(), utc(d.CancelledAt), utc(d.DoneAt)
	return &d
}

// ForgetCustomer deletes a customer's account in one transaction: the
// auth identity (and with it its provider identities, password hash,
// factors, recovery codes, sessions, refresh tokens, pending email
// changes and codes), its reset and verification tokens and the
// idempotent answers kept for it; the customer's addresses; the
// customer's personal fields (names, email, phone, company, user name,
// tax and external ids, locale, metadata, attributes, consents) are
// cleared and deleted_at set; the id, created_at and updated_at stay.
// The auth events about it keep their ids and types and lose their
// sealed secrets, IP addresses, user agents and every email address in
// their payloads.
// authIdentityID may be "" (a customer with no identity).
func (s *Store) ForgetCustomer(ctx context.Context, customerID, authIdentityID string, now time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		ids := []string{customerID}
		if authIdentityID != "" {
			ids = append(ids, authIdentityID)
			for _, q := range []string{
				`DELETE FROM action_token WHERE auth_identity_id = ?`,
				`DELETE FROM idempotency_record WHERE auth_identity_id = ?`,
				`DELETE FROM auth_identity WHERE id = ?`,
			} {
				if _, err := tx.db.NewRaw(q, authIdentityID).Exec(ctx); err != nil {
					return dbError("delete account", "account", err)
				}
			}
		}
		if _, err := tx.db.NewRaw(`DELETE FROM customer_address WHERE customer_id = ?`, customerID).Exec(ctx); err != nil {
			return dbError("delete addresses", "customer", err)
		}
		res, err := tx.db.NewRaw(`UPDATE customer SET email = NULL, first_name = NULL, last_name = NULL, company_name = NULL, phone = NULL,
  user_name = NULL, tax_id = NULL, external_id = NULL, locale_code = NULL, customer_set = NULL, account_type = NULL,
  default_billing_address_id = NULL, default_shipping_address_id = NULL, metadata = '{}', attributes = '[]',
  accepts_marketing = FALSE, email_verified = FALSE, tax_exempt = FALSE, is_active = FALSE, is_locked = FALSE,
  deleted_at = ?
WHERE id = ? AND deleted_at IS NULL`, now, customerID).Exec(ctx)
		if err != nil {
			return dbError("anonymise customer", "customer", err)
		}
		if err := affected("anonymise customer", "customer", res); err != nil {
			return err
		}
		return tx.scrubEvents(ctx, ids)
	})
}

// scrubEvents strips the personal data from the auth events about ids
// (as their identity, actor or subject): sealed secrets, IP addresses,
// user agents and the email addresses in their payloads.
func (s *Store) scrubEvents(ctx context.Context, ids []string) error {
	var rows []auditRow
	err := s.db.NewSelect().Model(&rows).Column("id", "payload").
		Where("auth_identity_id IN (?) OR actor_id IN (?) OR subject_id IN (?)", bun.List(ids), bun.List(ids), bun.List(ids)).
		Scan(ctx)
	if err != nil {
		return dbError("load events to scrub", "event", err)
	}
	for _, r := range rows {
		payload, err := json.Marshal(withoutEmails(r.Payload))
		if err != nil {
			return gatehouse.Internal(err)
		}
		if _, err := s.db.NewRaw(`UPDATE auth_event SET payload = ?, sealed = NULL, ip = NULL, user_agent = NULL WHERE id = ?`,
			string(payload), r.ID).Exec(ctx); err != nil {
			return dbError("scrub event", "event", err)
		}
	}
	return nil
}

// withoutEmails is the payload without the values that are email
// addresses, at any depth.
func withoutEmails(p map[string]any) map[string]any {
	out := make(map[string]any, len(p))
	for k, v := range p {
		switch v := v.(type) {
		case string:
			if gatehouse.ValidEmail(v) {
				continue
			}
		case map[string]any:
			out[k] = withoutEmails(v)
			continue
		}
		out[k] = v
	}
	return out
}

// ScheduleDeletion records a deletion for later, unless one is pending
// for the identity already; it answers the pending one.
func (s *Store) ScheduleDeletion(ctx context.Context, d *gatehouse.AccountDeletion) (*gatehouse.AccountDeletion, error) {
	var out *gatehouse.AccountDeletion
	err := s.tx(ctx, func(tx *Store) error {
		var r accountDeletionRow
		err := tx.db.NewSelect().Model(&r).Where("auth_identity_id = ?", d.AuthIdentityID).
			Where("cancelled_at IS NULL AND done_at IS NULL").Limit(1).Scan(ctx)
		switch err := dbError("load scheduled deletion", "deletion", err); {
		case err == nil:
			out = r.domain()
			return nil
		case gatehouse.ErrorCode(err) != gatehouse.CodeNotFound:
			return err
		}
		if _, err := tx.db.NewInsert().Model(&accountDeletionRow{AccountDeletion: *d}).Exec(ctx); err != nil {
			return dbError("schedule deletion", "deletion", err)
		}
		out = d
		return nil
	})
	return out, err
}

// CancelDeletions cancels the identity's pending deletions, answering
// how many.
func (s *Store) CancelDeletions(ctx context.Context, authIdentityID string, now time.Time) (int, error) {
	n, err := exec(ctx, s.db, "cancel deletion", "deletion",
		`UPDATE account_deletion SET cancelled_at = ? WHERE auth_identity_id = ? AND cancelled_at IS NULL AND done_at IS NULL`, now, authIdentityID)
	return n, err
}

// DueDeletions lists up to limit pending deletions due at now, oldest
// first.
func (s *Store) DueDeletions(ctx context.Context, now time.Time, limit int) ([]*gatehouse.AccountDeletion, error) {
	var rows []accountDeletionRow
	err := s.read(ctx, func(q bun.IDB) error {
		rows = nil
		return q.NewSelect().Model(&rows).Where("cancelled_at IS NULL AND done_at IS NULL").Where("due_at <= ?", now).
			OrderExpr("due_at, id").Limit(int64(limit)).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("list due deletions", "deletion", err)
	}
	out := make([]*gatehouse.AccountDeletion, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out, nil
}

// ClaimDeletion marks the pending deletion done, answering whether this
// call did: of two instances (or a sign-in cancelling it) one wins.
func (s *Store) ClaimDeletion(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := s.db.NewRaw(`UPDATE account_deletion SET done_at = ? WHERE id = ? AND cancelled_at IS NULL AND done_at IS NULL`, now, id).Exec(ctx)
	return oneRow("claim deletion", "deletion", res, err)
}
