package graph_test

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// Each event of the catalogue (docs/events.md) is recorded by the flow
// that causes it, with its payload; reset, lockout, reuse and merge events
// are tested with their flows.
func TestEvents(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		reg := mustTicket(t, a.register(t, "CUSTOMER", "ev@example.com", "events password 1", ""))
		var c struct{ Customer struct{ ID string } }
		a.do(t, reg.AccessToken, `mutation { createCustomer(input: {firstName: "Ev"}) { customer { id } errors { code } } }`, nil).decode(t, "createCustomer", &c)
		wantError(t, a.authenticate(t, "CUSTOMER", "ev@example.com", "a wrong password").Errors, "INVALID_CREDENTIALS")
		wantError(t, a.authenticate(t, "CUSTOMER", "nobody@example.com", "a wrong password").Errors, "INVALID_CREDENTIALS")
		signed := mustTicket(t, a.authenticate(t, "CUSTOMER", "ev@example.com", "events password 1"))
		admin := a.admin(t)
		inviteTok := a.invite(t, admin, "new-admin@example.com")
		userReg := mustTicket(t, a.register(t, "USER", "new-admin@example.com", "new staff password 1", inviteTok))
		var u struct{ User struct{ ID string } }
		a.do(t, userReg.AccessToken, `mutation($t: String!) { acceptInvite(input: {inviteToken: $t}) { user { id } errors { code } } }`, map[string]any{"t": inviteTok}).decode(t, "acceptInvite", &u)

		for _, tc := range []struct {
			name     string
			identity string
			want     map[string]any
			count    int
		}{
			{gatehouse.EventCustomerCreated, reg.UserID, map[string]any{"customer_id": c.Customer.ID, "email": "ev@example.com"}, 1},
			{gatehouse.EventLoginFailed, "", map[string]any{"provider": "emailpass", "reason": "invalid_credentials"}, 2},
			{gatehouse.EventLoginSucceeded, signed.UserID, map[string]any{"provider": "emailpass", "session_id": signed.SessionID, "registration": false}, -1},
			{gatehouse.EventInviteCreated, "", map[string]any{"email": "new-admin@example.com"}, 1},
			{gatehouse.EventInviteAccepted, userReg.UserID, map[string]any{"user_id": u.User.ID, "email": "new-admin@example.com"}, 1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				es := a.events(t, tc.name)
				if tc.count >= 0 && len(es) != tc.count {
					t.Fatalf("%d events, want %d", len(es), tc.count)
				}
				e := es[len(es)-1]
				for _, x := range es {
					if sid, ok := tc.want["session_id"]; ok && x.Payload["session_id"] == sid {
						e = x
					}
				}
				if tc.identity != "" && e.AuthIdentityID != tc.identity {
					t.Errorf("identity = %q, want %q", e.AuthIdentityID, tc.identity)
				}
				for k, v := range tc.want {
					if e.Payload[k] != v {
						t.Errorf("payload[%s] = %v, want %v (payload %v)", k, e.Payload[k], v, e.Payload)
					}
				}
				if !gatehouse.HasPrefix(e.ID, gatehouse.PrefixEvent) {
					t.Errorf("id = %q", e.ID)
				}
			})
		}
		// The invite event carries the invite token, sealed.
		t.Run("invite event", func(t *testing.T) {
			if got := a.lastSecret(t, gatehouse.EventInviteCreated); got != inviteTok {
				t.Fatal("the sealed token is not the invite token")
			}
		})
		// A rolled-back change records no event.
		t.Run("rolled-back change", func(t *testing.T) {
			// A second createCustomer with the same token fails and rolls back.
			a.do(t, reg.AccessToken, `mutation { createCustomer(input: {firstName: "Again"}) { errors { code } } }`, nil)
			if n := len(a.events(t, gatehouse.EventCustomerCreated)); n != 1 {
				t.Fatalf("%d customer.created events, want 1", n)
			}
		})
	})
}
