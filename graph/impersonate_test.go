package graph_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const impersonateQ = `mutation($c: ID!, $r: String!) { impersonateCustomer(customerId: $c, reason: $r) { ` + ticketFields + ` } }`

// jwtClaims decodes a token's claims without checking it: the test reads
// what the server wrote.
func jwtClaims(t *testing.T, raw string) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestImpersonateCustomer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		support := a.adminWithRoles(t, root, "support.imp@example.com", "role_support")
		var me struct{ ID string }
		a.do(t, support, `{ currentUser { id } }`, nil).decode(t, "currentUser", &me)
		const email = "impersonated@example.com"
		own, cus := a.signUpCustomer(t, email)

		impersonate := func(t *testing.T, bearer, customerID, reason string) ticketPayload {
			t.Helper()
			var p ticketPayload
			a.do(t, bearer, impersonateQ, map[string]any{"c": customerID, "r": reason}).decode(t, "impersonateCustomer", &p)
			return p
		}
		started := time.Now()
		imp := mustTicket(t, impersonate(t, support, cus.ID, "ticket #4711: address will not save"))

		t.Run("the token acts for the customer, names the admin and lasts at most 15 minutes", func(t *testing.T) {
			c := jwtClaims(t, imp.AccessToken)
			act, _ := c["act"].(map[string]any)
			if act == nil || act["sub"] != me.ID {
				t.Errorf("act = %v, want {sub: %s}", c["act"], me.ID)
			}
			if c["actor_id"] != cus.ID {
				t.Errorf("actor_id = %v, want %s", c["actor_id"], cus.ID)
			}
			exp := time.Unix(int64(c["exp"].(float64)), 0)
			if exp.After(started.Add(15*time.Minute+2*time.Second)) || exp.Before(started.Add(14*time.Minute)) {
				t.Errorf("exp %v is not about 15 minutes after %v", exp, started)
			}
			if imp.RefreshToken != nil || imp.RefreshExpiration != nil {
				t.Error("an impersonation ticket carries a refresh token")
			}
			if imp.CustomerAccount == nil || imp.CustomerAccount.ID != cus.ID {
				t.Errorf("customerAccount %+v", imp.CustomerAccount)
			}
			var cur struct{ ID, Email string }
			a.do(t, imp.AccessToken, `{ currentCustomer { id email } }`, nil).decode(t, "currentCustomer", &cur)
			if cur.ID != cus.ID {
				t.Errorf("currentCustomer = %+v", cur)
			}
			if oc := jwtClaims(t, own); oc["act"] != nil {
				t.Errorf("the customer's own token carries act: %v", oc["act"])
			}
		})

		t.Run("it shows in the customer's own session list", func(t *testing.T) {
			var c struct{ Sessions []deviceSessionOut }
			a.do(t, own, mySessionsQ, nil).decode(t, "currentCustomer", &c)
			found := false
			for _, s := range c.Sessions {
				if s.ID == imp.SessionID {
					found = true
					if s.ImpersonatedBy == nil || *s.ImpersonatedBy != me.ID || s.SignInMethod == nil || *s.SignInMethod != "impersonation" {
						t.Errorf("impersonation session %+v", s)
					}
				}
			}
			if !found {
				t.Errorf("sessions %+v lack the impersonation", c.Sessions)
			}
		})

		t.Run("it cannot outlive itself or change how the customer signs in", func(t *testing.T) {
			for _, c := range []struct{ name, query string }{
				{"refreshToken", `mutation { refreshToken { ticket { accessToken } errors { code } } }`},
				{"createSession", `mutation { createSession { session { id } errors { code } } }`},
				{"changePassword", `mutation { changePassword(input: {currentPassword: "correct horse battery", newPassword: "a brand new passphrase 9"}) { success errors { code } } }`},
				{"logout everywhere", `mutation { logout(input: {allSessions: true}) { revokedSessions errors { code } } }`},
				{"logout the others", `mutation { logout(input: {allSessions: true, keepCurrent: true}) { revokedSessions errors { code } } }`},
				{"enrollTotp", `mutation { enrollTotp { factorId errors { code } } }`},
				{"confirmTotp", `mutation { confirmTotp(factorId: "factor_none", code: "123456") { recoveryCodes errors { code } } }`},
				{"removeFactor", `mutation { removeFactor(factorId: "factor_none") { removed errors { code } } }`},
				{"regenerateRecoveryCodes", `mutation { regenerateRecoveryCodes { recoveryCodes errors { code } } }`},
				{"reauthenticate", `mutation { reauthenticate(input: {password: "correct horse battery"}) { ticket { accessToken } errors { code } } }`},
			} {
				t.Run(c.name, func(t *testing.T) {
					r := a.do(t, imp.AccessToken, c.query, nil)
					if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != "IMPERSONATION" {
						t.Errorf("%s: %s", c.name, r.raw)
					}
				})
			}
			r := a.do(t, imp.AccessToken, revokeSessionQ, map[string]any{"id": jwtClaims(t, own)["sid"]})
			if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "IMPERSONATION" {
				t.Errorf("revokeSession of the customer's own: %s", r.raw)
			}
			var still struct{ ID string }
			a.do(t, own, `{ currentCustomer { id } }`, nil).decode(t, "currentCustomer", &still)
			if still.ID != cus.ID {
				t.Error("the customer's own session ended")
			}
		})

		t.Run("bad requests", func(t *testing.T) {
			for _, c := range []struct{ name, customer, reason, code string }{
				{"no reason", cus.ID, "   ", "INVALID_INPUT"},
				{"reason too long", cus.ID, strings.Repeat("r", 501), "INVALID_INPUT"},
				{"unknown customer", "cus_none", "x", "NOT_FOUND"},
			} {
				t.Run(c.name, func(t *testing.T) {
					p := impersonate(t, support, c.customer, c.reason)
					wantError(t, p.Errors, c.code)
					if p.Ticket != nil {
						t.Error("a ticket with the error")
					}
				})
			}
			viewer := a.adminWithRoles(t, root, "viewer.imp@example.com", "role_viewer")
			e := a.do(t, viewer, impersonateQ, map[string]any{"c": cus.ID, "r": "curious"}).topLevel(t)
			if e.Extensions["code"] != "FORBIDDEN" || e.Extensions["reason"] != "MISSING_PERMISSION" {
				t.Errorf("viewer: %+v", e)
			}
			if r := a.do(t, own, impersonateQ, map[string]any{"c": cus.ID, "r": "me"}); len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("a customer impersonates: %s", r.raw)
			}
		})

		t.Run("a deactivated customer cannot be impersonated", func(t *testing.T) {
			_, other := a.signUpCustomer(t, "impersonated.off@example.com")
			var d struct{ Errors []authError }
			a.do(t, root, `mutation($id: ID!) { deactivateCustomer(id: $id, reason: "fraud") { errors { code } } }`, map[string]any{"id": other.ID}).decode(t, "deactivateCustomer", &d)
			if len(d.Errors) > 0 {
				t.Fatal(d.Errors)
			}
			wantError(t, impersonate(t, support, other.ID, "check").Errors, "NOT_ALLOWED")
		})

		t.Run("start and early end are in the audit trail", func(t *testing.T) {
			var out struct {
				RevokedSessions int
				Errors          []authError
			}
			a.do(t, imp.AccessToken, `mutation { logout { revokedSessions errors { code } } }`, nil).decode(t, "logout", &out)
			if out.RevokedSessions != 1 || len(out.Errors) > 0 {
				t.Fatalf("logout: %+v", out)
			}
			a.wantUnauthenticated(t, imp.AccessToken, currentQ, "REVOKED")
			var log struct {
				Nodes []struct {
					Type, ActorID, SubjectID string
					SessionID                *string
					Data                     map[string]any
				}
			}
			a.do(t, root, `query($s: ID) { auditLog(first: 10, filter: {subjectId: $s, types: ["admin.customer_impersonated", "admin.impersonation_ended"]}) { nodes { type actorId subjectId sessionId data } } }`,
				map[string]any{"s": cus.ID}).decode(t, "auditLog", &log)
			if len(log.Nodes) != 2 {
				t.Fatalf("audit trail %+v, want the start and the end", log.Nodes)
			}
			end, start := log.Nodes[0], log.Nodes[1]
			if start.Type != "admin.customer_impersonated" || start.ActorID != me.ID || start.Data["reason"] != "ticket #4711: address will not save" ||
				start.Data["impersonation_session_id"] != imp.SessionID {
				t.Errorf("start %+v", start)
			}
			if end.Type != "admin.impersonation_ended" || end.ActorID != me.ID || end.SessionID == nil || *end.SessionID != imp.SessionID {
				t.Errorf("end %+v", end)
			}
		})
	})
}

// An impersonation left to expire gets its end in the audit trail too,
// from the next housekeeping pass, once.
func TestImpersonationExpiryIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		_, cus := a.signUpCustomer(t, "impersonated.expiry@example.com")
		var p ticketPayload
		a.do(t, root, impersonateQ, map[string]any{"c": cus.ID, "r": "left to expire"}).decode(t, "impersonateCustomer", &p)
		imp := mustTicket(t, p)
		h, err := housekeeping.New(db, housekeeping.Options{Now: a.Clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		ended := func(t *testing.T) []map[string]any {
			t.Helper()
			var log struct {
				Nodes []struct{ Data map[string]any }
			}
			a.do(t, root, `query($s: ID) { auditLog(first: 10, filter: {subjectId: $s, types: ["admin.impersonation_ended"]}) { nodes { data } } }`,
				map[string]any{"s": cus.ID}).decode(t, "auditLog", &log)
			var out []map[string]any
			for _, n := range log.Nodes {
				out = append(out, n.Data)
			}
			return out
		}
		pass := func(t *testing.T) {
			t.Helper()
			if r, err := h.PassNow(t.Context()); err != nil || !r.Ran {
				t.Fatalf("pass: %+v, %v", r, err)
			}
		}
		pass(t)
		if e := ended(t); len(e) != 0 {
			t.Fatalf("ended before its expiry: %v", e)
		}
		a.Clock.Advance(16 * time.Minute)
		pass(t)
		pass(t)
		root = mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
		e := ended(t)
		if len(e) != 1 || e[0]["impersonation_session_id"] != imp.SessionID || e[0]["expired"] != true {
			t.Fatalf("ended events %v, want one for %s", e, imp.SessionID)
		}
	})
}
