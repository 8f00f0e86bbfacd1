package main

import (
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestRevokeAcrossProcessesWithVerifyCache: a logout on one server
// process ends the session on another that has the access token in its
// verification cache, because every request loads the token's session.
// The wait is polled, and its length reported, not asserted.
func TestRevokeAcrossProcessesWithVerifyCache(t *testing.T) {
	url := storetest.Postgres(t)
	// Migrate once, so the two processes start on a ready database.
	storetest.MustOpen(t, url)
	a, b := client{t, startProcess(t, url)}, client{t, startProcess(t, url)}

	const creds = `provider: "emailpass", input: {email: "revoke@example.com", password: "across two processes"}`
	var reg tk
	a.field(a.do("", `mutation { register(actor: CUSTOMER, `+creds+`) { `+ticketQ+` } }`, nil), "register", &reg)
	var created struct{ Customer struct{ ID string } }
	a.field(a.do(reg.Ticket.AccessToken, `mutation { createCustomer(input: {firstName: "Re", lastName: "Voke"}) { customer { id } errors { code } } }`, nil), "createCustomer", &created)
	var signedIn tk
	a.field(a.do("", `mutation { authenticate(actor: CUSTOMER, `+creds+`) { `+ticketQ+` } }`, nil), "authenticate", &signedIn)
	bearer := signedIn.Ticket.AccessToken

	// Process B verifies the token, and so caches it; the second read is
	// served from its cache.
	for i := 1; i <= 2; i++ {
		var me struct{ ID string }
		b.field(b.do(bearer, `{ currentCustomer { id } }`, nil), "currentCustomer", &me)
		if me.ID == "" || me.ID != created.Customer.ID {
			t.Fatalf("read %d on B: currentCustomer id %q, want %q", i, me.ID, created.Customer.ID)
		}
	}

	var out struct{ RevokedSessions int }
	a.field(a.do(bearer, `mutation { logout { revokedSessions errors { code } } }`, nil), "logout", &out)
	if out.RevokedSessions != 1 {
		t.Fatalf("logout on A ended %d sessions, want 1", out.RevokedSessions)
	}
	loggedOut := time.Now()

	const (
		every    = 20 * time.Millisecond
		deadline = 30 * time.Second
	)
	for tries := 1; ; tries++ {
		r := b.do(bearer, `{ currentCustomer { id } }`, nil)
		if len(r.Errors) > 0 {
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAUTHENTICATED" || r.Errors[0].Extensions["reason"] != "REVOKED" {
				t.Fatalf("B after the logout: %+v, want one UNAUTHENTICATED error for a REVOKED session", r.Errors)
			}
			t.Logf("B refused the token %v after the logout on A (%d tries, polling every %v)", time.Since(loggedOut), tries, every)
			return
		}
		if time.Since(loggedOut) > deadline {
			t.Fatalf("B still accepts the token %v after the logout on A", deadline)
		}
		time.Sleep(every)
	}
}
