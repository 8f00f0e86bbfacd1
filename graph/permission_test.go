package graph_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// guarded lists, by "Type.field", the permissions of every field carrying
// @hasPermission.
func guarded(s *ast.Schema) map[string][]string {
	out := map[string][]string{}
	for _, def := range s.Types {
		for _, f := range def.Fields {
			d := f.Directives.ForName("hasPermission")
			if d == nil {
				continue
			}
			var ps []string
			v := d.Arguments.ForName("permission").Value
			if v.Kind == ast.ListValue {
				for _, c := range v.Children {
					ps = append(ps, c.Value.Raw)
				}
			} else {
				ps = append(ps, v.Raw)
			}
			out[def.Name+"."+f.Name] = ps
		}
	}
	return out
}

// resolvedFields lists, by "Type.field", the fields with a resolver of
// their own (ResolverRoot's methods): the ones that load something beyond
// their parent. The others only project what their parent returned.
func resolvedFields() map[string]bool {
	out := map[string]bool{}
	root := reflect.TypeOf((*graph.ResolverRoot)(nil)).Elem()
	for i := range root.NumMethod() {
		m := root.Method(i)
		r := m.Type.Out(0)
		for j := range r.NumMethod() {
			name := r.Method(j).Name
			out[m.Name+"."+strings.ToLower(name[:1])+name[1:]] = true
		}
	}
	return out
}

// TestEveryReachableFieldDeclaresItsAccess walks the schema from its roots
// as a USER credential could: a field with @hasPermission guards all it
// leads to; every other root field, and every other field with a resolver
// of its own, must say on an "Access:" line of its description who may
// use it and why it needs no permission.
func TestEveryReachableFieldDeclaresItsAccess(t *testing.T) {
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	resolved := resolvedFields()
	if !resolved["Customer.addresses"] {
		t.Fatalf("resolvedFields does not find Customer.addresses: %v", resolved)
	}
	var missing []string
	seen := map[string]bool{}
	var walk func(def *ast.Definition, root bool)
	walk = func(def *ast.Definition, root bool) {
		if def == nil || seen[def.Name] {
			return
		}
		seen[def.Name] = true
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") || f.Directives.ForName("hasPermission") != nil {
				continue
			}
			target := s.Types[f.Type.Name()]
			leadsOn := target != nil && (target.Kind == ast.Object || target.Kind == ast.Interface || target.Kind == ast.Union)
			if (root || resolved[def.Name+"."+f.Name]) && !hasAccessNote(f.Description) {
				missing = append(missing, def.Name+"."+f.Name)
			}
			if leadsOn {
				walk(target, false)
				for _, impl := range s.PossibleTypes[target.Name] {
					walk(impl, false)
				}
			}
		}
	}
	walk(s.Query, true)
	walk(s.Mutation, true)
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("fields a USER can reach with neither @hasPermission nor an \"Access:\" line in their description:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(guarded(s)) == 0 {
		t.Fatal("no field carries @hasPermission: the walk checks nothing")
	}
}

func hasAccessNote(desc string) bool {
	for _, line := range strings.Split(desc, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "Access:") || strings.Contains(line, " Access: ") {
			return true
		}
	}
	return false
}

// builtinRoles are the built-in roles, written out here rather
// than read from the code under test.
var builtinRoles = map[string][]string{
	"role_owner":   {"MANAGE_USERS", "MANAGE_CUSTOMERS", "VIEW_CUSTOMERS", "IMPERSONATE_CUSTOMERS", "VIEW_AUDIT", "MANAGE_WEBHOOKS", "MANAGE_ROLES"},
	"role_admin":   {"MANAGE_USERS", "MANAGE_CUSTOMERS", "VIEW_CUSTOMERS", "IMPERSONATE_CUSTOMERS", "VIEW_AUDIT", "MANAGE_WEBHOOKS"},
	"role_support": {"MANAGE_CUSTOMERS", "VIEW_CUSTOMERS", "IMPERSONATE_CUSTOMERS", "VIEW_AUDIT"},
	"role_viewer":  {"VIEW_CUSTOMERS", "VIEW_AUDIT"},
}

// adminCalls is one call of every admin field, by "Type.field". {role} in a
// call is the caller's role id, so that calls that create something
// create something of their own.
var adminCalls = map[string]string{
	"Query.customer":                  `{ customer(id: "cus_none") { id } }`,
	"Query.authEvents":                `{ authEvents(authIdentityId: "authid_none") { nodes { id } } }`,
	"Query.deadDeliveries":            `{ deadDeliveries { nodes { subscriber } } }`,
	"Query.roles":                     `{ roles { id name permissions } }`,
	"Mutation.unlockCustomer":         `mutation { unlockCustomer(id: "cus_none") { success errors { code } } }`,
	"Mutation.deleteCustomer":         `mutation { deleteCustomer(id: "cus_none") { deleted errors { code } } }`,
	"Mutation.exportCustomerData":     `mutation { exportCustomerData(id: "cus_none") { data errors { code } } }`,
	"Mutation.replayDelivery":         `mutation { replayDelivery(eventId: "evt_none", subscriber: "webhook") { success errors { code } } }`,
	"Mutation.createInvite":           `mutation { createInvite(input: {email: "matrix.{role}@example.com", roleIds: ["role_viewer"]}) { inviteToken errors { code } } }`,
	"Mutation.createRole":             `mutation { createRole(input: {name: "matrix {role}", permissions: [VIEW_AUDIT]}) { role { id } errors { code } } }`,
	"Mutation.updateRole":             `mutation { updateRole(id: "role_none", input: {name: "x"}) { role { id } errors { code } } }`,
	"Mutation.deleteRole":             `mutation { deleteRole(id: "role_none") { deleted errors { code } } }`,
	"Query.users":                     `{ users(first: 5, filter: {status: ACTIVE}) { totalCount nodes { id roles { id } } } }`,
	"Query.user":                      `{ user(id: "user_none") { id } }`,
	"Query.invites":                   `{ invites(filter: {status: PENDING}) { totalCount nodes { id } } }`,
	"Query.customers":                 `{ customers(first: 5, filter: {search: "matrix"}, orderBy: {field: EMAIL}) { totalCount nodes { id } } }`,
	"Query.auditLog":                  `{ auditLog(first: 5) { totalCount nodes { id type } } }`,
	"Mutation.updateUser":             `mutation { updateUser(id: "user_none", input: {firstName: "x"}) { user { id } errors { code } } }`,
	"Mutation.deactivateUser":         `mutation { deactivateUser(id: "user_none") { user { id } errors { code } } }`,
	"Mutation.reactivateUser":         `mutation { reactivateUser(id: "user_none") { user { id } errors { code } } }`,
	"Mutation.deleteUser":             `mutation { deleteUser(id: "user_none") { deleted errors { code } } }`,
	"Mutation.revokeInvite":           `mutation { revokeInvite(id: "invite_none") { invite { id } errors { code } } }`,
	"Mutation.resendInvite":           `mutation { resendInvite(id: "invite_none") { invite { id } errors { code } } }`,
	"Mutation.updateCustomerAsAdmin":  `mutation { updateCustomerAsAdmin(id: "cus_none", input: {firstName: "x"}) { customer { id } errors { code } } }`,
	"Mutation.deactivateCustomer":     `mutation { deactivateCustomer(id: "cus_none", reason: "matrix") { customer { id } errors { code } } }`,
	"Mutation.reactivateCustomer":     `mutation { reactivateCustomer(id: "cus_none") { customer { id } errors { code } } }`,
	"Mutation.revokeCustomerSessions": `mutation { revokeCustomerSessions(customerId: "cus_none") { revokedSessions errors { code } } }`,
	"Mutation.impersonateCustomer":    `mutation { impersonateCustomer(customerId: "cus_none", reason: "matrix") { ticket { accessToken } errors { code } } }`,
	"Query.webhookEndpoints":          `{ webhookEndpoints(first: 5) { totalCount nodes { id url } } }`,
	"Query.webhookEndpoint":           `{ webhookEndpoint(id: "whep_none") { id } }`,
	"Query.webhookDeliveries":         `{ webhookDeliveries(endpointId: "whep_none", status: DEAD) { totalCount } }`,
	"Mutation.createWebhookEndpoint":  `mutation { createWebhookEndpoint(input: {url: "https://hooks.example.com/{role}", events: ["customer.created"]}) { endpoint { id } secret errors { code } } }`,
	"Mutation.updateWebhookEndpoint":  `mutation { updateWebhookEndpoint(id: "whep_none", input: {description: "x"}) { endpoint { id } errors { code } } }`,
	"Mutation.rotateWebhookSecret":    `mutation { rotateWebhookSecret(id: "whep_none") { secret errors { code } } }`,
	"Mutation.deleteWebhookEndpoint":  `mutation { deleteWebhookEndpoint(id: "whep_none") { deleted errors { code } } }`,
	"Mutation.replayWebhookDelivery":  `mutation { replayWebhookDelivery(endpointId: "whep_none", eventId: "evt_none") { success errors { code } } }`,
}

// notFound reports whether a call answered only a top-level NOT_FOUND:
// it got past the permission check to an id that is not there.
func notFound(r *response) bool {
	return len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "NOT_FOUND"
}

// TestRoleMatrix signs in a user of each built-in role and calls every
// admin field: it answers when the role grants one of the field's
// permissions, and is FORBIDDEN (MISSING_PERMISSION) otherwise.
func TestRoleMatrix(t *testing.T) {
	fields := guarded(graph.NewExecutableSchema(graph.Config{}).Schema())
	for name := range fields {
		if _, ok := adminCalls[name]; !ok {
			t.Errorf("%s carries @hasPermission but the role matrix does not call it: add it to adminCalls", name)
		}
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		calls := 0
		for _, role := range slices.Sorted(mapsKeys(builtinRoles)) {
			bearer := a.adminWithRoles(t, root, strings.TrimPrefix(role, "role_")+"@example.com", role)
			for _, name := range slices.Sorted(mapsKeys(fields)) {
				want := slices.ContainsFunc(fields[name], func(p string) bool { return slices.Contains(builtinRoles[role], p) })
				t.Run(role+"/"+name, func(t *testing.T) {
					r := a.do(t, bearer, strings.ReplaceAll(adminCalls[name], "{role}", strings.TrimPrefix(role, "role_")), nil)
					calls++
					forbidden := len(r.Errors) == 1 && r.Errors[0].Extensions["code"] == "FORBIDDEN"
					switch {
					case want && len(r.Errors) > 0 && !notFound(r):
						t.Errorf("%s may call %s (needs %v), got %s", role, name, fields[name], r.raw)
					case !want && !forbidden:
						t.Errorf("%s may not call %s (needs %v), got %s", role, name, fields[name], r.raw)
					case !want && r.Errors[0].Extensions["reason"] != "MISSING_PERMISSION":
						t.Errorf("reason = %v, want MISSING_PERMISSION", r.Errors[0].Extensions["reason"])
					}
				})
			}
		}
		if calls != len(builtinRoles)*len(fields) {
			t.Fatalf("made %d calls, want %d", calls, len(builtinRoles)*len(fields))
		}
	})
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

const inviteWithRolesQ = `mutation($email: String!, $roles: [ID!]) { createInvite(input: {email: $email, roleIds: $roles}) { invite { id status roles { id } } inviteToken errors { code type message field } } }`

// adminWithRoles invites email with the roles through the API, as an admin
// holding bearer would, has the invitee accept, and signs them in.
func (a *api) adminWithRoles(t *testing.T, bearer, email string, roles ...string) string {
	t.Helper()
	var p invitePayload
	a.do(t, bearer, inviteWithRolesQ, map[string]any{"email": email, "roles": roles}).decode(t, "createInvite", &p)
	if len(p.Errors) > 0 || p.InviteToken == nil {
		t.Fatalf("createInvite: %+v", p.Errors)
	}
	const pw = "matrix tulip lantern"
	reg := mustTicket(t, a.register(t, "USER", email, pw, *p.InviteToken))
	var acc userPayload
	a.do(t, reg.AccessToken, acceptInviteQ, map[string]any{"token": *p.InviteToken}).decode(t, "acceptInvite", &acc)
	if len(acc.Errors) > 0 {
		t.Fatalf("acceptInvite: %+v", acc.Errors)
	}
	return mustTicket(t, a.authenticate(t, "USER", email, pw)).AccessToken
}
