package store

import (
	"context"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

type roleRow struct {
	bun.BaseModel `bun:"table:role,alias:r"`
	ID            string                 `bun:"id,pk"`
	Name          string                 `bun:"name,notnull"`
	Description   *string                `bun:"description"`
	Permissions   []gatehouse.Permission `bun:"permissions,type:jsonb,notnull"`
	Builtin       bool                   `bun:"builtin,notnull"`
	CreatedAt     time.Time              `bun:"created_at,notnull"`
	UpdatedAt     time.Time              `bun:"updated_at,notnull"`
}

func newRoleRow(r *gatehouse.Role) *roleRow {
	ps := r.Permissions
	if ps == nil {
		ps = []gatehouse.Permission{}
	}
	return &roleRow{ID: r.ID, Name: r.Name, Description: r.Description, Permissions: ps, Builtin: r.Builtin, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *roleRow) domain() *gatehouse.Role {
	role := &gatehouse.Role{
		ID: r.ID, Name: r.Name, Description: r.Description,
		Permissions: gatehouse.NormalizePermissions(r.Permissions),
		Builtin:     r.Builtin, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
	role.ResolveBuiltin()
	return role
}

type userRoleRow struct {
	bun.BaseModel `bun:"table:user_role,alias:ur"`
	UserID        string    `bun:"user_id,pk"`
	RoleID        string    `bun:"role_id,pk"`
	CreatedAt     time.Time `bun:"created_at,notnull"`
}

type inviteRoleRow struct {
	bun.BaseModel `bun:"table:invite_role,alias:ir"`
	InviteID      string `bun:"invite_id,pk"`
	RoleID        string `bun:"role_id,pk"`
}

func roles(rows []roleRow) []*gatehouse.Role {
	out := make([]*gatehouse.Role, len(rows))
	for i := range rows {
		out[i] = rows[i].domain()
	}
	return out
}

// Roles lists every role: the built-in ones first, then by name.
func (s *Store) Roles(ctx context.Context) ([]*gatehouse.Role, error) {
	return s.selectRoles(ctx, "list roles", "")
}

// selectRoles loads the roles that where (with args) admits, or all,
// built-in ones first, then by name.
func (s *Store) selectRoles(ctx context.Context, op, where string, args ...any) ([]*gatehouse.Role, error) {
	var rows []roleRow
	err := s.read(ctx, func(q bun.IDB) error {
		sel := q.NewSelect().Model(&rows).OrderExpr("builtin DESC, lower(name), id")
		if where != "" {
			sel = sel.Where(where, args...)
		}
		return sel.Scan(ctx)
	})
	if err != nil {
		return nil, dbError(op, "role", err)
	}
	return roles(rows), nil
}

// RolesByID loads the roles with the ids, in Roles' order; ids that name
// no role are left out.
func (s *Store) RolesByID(ctx context.Context, ids []string) ([]*gatehouse.Role, error) {
	if len(ids) == 0 {
		return []*gatehouse.Role{}, nil
	}
	return s.selectRoles(ctx, "load roles", "id IN (?)", bun.List(ids))
}

// Role loads a role.
func (s *Store) Role(ctx context.Context, id string) (*gatehouse.Role, error) {
	var r roleRow
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
	})
	if err != nil {
		return nil, dbError("load role", "role", err)
	}
	return r.domain(), nil
}

// CreateRole inserts a custom role; a taken name (case-insensitively) is
// CodeDuplicate.
func (s *Store) CreateRole(ctx context.Context, r *gatehouse.Role) error {
	if _, err := s.db.NewInsert().Model(newRoleRow(r)).Exec(ctx); err != nil {
		return dbError("create role", "role", err)
	}
	return nil
}

// UpdateRole writes a custom role's name, description and permissions;
// CodeNotFound for a built-in role or none.
func (s *Store) UpdateRole(ctx context.Context, r *gatehouse.Role) error {
	row := newRoleRow(r)
	res, err := s.db.NewUpdate().Model(row).
		Column("name", "description", "permissions", "updated_at").
		WherePK().Where("NOT builtin").
		Exec(ctx)
	if err != nil {
		return dbError("update role", "role", err)
	}
	return affected("update role", "role", res)
}

// RoleAssignments counts the users (not deleted) and pending invites that
// hold the role.
func (s *Store) RoleAssignments(ctx context.Context, id string) (int, error) {
	var n int
	err := s.read(ctx, func(q bun.IDB) error {
		return q.NewRaw(`SELECT
			(SELECT count(*) FROM user_role ur JOIN "user" u ON u.id = ur.user_id WHERE ur.role_id = ? AND u.deleted_at IS NULL) +
			(SELECT count(*) FROM invite_role ir JOIN invite i ON i.id = ir.invite_id WHERE ir.role_id = ? AND NOT i.accepted AND i.deleted_at IS NULL)`, id, id).
			Scan(ctx, &n)
	})
	if err != nil {
		return 0, dbError("count role assignments", "role", err)
	}
	return n, nil
}

// DeleteRole deletes a custom role and the assignments of deleted users
// and finished invites that still name it; CodeNotFound for a built-in
// role or none. Callers check RoleAssignments first, in the same
// transaction.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewDelete().Model((*userRoleRow)(nil)).Where("role_id = ?", id).Exec(ctx); err != nil {
			return dbError("delete role assignments", "role", err)
		}
		if _, err := tx.db.NewDelete().Model((*inviteRoleRow)(nil)).Where("role_id = ?", id).Exec(ctx); err != nil {
			return dbError("delete invite roles", "role", err)
		}
		res, err := tx.db.NewDelete().Model((*roleRow)(nil)).Where("id = ?", id).Where("NOT builtin").Exec(ctx)
		if err != nil {
			return dbError("delete role", "role", err)
		}
		return affected("delete role", "role", res)
	})
}

// UserRoles lists a user's roles, in Roles' order.
func (s *Store) UserRoles(ctx context.Context, userID string) ([]*gatehouse.Role, error) {
	return s.selectRoles(ctx, "load user roles", "id IN (SELECT role_id FROM user_role WHERE user_id = ?)", userID)
}

// SetUserRoles replaces a user's roles.
func (s *Store) SetUserRoles(ctx context.Context, userID string, roleIDs []string, now time.Time) error {
	return s.tx(ctx, func(tx *Store) error {
		if _, err := tx.db.NewDelete().Model((*userRoleRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
			return dbError("clear user roles", "role", err)
		}
		if len(roleIDs) == 0 {
			return nil
		}
		rows := make([]userRoleRow, len(roleIDs))
		for i, id := range roleIDs {
			rows[i] = userRoleRow{UserID: userID, RoleID: id, CreatedAt: now}
		}
		if _, err := tx.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return dbError("set user roles", "role", err)
		}
		return nil
	})
}

// InviteRoles lists the roles an invite grants, in Roles' order.
func (s *Store) InviteRoles(ctx context.Context, inviteID string) ([]*gatehouse.Role, error) {
	return s.selectRoles(ctx, "load invite roles", "id IN (SELECT role_id FROM invite_role WHERE invite_id = ?)", inviteID)
}

// SetInviteRoles records the roles an invite grants.
func (s *Store) SetInviteRoles(ctx context.Context, inviteID string, roleIDs []string) error {
	if len(roleIDs) == 0 {
		return nil
	}
	rows := make([]inviteRoleRow, len(roleIDs))
	for i, id := range roleIDs {
		rows[i] = inviteRoleRow{InviteID: inviteID, RoleID: id}
	}
	if _, err := s.db.NewInsert().Model(&rows).Exec(ctx); err != nil {
		return dbError("set invite roles", "role", err)
	}
	return nil
}

// ActiveOwners counts the users, neither deleted nor deactivated, who hold
// the owner role. On PostgreSQL it first locks the owner assignments, so
// that two transactions that each remove a different owner cannot both
// see the other one still there (SQLite runs one writer at a time).
func (s *Store) ActiveOwners(ctx context.Context) (int, error) {
	if s.db.Dialect().Name() == dialect.PG {
		if _, err := s.db.NewRaw(`SELECT 1 FROM user_role WHERE role_id = ? FOR UPDATE`, gatehouse.RoleOwner).Exec(ctx); err != nil {
			return 0, dbError("lock owners", "role", err)
		}
	}
	var n int
	err := s.db.NewRaw(`SELECT count(*) FROM user_role ur JOIN "user" u ON u.id = ur.user_id
		WHERE ur.role_id = ? AND u.deleted_at IS NULL AND u.deactivated_at IS NULL`, gatehouse.RoleOwner).Scan(ctx, &n)
	if err != nil {
		return 0, dbError("count owners", "role", err)
	}
	return n, nil
}

// UserWithRoles loads a user that is not deleted and its roles.
func (s *Store) UserWithRoles(ctx context.Context, id string) (*gatehouse.User, []*gatehouse.Role, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rs, err := s.UserRoles(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return u, rs, nil
}
