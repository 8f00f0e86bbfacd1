package gatehouse

import (
	"slices"
	"time"
)

// PrefixRole is the id prefix of a custom role.
const PrefixRole = "role"

// Permission is what an admin user may do; a role grants a set of them.
type Permission string

// The permissions. Every admin field of the schema names the one it needs
// (@hasPermission).
const (
	PermManageUsers          Permission = "MANAGE_USERS"
	PermManageCustomers      Permission = "MANAGE_CUSTOMERS"
	PermViewCustomers        Permission = "VIEW_CUSTOMERS"
	PermImpersonateCustomers Permission = "IMPERSONATE_CUSTOMERS"
	PermViewAudit            Permission = "VIEW_AUDIT"
	PermManageWebhooks       Permission = "MANAGE_WEBHOOKS"
	PermManageRoles          Permission = "MANAGE_ROLES"
)

// Permissions lists every permission, in the schema's order.
func Permissions() []Permission {
	return []Permission{PermManageUsers, PermManageCustomers, PermViewCustomers, PermImpersonateCustomers, PermViewAudit, PermManageWebhooks, PermManageRoles}
}

// Valid reports whether p is a known permission.
func (p Permission) Valid() bool { return slices.Contains(Permissions(), p) }

// The built-in roles' ids.
const (
	RoleOwner   = "role_owner"
	RoleAdmin   = "role_admin"
	RoleSupport = "role_support"
	RoleViewer  = "role_viewer"
)

// builtinPermissions are the built-in roles' permissions: the binary's, not
// the database's, so that a permission a release adds reaches owner and
// admin without a data migration.
func builtinPermissions(id string) ([]Permission, bool) {
	switch id {
	case RoleOwner:
		return Permissions(), true
	case RoleAdmin:
		return slices.DeleteFunc(Permissions(), func(p Permission) bool { return p == PermManageRoles }), true
	case RoleSupport:
		return []Permission{PermManageCustomers, PermViewCustomers, PermImpersonateCustomers, PermViewAudit}, true
	case RoleViewer:
		return []Permission{PermViewCustomers, PermViewAudit}, true
	}
	return nil, false
}

// Role is a named set of permissions given to admin users.
type Role struct {
	ID          string
	Name        string
	Description *string
	// Permissions are sorted in the schema's order, without repeats.
	Permissions []Permission
	// Builtin roles cannot be changed or deleted.
	Builtin   bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ResolveBuiltin replaces a built-in role's stored permissions by the
// binary's.
func (r *Role) ResolveBuiltin() {
	if ps, ok := builtinPermissions(r.ID); ok {
		r.Permissions, r.Builtin = ps, true
	}
}

// NormalizePermissions sorts ps in the schema's order and drops repeats.
func NormalizePermissions(ps []Permission) []Permission {
	out := []Permission{}
	for _, p := range Permissions() {
		if slices.Contains(ps, p) {
			out = append(out, p)
		}
	}
	return out
}

// PermissionSet is what a set of roles grants.
type PermissionSet []Permission

// Union returns the permissions of all the roles, normalized.
func Union(roles []*Role) PermissionSet {
	var all []Permission
	for _, r := range roles {
		all = append(all, r.Permissions...)
	}
	return NormalizePermissions(all)
}

// Has reports whether the set holds p.
func (s PermissionSet) Has(p Permission) bool { return slices.Contains(s, p) }

// Covers reports whether the set holds every one of ps.
func (s PermissionSet) Covers(ps []Permission) bool {
	for _, p := range ps {
		if !s.Has(p) {
			return false
		}
	}
	return true
}
