package main

import (
	"testing"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// Two server processes through pgbouncer in transaction mode: migrating
// at start (a transaction-level lock, never a session one) and serving register, sign-in, refresh and logout with nothing
// session-scoped on the pooled connections.
func TestThroughPgbouncerProcesses(t *testing.T) {
	_, url := proctest.PgBouncer(t, storetest.PostgresDatabase(t))
	// The first migrates through pgbouncer at its start (two migrating
	// at once through it: internal/store's TestThroughPgbouncer).
	one, two := client{t, startProcess(t, url)}, client{t, startProcess(t, url)}

	var reg tk
	one.field(one.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "pooled@example.com", password: "shared harbour pw 7"}) { `+ticketQ+` } }`, nil), "register", &reg)
	var in tk
	two.field(two.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "pooled@example.com", password: "shared harbour pw 7"}) { ticket { accessToken refreshToken } errors { code } } }`, nil), "authenticate", &in)
	tok := in.Ticket.RefreshToken
	for i, c := range []client{one, two, one} {
		var next tk
		c.field(c.do("", rotateQ, map[string]any{"t": tok}), "refreshToken", &next)
		if next.Ticket.RefreshToken == "" || next.Ticket.RefreshToken == tok {
			t.Fatalf("refresh %d through pgbouncer gave no new token", i+1)
		}
		tok = next.Ticket.RefreshToken
		in = next
	}
	var out struct{ RevokedSessions int }
	two.field(two.do(in.Ticket.AccessToken, `mutation { logout { revokedSessions errors { code } } }`, nil), "logout", &out)
	if out.RevokedSessions != 1 {
		t.Fatalf("logout through pgbouncer ended %d sessions, want 1", out.RevokedSessions)
	}
	if code := one.payloadCode(one.do("", rotateQ, map[string]any{"t": tok}), "refreshToken"); code != "TOKEN_INVALID" {
		t.Fatalf("refresh after logout: %s", code)
	}
}
