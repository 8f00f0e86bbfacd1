package graph_test

import (
	"context"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	auditQ  = `query($id: ID!, $first: Int, $after: String) { authEvents(authIdentityId: $id, first: $first, after: $after) { nodes { id type authIdentityId actorType createdAt data } hasNextPage endCursor } }`
	deadQ   = `{ deadDeliveries { nodes { event { id type } subscriber attempts lastError } hasNextPage } }`
	replayQ = `mutation($e: ID!, $s: String!) { replayDelivery(eventId: $e, subscriber: $s) { success errors { code type message field } } }`
	unlockQ = `mutation($id: ID!) { unlockCustomer(id: $id) { success errors { code type message field } } }`
)

type eventPage struct {
	Nodes []struct {
		ID, Type, AuthIdentityID string
		Data                     map[string]any
	}
	HasNextPage bool
	EndCursor   *string
}

func TestAdminAuditAndLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		admin := a.admin(t)
		const email, pw = "audited@example.com", "watched password 1"
		reg := mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))
		var c struct{ Customer struct{ ID string } }
		a.do(t, reg.AccessToken, `mutation { createCustomer(input: {firstName: "A"}) { customer { id } errors { code } } }`, nil).decode(t, "createCustomer", &c)
		session := mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
		for range 5 {
			a.authenticate(t, "CUSTOMER", email, "a wrong password")
		}

		// The audit trail is paginated, newest first, and holds no secrets.
		t.Run("audit trail", func(t *testing.T) {
			var all []string
			var after any
			for {
				var p eventPage
				a.do(t, admin, auditQ, map[string]any{"id": reg.UserID, "first": 3, "after": after}).decode(t, "authEvents", &p)
				for _, n := range p.Nodes {
					all = append(all, n.Type)
					if n.AuthIdentityID != reg.UserID {
						t.Errorf("event of %s", n.AuthIdentityID)
					}
					for k := range n.Data {
						if strings.Contains(k, "token") && k != "refresh_token_id" {
							t.Errorf("%s holds %s", n.Type, k)
						}
					}
				}
				if !p.HasNextPage {
					break
				}
				after = *p.EndCursor
			}
			want := []string{gatehouse.EventLoginFailed, gatehouse.EventAccountLocked, gatehouse.EventLoginFailed, gatehouse.EventLoginFailed,
				gatehouse.EventLoginFailed, gatehouse.EventLoginFailed, gatehouse.EventLoginSucceeded, gatehouse.EventCustomerCreated}
			if strings.Join(all, " ") != strings.Join(want, " ") {
				t.Fatalf("events = %v", all)
			}
		})
		// Only admin users may read the audit trail.
		t.Run("audit trail as customer", func(t *testing.T) {
			if e := a.do(t, session.AccessToken, auditQ, map[string]any{"id": reg.UserID}).topLevel(t); e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("error = %+v", e)
			}
		})
		// The owner sees the lock.
		t.Run("lock as owner", func(t *testing.T) {
			var cur struct{ IsLocked bool }
			a.do(t, session.AccessToken, `{ currentCustomer { isLocked } }`, nil).decode(t, "currentCustomer", &cur)
			if !cur.IsLocked {
				t.Fatal("isLocked = false while locked")
			}
		})
		// Admin users see the lock; a customer cannot read another customer.
		t.Run("lock as admin", func(t *testing.T) {
			var cust struct{ IsLocked bool }
			a.do(t, admin, `query($id: ID!) { customer(id: $id) { isLocked } }`, map[string]any{"id": c.Customer.ID}).decode(t, "customer", &cust)
			if !cust.IsLocked {
				t.Fatal("isLocked = false for the admin user")
			}
			if e := a.do(t, session.AccessToken, `query($id: ID!) { customer(id: $id) { id } }`, map[string]any{"id": c.Customer.ID}).topLevel(t); e.Extensions["code"] != "FORBIDDEN" {
				t.Fatalf("a customer read another customer: %+v", e)
			}
		})
		// An admin user unlocks the customer.
		t.Run("unlock", func(t *testing.T) {
			var p okPayload
			a.do(t, admin, unlockQ, map[string]any{"id": c.Customer.ID}).decode(t, "unlockCustomer", &p)
			if !p.Success {
				t.Fatalf("unlock: %+v", p.Errors)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
			a.do(t, admin, unlockQ, map[string]any{"id": "cus_unknown"}).decode(t, "unlockCustomer", &p)
			wantError(t, p.Errors, "NOT_FOUND")
		})
		// Dead deliveries are listed and replayed.
		t.Run("dead deliveries", func(t *testing.T) {
			es := a.events(t, gatehouse.EventCustomerCreated)
			ctx := context.Background()
			if err := a.Store.Failed(ctx, es[0].ID, subscriberID, "HTTP 500", a.Clock.Now(), true, a.Clock.Now()); err != nil {
				t.Fatal(err)
			}
			var page struct {
				Nodes []struct {
					Event      struct{ ID, Type string }
					Subscriber string
					Attempts   int
					LastError  string
				}
			}
			a.do(t, admin, deadQ, nil).decode(t, "deadDeliveries", &page)
			if len(page.Nodes) != 1 || page.Nodes[0].Event.ID != es[0].ID || page.Nodes[0].LastError != "HTTP 500" {
				t.Fatalf("dead = %+v", page)
			}
			var p okPayload
			a.do(t, admin, replayQ, map[string]any{"e": es[0].ID, "s": subscriberID}).decode(t, "replayDelivery", &p)
			if !p.Success {
				t.Fatalf("replay: %+v", p.Errors)
			}
			a.do(t, admin, deadQ, nil).decode(t, "deadDeliveries", &page)
			if len(page.Nodes) != 0 {
				t.Fatalf("still dead: %+v", page)
			}
			a.do(t, admin, replayQ, map[string]any{"e": es[0].ID, "s": subscriberID}).decode(t, "replayDelivery", &p)
			wantError(t, p.Errors, "NOT_FOUND")
		})
	})
}
