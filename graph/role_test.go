package graph_test

import (
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	rolesQ      = `{ roles { id name description permissions builtin } }`
	createRoleQ = `mutation($in: CreateRoleInput!) { createRole(input: $in) { role { id name description permissions builtin } errors { code field message } } }`
	updateRoleQ = `mutation($id: ID!, $in: UpdateRoleInput!) { updateRole(id: $id, input: $in) { role { id name description permissions builtin } errors { code field message } } }`
	deleteRoleQ = `mutation($id: ID!) { deleteRole(id: $id) { id deleted errors { code field message } } }`
	myRolesQ    = `{ currentUser { roles { id } permissions } }`
)

type role struct {
	ID          string
	Name        string
	Description *string
	Permissions []string
	Builtin     bool
}

type rolePayload struct {
	Role   *role
	Errors []authError
}

func TestRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)

		t.Run("built-in roles", func(t *testing.T) {
			var rs []role
			a.do(t, root, rolesQ, nil).decode(t, "roles", &rs)
			if len(rs) != 4 {
				t.Fatalf("roles = %+v", rs)
			}
			for _, r := range rs {
				if !r.Builtin || !slices.Equal(r.Permissions, builtinRoles[r.ID]) {
					t.Errorf("%s: builtin %v, permissions %v, want %v", r.ID, r.Builtin, r.Permissions, builtinRoles[r.ID])
				}
			}
		})
		t.Run("the first admin is an owner", func(t *testing.T) {
			var me struct {
				Roles       []struct{ ID string }
				Permissions []string
			}
			a.do(t, root, myRolesQ, nil).decode(t, "currentUser", &me)
			if len(me.Roles) != 1 || me.Roles[0].ID != "role_owner" || !slices.Equal(me.Permissions, builtinRoles["role_owner"]) {
				t.Fatalf("currentUser = %+v", me)
			}
		})

		var hr rolePayload
		a.do(t, root, createRoleQ, map[string]any{"in": map[string]any{"name": " HR ", "description": "People", "permissions": []string{"MANAGE_USERS", "MANAGE_ROLES", "MANAGE_USERS"}}}).decode(t, "createRole", &hr)
		if len(hr.Errors) > 0 || hr.Role.Name != "HR" || hr.Role.Builtin || !slices.Equal(hr.Role.Permissions, []string{"MANAGE_USERS", "MANAGE_ROLES"}) {
			t.Fatalf("createRole = %+v", hr)
		}
		hrBearer := a.adminWithRoles(t, root, "hr@example.com", hr.Role.ID)

		for _, c := range []struct {
			name   string
			bearer string
			query  string
			vars   map[string]any
			field  string
			code   string
		}{
			{"duplicate name", root, createRoleQ, map[string]any{"in": map[string]any{"name": "hr", "permissions": []string{"VIEW_AUDIT"}}}, "createRole", "DUPLICATE"},
			{"empty name", root, createRoleQ, map[string]any{"in": map[string]any{"name": "  ", "permissions": []string{}}}, "createRole", "INVALID_INPUT"},
			{"granting a permission not held", hrBearer, createRoleQ, map[string]any{"in": map[string]any{"name": "auditors", "permissions": []string{"VIEW_AUDIT"}}}, "createRole", "NOT_ALLOWED"},
			{"changing a built-in role", root, updateRoleQ, map[string]any{"id": "role_viewer", "in": map[string]any{"permissions": []string{"VIEW_AUDIT"}}}, "updateRole", "NOT_ALLOWED"},
			{"deleting a built-in role", root, deleteRoleQ, map[string]any{"id": "role_owner"}, "deleteRole", "NOT_ALLOWED"},
			{"deleting a role still held", root, deleteRoleQ, map[string]any{"id": hr.Role.ID}, "deleteRole", "NOT_ALLOWED"},
			{"deleting an unknown role", root, deleteRoleQ, map[string]any{"id": "role_none"}, "deleteRole", "NOT_FOUND"},
			{"inviting with a role granting more than the inviter holds", hrBearer, inviteWithRolesQ, map[string]any{"email": "x@example.com", "roles": []string{"role_viewer"}}, "createInvite", "NOT_ALLOWED"},
			{"inviting with an unknown role", root, inviteWithRolesQ, map[string]any{"email": "x@example.com", "roles": []string{"role_none"}}, "createInvite", "NOT_FOUND"},
			{"inviting with no role", root, inviteWithRolesQ, map[string]any{"email": "x@example.com", "roles": []string{}}, "createInvite", "INVALID_INPUT"},
		} {
			t.Run(c.name, func(t *testing.T) {
				var p struct{ Errors []authError }
				a.do(t, c.bearer, c.query, c.vars).decode(t, c.field, &p)
				wantError(t, p.Errors, c.code)
			})
		}

		t.Run("update and delete a custom role", func(t *testing.T) {
			var made rolePayload
			a.do(t, root, createRoleQ, map[string]any{"in": map[string]any{"name": "auditors", "permissions": []string{"VIEW_AUDIT"}}}).decode(t, "createRole", &made)
			var up rolePayload
			a.do(t, root, updateRoleQ, map[string]any{"id": made.Role.ID, "in": map[string]any{"description": "Read the trail", "permissions": []string{"VIEW_AUDIT", "VIEW_CUSTOMERS"}}}).decode(t, "updateRole", &up)
			if len(up.Errors) > 0 || up.Role.Name != "auditors" || *up.Role.Description != "Read the trail" || !slices.Equal(up.Role.Permissions, []string{"VIEW_CUSTOMERS", "VIEW_AUDIT"}) {
				t.Fatalf("updateRole = %+v", up)
			}
			var del deletePayload
			a.do(t, root, deleteRoleQ, map[string]any{"id": made.Role.ID}).decode(t, "deleteRole", &del)
			if !del.Deleted || del.ID == nil || *del.ID != made.Role.ID || len(del.Errors) > 0 {
				t.Fatalf("deleteRole = %+v", del)
			}
			var rs []role
			a.do(t, root, rolesQ, nil).decode(t, "roles", &rs)
			if slices.ContainsFunc(rs, func(r role) bool { return r.ID == made.Role.ID }) {
				t.Fatalf("deleted role still listed: %+v", rs)
			}
		})
		t.Run("an invite names its roles", func(t *testing.T) {
			var p struct {
				Invite struct {
					Status string
					Roles  []struct{ ID string }
				}
				Errors []authError
			}
			a.do(t, root, inviteWithRolesQ, map[string]any{"email": "support.person@example.com", "roles": []string{"role_support", "role_viewer"}}).decode(t, "createInvite", &p)
			if len(p.Errors) > 0 || p.Invite.Status != "PENDING" || len(p.Invite.Roles) != 2 {
				t.Fatalf("createInvite = %+v", p)
			}
		})
	})
}
