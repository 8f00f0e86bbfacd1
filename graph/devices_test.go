package graph_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	sessionFields       = `id actorType current lastUsedAt ip userAgent deviceLabel signInMethod impersonatedBy`
	mySessionsQ         = `{ currentCustomer { id sessions { ` + sessionFields + ` customer { id } } } }`
	myUserSessionsQ     = `{ currentUser { id sessions { ` + sessionFields + ` user { id } } } }`
	customerSessionsQ   = `query($id: ID!) { customer(id: $id) { sessions { ` + sessionFields + ` } } }`
	revokeSessionQ      = `mutation($id: ID!) { revokeSession(id: $id) { revokedSessions errors { code field } } }`
	revokeCustomerSessQ = `mutation($c: ID!, $s: ID) { revokeCustomerSessions(customerId: $c, sessionId: $s) { revokedSessions errors { code field } } }`
	logoutOthersQ       = `mutation { logout(input: {allSessions: true, keepCurrent: true}) { revokedSessions errors { code field } } }`
	currentDeviceQ      = `{ currentSession(actor: CUSTOMER) { id current deviceLabel } }`
)

const (
	firefoxLinux = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
	safariIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)

type deviceSessionOut struct {
	ID, ActorType, LastUsedAt                                string
	Current                                                  bool
	IP, UserAgent, DeviceLabel, SignInMethod, ImpersonatedBy *string
	Customer                                                 *struct{ ID string }
	User                                                     *struct{ ID string }
}

// signInFrom signs a customer or user in from a device: a user agent and
// a client address.
func (a *api) signInFrom(t *testing.T, actor, email, pw, userAgent, remoteAddr string) *ticket {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": authQ, "variables": map[string]any{
		"actor": actor, "input": map[string]any{"email": email, "password": pw}}})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.RemoteAddr = remoteAddr
	var p ticketPayload
	a.send(t, req).decode(t, "authenticate", &p)
	return mustTicket(t, p)
}

func TestSessionsPerDevice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		const email, pw = "devices@example.com", "correct horse battery"
		_, cus := a.signUpCustomer(t, email)
		laptop := a.signInFrom(t, "CUSTOMER", email, pw, firefoxLinux, "198.51.100.7:5555")
		phone := a.signInFrom(t, "CUSTOMER", email, pw, safariIPhone, "203.0.113.20:443")

		mine := func(t *testing.T, bearer string) []deviceSessionOut {
			t.Helper()
			var me struct {
				ID       string
				Sessions []deviceSessionOut
			}
			a.do(t, bearer, mySessionsQ, nil).decode(t, "currentCustomer", &me)
			return me.Sessions
		}
		byID := func(ss []deviceSessionOut) map[string]deviceSessionOut {
			m := map[string]deviceSessionOut{}
			for _, s := range ss {
				m[s.ID] = s
			}
			return m
		}

		t.Run("own list marks the current session and names each device", func(t *testing.T) {
			ss := byID(mine(t, phone.AccessToken))
			l, p := ss[laptop.SessionID], ss[phone.SessionID]
			if l.ID == "" || p.ID == "" {
				t.Fatalf("sessions %+v lack the laptop's or the phone's", ss)
			}
			if l.Current || !p.Current {
				t.Errorf("current: laptop %v, phone %v; want only the phone's", l.Current, p.Current)
			}
			for _, c := range []struct {
				name      string
				s         deviceSessionOut
				ip, label string
			}{
				{"laptop", l, "198.51.100.7", "Firefox on Linux"},
				{"phone", p, "203.0.113.20", "Safari on iPhone"},
			} {
				if c.s.IP == nil || *c.s.IP != c.ip {
					t.Errorf("%s ip %v, want %s", c.name, c.s.IP, c.ip)
				}
				if c.s.DeviceLabel == nil || *c.s.DeviceLabel != c.label {
					t.Errorf("%s deviceLabel %v, want %s", c.name, c.s.DeviceLabel, c.label)
				}
				if c.s.SignInMethod == nil || *c.s.SignInMethod != "emailpass" || c.s.ImpersonatedBy != nil || c.s.LastUsedAt == "" {
					t.Errorf("%s: %+v", c.name, c.s)
				}
				if c.s.Customer == nil || c.s.Customer.ID != cus.ID {
					t.Errorf("%s acts for %+v, want %s", c.name, c.s.Customer, cus.ID)
				}
			}
			var cur struct {
				ID      string
				Current bool
			}
			a.do(t, phone.AccessToken, currentDeviceQ, nil).decode(t, "currentSession", &cur)
			if cur.ID != phone.SessionID || !cur.Current {
				t.Errorf("currentSession %+v", cur)
			}
		})

		t.Run("support reads a customer's sessions, none current", func(t *testing.T) {
			support := a.adminWithRoles(t, root, "support.devices@example.com", "role_support")
			var c struct{ Sessions []deviceSessionOut }
			a.do(t, support, customerSessionsQ, map[string]any{"id": cus.ID}).decode(t, "customer", &c)
			ss := byID(c.Sessions)
			if _, ok := ss[laptop.SessionID]; !ok {
				t.Fatalf("support sees %+v", c.Sessions)
			}
			for _, s := range c.Sessions {
				if s.Current {
					t.Errorf("session %s current for an admin", s.ID)
				}
			}
		})

		t.Run("another customer cannot end the session", func(t *testing.T) {
			other := a.signedIn(t, "devices.other@example.com")
			var p struct {
				RevokedSessions int
				Errors          []authError
			}
			a.do(t, other.AccessToken, revokeSessionQ, map[string]any{"id": laptop.SessionID}).decode(t, "revokeSession", &p)
			wantError(t, p.Errors, "NOT_FOUND")
			if len(mine(t, laptop.AccessToken)) == 0 {
				t.Fatal("the laptop's session ended")
			}
		})

		t.Run("the phone ends the laptop's session", func(t *testing.T) {
			var p struct {
				RevokedSessions int
				Errors          []authError
			}
			a.do(t, phone.AccessToken, revokeSessionQ, map[string]any{"id": laptop.SessionID}).decode(t, "revokeSession", &p)
			if len(p.Errors) > 0 || p.RevokedSessions != 1 {
				t.Fatalf("revokeSession: %+v", p)
			}
			a.wantUnauthenticated(t, laptop.AccessToken, currentQ, "REVOKED")
			if _, ok := byID(mine(t, phone.AccessToken))[laptop.SessionID]; ok {
				t.Error("the ended session is still listed")
			}
			if r := a.rotate(t, *laptop.RefreshToken); len(r.Errors) == 0 {
				t.Error("the ended session's refresh token still works")
			}
		})

		t.Run("logout keeping the current session ends the others", func(t *testing.T) {
			tablet := a.signInFrom(t, "CUSTOMER", email, pw, firefoxLinux, "198.51.100.8:1")
			var p struct {
				RevokedSessions int
				Errors          []authError
			}
			a.do(t, phone.AccessToken, logoutOthersQ, nil).decode(t, "logout", &p)
			if len(p.Errors) > 0 || p.RevokedSessions < 1 {
				t.Fatalf("logout: %+v", p)
			}
			a.wantUnauthenticated(t, tablet.AccessToken, currentQ, "REVOKED")
			ss := mine(t, phone.AccessToken)
			if len(ss) != 1 || ss[0].ID != phone.SessionID {
				t.Errorf("after logout of the others: %+v", ss)
			}
			a.do(t, phone.AccessToken, `mutation { logout(input: {keepCurrent: true}) { revokedSessions errors { code field } } }`, nil).decode(t, "logout", &p)
			wantError(t, p.Errors, "INVALID_INPUT")
		})

		t.Run("support ends one session, then all", func(t *testing.T) {
			support := a.adminWithRoles(t, root, "support2.devices@example.com", "role_support")
			again := a.signInFrom(t, "CUSTOMER", email, pw, safariIPhone, "203.0.113.21:1")
			var p struct {
				RevokedSessions int
				Errors          []authError
			}
			a.do(t, support, revokeCustomerSessQ, map[string]any{"c": cus.ID, "s": laptop.SessionID}).decode(t, "revokeCustomerSessions", &p)
			wantError(t, p.Errors, "NOT_FOUND") // already ended
			a.do(t, support, revokeCustomerSessQ, map[string]any{"c": cus.ID, "s": again.SessionID}).decode(t, "revokeCustomerSessions", &p)
			if len(p.Errors) > 0 || p.RevokedSessions != 1 {
				t.Fatalf("one: %+v", p)
			}
			a.wantUnauthenticated(t, again.AccessToken, currentQ, "REVOKED")
			a.do(t, support, revokeCustomerSessQ, map[string]any{"c": cus.ID}).decode(t, "revokeCustomerSessions", &p)
			if len(p.Errors) > 0 || p.RevokedSessions != 1 {
				t.Fatalf("all: %+v", p)
			}
			a.wantUnauthenticated(t, phone.AccessToken, currentQ, "REVOKED")
			var log struct {
				Nodes []struct{ Type, SubjectID string }
			}
			a.do(t, root, `query($s: ID) { auditLog(first: 5, filter: {subjectId: $s, types: ["admin.customer_sessions_revoked"]}) { nodes { type subjectId } } }`,
				map[string]any{"s": cus.ID}).decode(t, "auditLog", &log)
			if len(log.Nodes) != 2 {
				t.Errorf("audit trail holds %d session revocations, want 2", len(log.Nodes))
			}
		})

		t.Run("a viewer reads the customer but not its sessions", func(t *testing.T) {
			viewer := a.adminWithRoles(t, root, "viewer.read.devices@example.com", "role_viewer")
			r := a.do(t, viewer, `query($id: ID!) { customer(id: $id) { id sessions { id } } }`, map[string]any{"id": cus.ID})
			var d struct {
				Customer struct {
					ID       string
					Sessions []deviceSessionOut
				}
			}
			if err := json.Unmarshal(r.Data, &d); err != nil {
				t.Fatal(err)
			}
			c := d.Customer
			if c.ID != cus.ID || c.Sessions != nil || len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("viewer: %s", r.raw)
			}
		})

		t.Run("a viewer cannot end a customer's sessions", func(t *testing.T) {
			viewer := a.adminWithRoles(t, root, "viewer.devices@example.com", "role_viewer")
			e := a.do(t, viewer, revokeCustomerSessQ, map[string]any{"c": cus.ID}).topLevel(t)
			if e.Extensions["code"] != "FORBIDDEN" {
				t.Errorf("viewer: %+v", e)
			}
		})

		t.Run("a customer cannot read another customer's sessions", func(t *testing.T) {
			other := a.signedIn(t, "devices.nosy@example.com")
			r := a.do(t, other.AccessToken, customerSessionsQ, map[string]any{"id": cus.ID})
			if len(r.Errors) == 0 || r.Errors[0].Extensions["code"] != "FORBIDDEN" {
				t.Errorf("customer reads customer(id): %s", r.raw)
			}
		})

		t.Run("an admin user lists their own sessions", func(t *testing.T) {
			var me struct {
				ID       string
				Sessions []deviceSessionOut
			}
			a.do(t, root, myUserSessionsQ, nil).decode(t, "currentUser", &me)
			current := 0
			for _, s := range me.Sessions {
				if s.User == nil || s.User.ID != me.ID || s.ActorType != "USER" {
					t.Errorf("session %+v", s)
				}
				if s.Current {
					current++
				}
			}
			if current != 1 {
				t.Errorf("%d current sessions, want 1: %+v", current, me.Sessions)
			}
		})
	})
}
