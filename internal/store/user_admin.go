package store

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// timeCursor is the cursor of a list ordered by (created_at, id): the
// microseconds and the id, base64url.
func timeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + ":" + id))
}

func decodeTimeCursor(s, field string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		if us, id, ok := strings.Cut(string(b), ":"); ok && id != "" {
			if n, err := strconv.ParseInt(us, 10, 64); err == nil {
				return time.UnixMicro(n).UTC(), id, nil
			}
		}
	}
	return time.Time{}, "", gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{field}, "The cursor is not one this list gave.")
}

// ListUsers lists the undeleted users the filter admits, oldest first, a
// page at a time, with their total.
func (s *Store) ListUsers(ctx context.Context, f gatehouse.UserFilter, p gatehouse.Page) (gatehouse.UserPage, error) {
	size, err := p.Size()
	if err != nil {
		return gatehouse.UserPage{}, err
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("u.deleted_at IS NULL")
		if term := strings.TrimSpace(f.Search); term != "" {
			like := "%" + escapeLike(strings.ToLower(term)) + "%"
			q = q.Where(`(lower(u.email) LIKE ? ESCAPE '\' OR lower(coalesce(u.first_name, '')) LIKE ? ESCAPE '\' OR lower(coalesce(u.last_name, '')) LIKE ? ESCAPE '\')`, like, like, like)
		}
		if f.RoleID != "" {
			q = q.Where("u.id IN (SELECT user_id FROM user_role WHERE role_id = ?)", f.RoleID)
		}
		switch f.Status {
		case gatehouse.UserActive:
			q = q.Where("u.deactivated_at IS NULL")
		case gatehouse.UserDeactivated:
			q = q.Where("u.deactivated_at IS NOT NULL")
		}
		return q
	}
	back := p.Backward()
	var rows []userRow
	var total int
	err = s.read(ctx, func(db bun.IDB) error {
		q := filter(db.NewSelect().Model(&rows))
		for _, c := range []struct {
			cursor, field string
			after         bool
		}{{p.After, "after", true}, {p.Before, "before", false}} {
			if c.cursor == "" {
				continue
			}
			at, id, err := decodeTimeCursor(c.cursor, c.field)
			if err != nil {
				return err
			}
			op := "<"
			if c.after {
				op = ">"
			}
			q = q.Where("(u.created_at "+op+" ? OR (u.created_at = ? AND u.id "+op+" ?))", at, at, id)
		}
		if back {
			q = q.OrderExpr("u.created_at DESC, u.id DESC")
		} else {
			q = q.OrderExpr("u.created_at, u.id")
		}
		if err := q.Limit(int64(size + 1)).Scan(ctx); err != nil {
			return err
		}
		n, err := filter(db.NewSelect().Model((*userRow)(nil))).Count(ctx)
		total = int(n)
		return err
	})
	if err != nil {
		return gatehouse.UserPage{}, dbError("list users", "user", err)
	}
	more := len(rows) > size
	if more {
		rows = rows[:size]
	}
	if back {
		slices.Reverse(rows)
	}
	page := gatehouse.UserPage{Total: total, HasNext: more, HasPrevious: p.After != ""}
	if back {
		page.HasNext, page.HasPrevious = p.Before != "", more
	}
	for i := range rows {
		u := rows[i].domain()
		page.Users = append(page.Users, u)
		page.Cursors = append(page.Cursors, timeCursor(u.CreatedAt, u.ID))
	}
	return page, nil
}

// UpdateUser writes a user's names, avatar URL, metadata and updated_at.
func (s *Store) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	res, err := s.db.NewUpdate().Model(newUserRow(u)).
		Column("first_name", "last_name", "avatar_url", "metadata", "updated_at").
		WherePK().Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return dbError("update user", "user", err)
	}
	return affected("update user", "user", res)
}

// SetUserDeactivated deactivates (at set) or reactivates (at nil) an
// undeleted user.
func (s *Store) SetUserDeactivated(ctx context.Context, id string, at *time.Time, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*userRow)(nil)).
		Set("deactivated_at = ?", at).Set("updated_at = ?", now).
		Where("id = ?", id).Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return dbError("deactivate user", "user", err)
	}
	return affected("deactivate user", "user", res)
}

// DeleteUser soft-deletes a user and takes its roles; its email may be
// invited again.
func (s *Store) DeleteUser(ctx context.Context, id string, now time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		res, err := tx.db.NewUpdate().Model((*userRow)(nil)).
			Set("deleted_at = ?", now).Set("updated_at = ?", now).
			Where("id = ?", id).Where("deleted_at IS NULL").Exec(ctx)
		if err != nil {
			return dbError("delete user", "user", err)
		}
		if err := affected("delete user", "user", res); err != nil {
			return err
		}
		if _, err := tx.db.NewDelete().Model((*userRoleRow)(nil)).Where("user_id = ?", id).Exec(ctx); err != nil {
			return dbError("delete user roles", "user", err)
		}
		return nil
	})
}

// DeleteAuthIdentity deletes an auth identity, and with it (by cascade)
// its provider identities, sessions and refresh tokens. Its events stay.
func (s *Store) DeleteAuthIdentity(ctx context.Context, id string) error {
	if _, err := s.db.NewDelete().Model((*authIdentityRow)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
		return dbError("delete identity", "identity", err)
	}
	return nil
}

// inviteListed admits the invites the list shows: every invite but those a
// newer invite for the same email superseded (deleted, not revoked).
const inviteListed = "(i.deleted_at IS NULL OR i.revoked_at IS NOT NULL)"

// ListInvites lists invites newest first, a page at a time, with their
// total; status "" lists every status.
func (s *Store) ListInvites(ctx context.Context, status gatehouse.InviteStatus, p gatehouse.Page, now time.Time) (gatehouse.InvitePage, error) {
	size, err := p.Size()
	if err != nil {
		return gatehouse.InvitePage{}, err
	}
	if p.Last > 0 || p.Before != "" {
		return gatehouse.InvitePage{}, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"last"}, "The invite list pages forward only: use first and after.")
	}
	filter := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where(inviteListed)
		switch status {
		case gatehouse.InvitePending:
			q = q.Where("NOT i.accepted AND i.revoked_at IS NULL AND i.expires_at > ?", now)
		case gatehouse.InviteAccepted:
			q = q.Where("i.accepted")
		case gatehouse.InviteExpired:
			q = q.Where("NOT i.accepted AND i.revoked_at IS NULL AND i.expires_at <= ?", now)
		case gatehouse.InviteRevoked:
			q = q.Where("i.revoked_at IS NOT NULL")
		}
		return q
	}
	var rows []inviteRow
	var total int
	err = s.read(ctx, func(db bun.IDB) error {
		q := filter(db.NewSelect().Model(&rows))
		if p.After != "" {
			at, id, err := decodeTimeCursor(p.After, "after")
			if err != nil {
				return err
			}
			q = q.Where("(i.created_at < ? OR (i.created_at = ? AND i.id < ?))", at, at, id)
		}
		if err := q.OrderExpr("i.created_at DESC, i.id DESC").Limit(int64(size + 1)).Scan(ctx); err != nil {
			return err
		}
		n, err := filter(db.NewSelect().Model((*inviteRow)(nil))).Count(ctx)
		total = int(n)
		return err
	})
	if err != nil {
		return gatehouse.InvitePage{}, dbError("list invites", "invite", err)
	}
	page := gatehouse.InvitePage{Total: total, HasNext: len(rows) > size}
	if page.HasNext {
		rows = rows[:size]
	}
	for i := range rows {
		inv := rows[i].domain()
		page.Invites = append(page.Invites, inv)
		page.Cursors = append(page.Cursors, timeCursor(inv.CreatedAt, inv.ID))
	}
	return page, nil
}

// Invite loads a listed invite (not superseded).
func (s *Store) Invite(ctx context.Context, id string) (*gatehouse.Invite, error) {
	var r inviteRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("i.id = ?", id).Where(inviteListed).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load invite", "invite", err)
	}
	return r.domain(), nil
}

// RevokeInvite revokes an invite that is neither accepted nor revoked;
// CodeNotFound otherwise.
func (s *Store) RevokeInvite(ctx context.Context, id string, now time.Time) error {
	res, err := s.db.NewUpdate().Model((*inviteRow)(nil)).
		Set("revoked_at = ?", now).Set("deleted_at = ?", now).Set("updated_at = ?", now).
		Where("id = ?", id).Where("NOT accepted").Where("deleted_at IS NULL").Exec(ctx)
	if err != nil {
		return dbError("revoke invite", "invite", err)
	}
	return affected("revoke invite", "invite", res)
}

// RenewInvite gives an invite that is neither accepted nor revoked a new
// token hash and expiry: the old token no longer matches.
func (s *Store) RenewInvite(ctx context.Context, id, tokenHash string, expiresAt, now time.Time) (*gatehouse.Invite, error) {
	var r inviteRow
	err := s.db.NewUpdate().Model(&r).
		Set("token_hash = ?", tokenHash).Set("expires_at = ?", expiresAt).Set("updated_at = ?", now).
		Where("id = ?", id).Where("NOT accepted").Where("deleted_at IS NULL").
		Returning("*").Scan(ctx)
	if err != nil {
		return nil, dbError("renew invite", "invite", err)
	}
	return r.domain(), nil
}
