package graph_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const nodeQ = `query($id: ID!) { node(id: $id) { __typename id } }`

// node(id:) finds every Node type by its global id, with the access of the
// type's own field, and answers FORBIDDEN to the rest whether or not the
// id exists.
func TestNode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		viewer := a.adminWithRoles(t, root, "viewer.node@example.com", "role_viewer")
		support := a.adminWithRoles(t, root, "support.node@example.com", "role_support")
		own, cus := a.signUpCustomer(t, "node@example.com")
		other := a.signedIn(t, "node.other@example.com")

		var addr struct{ Address struct{ ID string } }
		a.do(t, own, addAddressQ, map[string]any{"input": map[string]any{"addressName": "Home", "city": "Oslo", "countryCode": "no"}}).decode(t, "addCustomerAddress", &addr)
		var me struct {
			ID         string
			Identities []struct{ ID string }
			Sessions   []struct {
				ID      string
				Current bool
			}
		}
		a.do(t, own, `{ currentCustomer { id identities { id } sessions { id current } } }`, nil).decode(t, "currentCustomer", &me)
		var rootUser struct{ ID string }
		a.do(t, root, `{ currentUser { id } }`, nil).decode(t, "currentUser", &rootUser)
		var ep endpointPayload
		a.do(t, root, createEndpointQ, map[string]any{"in": map[string]any{"url": "https://hooks.example.com/node"}}).decode(t, "createWebhookEndpoint", &ep)
		var log struct{ Nodes []struct{ ID string } }
		a.do(t, root, `{ auditLog(first: 1) { nodes { id } } }`, nil).decode(t, "auditLog", &log)
		if addr.Address.ID == "" || len(me.Identities) == 0 || len(me.Sessions) == 0 || ep.Endpoint == nil || len(log.Nodes) == 0 {
			t.Fatalf("set-up: %+v %+v %+v %+v", addr, me, ep, log)
		}

		for _, c := range []struct {
			name, bearer, id, want string // want: the __typename, "" for null, FORBIDDEN
		}{
			{"customer reads themself", own, cus.ID, "Customer"},
			{"customer reads their address", own, addr.Address.ID, "CustomerAddress"},
			{"customer reads their identity", own, me.Identities[0].ID, "Identity"},
			{"customer reads their session", own, me.Sessions[0].ID, "Session"},
			{"customer reads another customer", other.AccessToken, cus.ID, "FORBIDDEN"},
			{"customer reads another's address", other.AccessToken, addr.Address.ID, "FORBIDDEN"},
			{"customer reads another's session", other.AccessToken, me.Sessions[0].ID, "FORBIDDEN"},
			{"customer reads a missing customer", other.AccessToken, "cus_none", "FORBIDDEN"},
			{"customer reads a user", own, rootUser.ID, "FORBIDDEN"},
			{"viewer reads a customer", viewer, cus.ID, "Customer"},
			{"viewer reads an address", viewer, addr.Address.ID, "CustomerAddress"},
			{"viewer reads an identity", viewer, me.Identities[0].ID, "Identity"},
			{"viewer reads a customer session", viewer, me.Sessions[0].ID, "FORBIDDEN"},
			{"support reads a customer session", support, me.Sessions[0].ID, "Session"},
			{"viewer reads an audit event", viewer, log.Nodes[0].ID, "AuditEvent"},
			{"viewer reads a missing customer", viewer, "cus_none", ""},
			{"viewer reads a user", viewer, rootUser.ID, "FORBIDDEN"},
			{"viewer reads a role", viewer, "role_owner", "FORBIDDEN"},
			{"viewer reads a webhook endpoint", viewer, ep.Endpoint.ID, "FORBIDDEN"},
			{"owner reads a user", root, rootUser.ID, "User"},
			{"owner reads a role", root, "role_owner", "Role"},
			{"owner reads a webhook endpoint", root, ep.Endpoint.ID, "WebhookEndpoint"},
			{"owner reads a missing role", root, "role_none", ""},
			{"unknown prefix", root, "zzz_01", ""},
			{"no prefix", root, "plain", ""},
			{"nobody", "", cus.ID, "FORBIDDEN"},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := a.do(t, c.bearer, nodeQ, map[string]any{"id": c.id})
				if c.want == "FORBIDDEN" {
					if len(r.Errors) != 1 || (r.Errors[0].Extensions["code"] != "FORBIDDEN" && r.Errors[0].Extensions["code"] != "UNAUTHENTICATED") {
						t.Errorf("want FORBIDDEN, got %s", r.raw)
					}
					return
				}
				var n *struct{ Typename, ID string }
				var raw map[string]any
				r.decode(t, "node", &raw)
				if raw != nil {
					n = &struct{ Typename, ID string }{raw["__typename"].(string), raw["id"].(string)}
				}
				switch {
				case c.want == "" && n != nil:
					t.Errorf("want null, got %+v", n)
				case c.want != "" && (n == nil || n.Typename != c.want || n.ID != c.id):
					t.Errorf("want %s %s, got %+v (%s)", c.want, c.id, n, r.raw)
				}
			})
		}

		t.Run("a session read through node is marked current for its owner", func(t *testing.T) {
			var s struct{ Current bool }
			a.do(t, own, `query($id: ID!) { node(id: $id) { ... on Session { current } } }`, map[string]any{"id": me.Sessions[0].ID}).decode(t, "node", &s)
			if s.Current != me.Sessions[0].Current {
				t.Errorf("current = %v, want %v", s.Current, me.Sessions[0].Current)
			}
		})

		t.Run("authEvents and deadDeliveries are connections too", func(t *testing.T) {
			var p struct {
				Nodes    []struct{ ID string }
				Edges    []struct{ Cursor string }
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
				EndCursor  *string
				TotalCount int
			}
			a.do(t, root, `query($id: ID!) { authEvents(authIdentityId: $id, first: 1) { nodes { id } edges { cursor } pageInfo { hasNextPage endCursor } endCursor totalCount } }`,
				map[string]any{"id": other.UserID}).decode(t, "authEvents", &p)
			if len(p.Nodes) != 1 || len(p.Edges) != 1 || p.Edges[0].Cursor != p.Nodes[0].ID || p.TotalCount < 2 || !p.PageInfo.HasNextPage ||
				p.EndCursor == nil || p.PageInfo.EndCursor == nil || *p.EndCursor != *p.PageInfo.EndCursor {
				t.Errorf("authEvents %+v", p)
			}
			// By the customer's id: its identity's events (the sign-in)
			// and what admins did to it.
			var byCustomer struct {
				Nodes      []struct{ Type string }
				TotalCount int
			}
			a.do(t, root, `query($id: ID!) { authEvents(authIdentityId: $id, first: 100) { nodes { type } totalCount } }`,
				map[string]any{"id": *other.ActorID}).decode(t, "authEvents", &byCustomer)
			signIn := false
			for _, n := range byCustomer.Nodes {
				signIn = signIn || n.Type == "auth.login_succeeded"
			}
			if !signIn || byCustomer.TotalCount != p.TotalCount || len(byCustomer.Nodes) != p.TotalCount {
				t.Errorf("authEvents by customer id %+v; want the identity's %d, its sign-in among them", byCustomer, p.TotalCount)
			}
			var d struct {
				Edges      []struct{ Cursor string }
				PageInfo   struct{ HasNextPage bool }
				TotalCount int
			}
			a.do(t, root, `{ deadDeliveries { edges { cursor } pageInfo { hasNextPage } totalCount } }`, nil).decode(t, "deadDeliveries", &d)
			if d.TotalCount != len(d.Edges) || d.PageInfo.HasNextPage {
				t.Errorf("deadDeliveries %+v", d)
			}
		})
	})
}
