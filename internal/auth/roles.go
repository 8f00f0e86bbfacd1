package auth

import (
	"context"
	"slices"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// RoleInput is a custom role to create.
type RoleInput struct {
	Name        string
	Description *string
	Permissions []gatehouse.Permission
}

// RoleChange is what updateRole changes; unset fields stay.
type RoleChange struct {
	Name        gatehouse.Opt[*string]
	Description gatehouse.Opt[*string]
	Permissions gatehouse.Opt[[]gatehouse.Permission]
}

// Roles lists every role, for an admin who manages roles or users.
func (s *Service) Roles(ctx context.Context, adm *Admin) ([]*gatehouse.Role, error) {
	if adm.require(gatehouse.PermManageRoles) != nil {
		if err := adm.require(gatehouse.PermManageUsers); err != nil {
			return nil, missingPermission([]gatehouse.Permission{gatehouse.PermManageRoles, gatehouse.PermManageUsers})
		}
	}
	return s.store.Roles(ctx)
}

// UserRoles lists a user's roles, for a field of a user the caller could
// already read.
func (s *Service) UserRoles(ctx context.Context, u *gatehouse.User) ([]*gatehouse.Role, error) {
	return s.store.UserRoles(ctx, u.ID)
}

// InviteRoles lists the roles an invite grants, for a field of an invite
// the caller could already read.
func (s *Service) InviteRoles(ctx context.Context, inv *gatehouse.Invite) ([]*gatehouse.Role, error) {
	return s.store.InviteRoles(ctx, inv.ID)
}

// InviteStatus says where an invite stands now.
func (s *Service) InviteStatus(inv *gatehouse.Invite) gatehouse.InviteStatus {
	return inv.Status(s.clock())
}

// CreateRole creates a custom role; the admin must hold every permission
// it grants.
func (s *Service) CreateRole(ctx context.Context, adm *Admin, in RoleInput) (*gatehouse.Role, error) {
	if err := adm.require(gatehouse.PermManageRoles); err != nil {
		return nil, err
	}
	now := s.clock()
	r := &gatehouse.Role{ID: gatehouse.NewID(gatehouse.PrefixRole), CreatedAt: now, UpdatedAt: now}
	name := &in.Name
	if err := roleName(&r.Name, gatehouse.Some(name)); err != nil {
		return nil, err
	}
	if err := text(&r.Description, gatehouse.Some(in.Description), "description"); err != nil {
		return nil, err
	}
	if err := rolePermissions(adm, &r.Permissions, in.Permissions); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateRole(ctx, r); err != nil {
			return asField(err, "input", "name")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventRoleCreated, r.ID, map[string]any{"role_id": r.ID, "name": r.Name, "permissions": r.Permissions})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole changes a custom role. The admin must hold every permission
// the role grants, before and after.
func (s *Service) UpdateRole(ctx context.Context, adm *Admin, id string, ch RoleChange) (*gatehouse.Role, error) {
	if err := adm.require(gatehouse.PermManageRoles); err != nil {
		return nil, err
	}
	var r *gatehouse.Role
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if r, err = customRole(ctx, st, id); err != nil {
			return err
		}
		if !adm.perms.Covers(r.Permissions) {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "You can change only roles whose permissions you all hold.")
		}
		if ch.Name.Set {
			if err := roleName(&r.Name, ch.Name); err != nil {
				return err
			}
		}
		if err := text(&r.Description, ch.Description, "description"); err != nil {
			return err
		}
		if ch.Permissions.Set {
			if err := rolePermissions(adm, &r.Permissions, ch.Permissions.Value); err != nil {
				return err
			}
		}
		r.UpdatedAt = s.clock()
		if err := st.UpdateRole(ctx, r); err != nil {
			return asField(err, "input", "name")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventRoleUpdated, r.ID, map[string]any{"role_id": r.ID, "name": r.Name, "permissions": r.Permissions})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteRole deletes a custom role that no user or pending invite holds.
func (s *Service) DeleteRole(ctx context.Context, adm *Admin, id string) error {
	if err := adm.require(gatehouse.PermManageRoles); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		r, err := customRole(ctx, st, id)
		if err != nil {
			return err
		}
		if !adm.perms.Covers(r.Permissions) {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "You can delete only roles whose permissions you all hold.")
		}
		n, err := st.RoleAssignments(ctx, id)
		if err != nil {
			return err
		}
		if n > 0 {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "The role is still held by %d users or pending invites; take it from them first.", n)
		}
		if err := st.DeleteRole(ctx, id); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventRoleDeleted, id, map[string]any{"role_id": id, "name": r.Name})
	})
}

// customRole loads a role that may be changed: a built-in one is
// NOT_ALLOWED, none NOT_FOUND.
func customRole(ctx context.Context, st Store, id string) (*gatehouse.Role, error) {
	r, err := st.Role(ctx, id)
	if err != nil {
		return nil, asField(err, "id")
	}
	if r.Builtin {
		return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"id"}, "Built-in roles cannot be changed or deleted.")
	}
	return r, nil
}

// roleName sets a role's name: 1 to 64 characters.
func roleName(dst *string, o gatehouse.Opt[*string]) error {
	var v *string
	if err := text(&v, o, "name"); err != nil {
		return err
	}
	if v == nil || len([]rune(*v)) > 64 {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "name"}, "A role's name must be 1 to 64 characters.")
	}
	*dst = *v
	return nil
}

// rolePermissions sets a role's permissions: known ones, each held by the
// admin who grants them.
func rolePermissions(adm *Admin, dst *[]gatehouse.Permission, ps []gatehouse.Permission) error {
	for _, p := range ps {
		if !p.Valid() {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "permissions"}, "Unknown permission %q.", p)
		}
		if !adm.perms.Has(p) {
			return gatehouse.FieldError(gatehouse.CodeNotAllowed, []string{"input", "permissions"}, "You cannot grant %s: you do not hold it.", p)
		}
	}
	*dst = gatehouse.NormalizePermissions(ps)
	return nil
}

// grantableRoles loads the roles with the ids for an admin who gives them
// to a user or an invite: each must exist and grant only permissions the
// admin holds, and there must be at least one.
func grantableRoles(ctx context.Context, st Store, adm *Admin, ids []string, field ...string) ([]string, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	if len(ids) == 0 {
		return nil, gatehouse.FieldError(gatehouse.CodeInvalidInput, inputField(field), "Give at least one role.")
	}
	rs, err := st.RolesByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	if len(rs) != len(ids) {
		return nil, gatehouse.FieldError(gatehouse.CodeNotFound, inputField(field), "No such role.")
	}
	for _, r := range rs {
		if !adm.perms.Covers(r.Permissions) {
			return nil, gatehouse.FieldError(gatehouse.CodeNotAllowed, inputField(field), "You cannot give the role %q: it grants permissions you do not hold.", r.Name)
		}
	}
	return ids, nil
}

// adminEvent records an admin's action, in the transaction of the change,
// for the audit trail and the subscribers.
func (s *Service) adminEvent(ctx context.Context, st Store, adm *Admin, name, subjectID string, payload map[string]any) error {
	payload["actor_id"] = adm.user.ID
	payload["subject_id"] = subjectID
	return s.emit(ctx, st, gatehouse.Event{
		Name: name, AuthIdentityID: adm.p.AuthIdentityID, ActorType: gatehouse.ActorUser,
		ActorID: adm.user.ID, ActorKind: gatehouse.ActorUser, SubjectID: subjectID, SessionID: adm.p.SessionID,
		Payload: payload,
	})
}

// asField points a NOT_FOUND or DUPLICATE from the store at the argument
// that named the missing or taken thing.
func asField(err error, field ...string) error {
	e := gatehouse.AsError(err)
	if e == nil || e.Field != nil || (e.Code != gatehouse.CodeNotFound && e.Code != gatehouse.CodeDuplicate) {
		return err
	}
	c := *e
	c.Field = field
	return &c
}
