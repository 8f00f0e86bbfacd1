package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// receiver is a webhook endpoint that counts every delivery by event id,
// and keeps the secrets of the reset events.
type receiver struct {
	mu     sync.Mutex
	got    map[string]int
	resets map[string]string // email's identity id -> the latest reset token
	delay  time.Duration
}

func newReceiver(t *testing.T, delay time.Duration) (*receiver, string) {
	r := &receiver{got: map[string]int{}, resets: map[string]string{}, delay: delay}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var m struct {
			ID             string         `json:"id"`
			Type           string         `json:"type"`
			AuthIdentityID string         `json:"auth_identity_id"`
			Data           map[string]any `json:"data"`
		}
		if err := json.Unmarshal(raw, &m); err != nil || m.ID == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		delay := r.delay
		r.mu.Unlock()
		time.Sleep(delay)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got[m.ID]++
		if tok, ok := m.Data["token"].(string); ok && m.Type == "auth.password_reset" {
			r.resets[m.AuthIdentityID] = tok
		}
	}))
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// setDelay sets how long each delivery takes from now on.
func (r *receiver) setDelay(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.delay = d
}

// received copies the delivery counts.
func (r *receiver) received() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.got))
	for k, v := range r.got {
		out[k] = v
	}
	return out
}

// fleet is three server processes over one PostgreSQL database behind
// HAProxy (round robin), all dispatching webhooks to one receiver.
type fleet struct {
	url       string // the database
	lb        client
	instances []client
	procs     []*exec.Cmd
	hook      *receiver
}

func startFleet(t *testing.T, hookDelay time.Duration) *fleet {
	t.Helper()
	f := &fleet{url: storetest.Postgres(t)}
	storetest.MustOpen(t, f.url) // migrated once, before three start
	var hookURL string
	f.hook, hookURL = newReceiver(t, hookDelay)
	env := []string{
		"GATEHOUSE_WEBHOOK_URL", hookURL,
		"GATEHOUSE_WEBHOOK_SECRET", "the fleet test's webhook secret, 32+ chars",
		"GATEHOUSE_RATE_LIMIT_IDENTIFIER", "10/1h",
	}
	var addrs []string
	for range 3 {
		base, cmd := startProcessCmd(t, f.url, env...)
		f.instances = append(f.instances, client{t, base})
		f.procs = append(f.procs, cmd)
		addrs = append(addrs, strings.TrimPrefix(base, "http://"))
	}
	lb := proctest.HAProxy(t, addrs)
	f.lb = client{t, lb.URL()}
	waitHealthy(t, lb.URL())
	return f
}

// TestFleet runs three instances behind a load balancer and checks that
// they act as one service: sessions, single-use tokens, lockout, limits
// and event delivery are the database's, not any instance's.
func TestFleet(t *testing.T) {
	f := startFleet(t, 0)
	one, two, three := f.instances[0], f.instances[1], f.instances[2]

	var reg tk
	one.field(one.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "fleet@example.com", password: "harbour lights 1"}) { `+ticketQ+` } }`, nil), "register", &reg)

	t.Run("sign_in_refresh_logout_on_three_instances", func(t *testing.T) {
		var in tk
		one.field(one.do("", `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "fleet@example.com", password: "harbour lights 1"}) { ticket { accessToken refreshToken } errors { code } } }`, nil), "authenticate", &in)
		var next tk
		two.field(two.do("", rotateQ, map[string]any{"t": in.Ticket.RefreshToken}), "refreshToken", &next)
		var out struct{ RevokedSessions int }
		three.field(three.do(next.Ticket.AccessToken, `mutation { logout { revokedSessions errors { code } } }`, nil), "logout", &out)
		if out.RevokedSessions != 1 {
			t.Fatalf("logout on the third instance ended %d sessions, want 1", out.RevokedSessions)
		}
		if code := one.payloadCode(one.do("", rotateQ, map[string]any{"t": next.Ticket.RefreshToken}), "refreshToken"); code != "TOKEN_INVALID" {
			t.Fatalf("refresh after logout on another instance: %s", code)
		}
	})

	t.Run("parallel_refreshes_one_child", func(t *testing.T) {
		const n = 20
		children := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			c := f.instances[i%3]
			wg.Go(func() {
				r, err := c.post("", rotateQ, map[string]any{"t": reg.Ticket.RefreshToken})
				if err != nil {
					errs[i] = err
					return
				}
				var p tk
				_ = json.Unmarshal(r.Data["refreshToken"], &p)
				children[i] = p.Ticket.RefreshToken
			})
		}
		wg.Wait()
		distinct := map[string]bool{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("refresh %d: %v", i, errs[i])
			}
			distinct[children[i]] = true
		}
		if len(distinct) != 1 || children[0] == "" {
			t.Fatalf("20 parallel refreshes on three instances gave %d children (want exactly one): %v", len(distinct), children)
		}
	})

	t.Run("one_reset_token_used_once", func(t *testing.T) {
		var acc struct{ Accepted bool }
		two.field(two.do("", `mutation { generateResetPasswordToken(actor: CUSTOMER, provider: "emailpass", input: {identifier: "fleet@example.com"}) { accepted errors { code } } }`, nil), "generateResetPasswordToken", &acc)
		var token string
		poll(t, "the reset event reaching the webhook", func() bool {
			f.hook.mu.Lock()
			defer f.hook.mu.Unlock()
			for _, tok := range f.hook.resets {
				token = tok
			}
			return token != ""
		})
		const n = 9
		codes := make([]string, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			c := f.instances[i%3]
			wg.Go(func() {
				r, err := c.post("", `mutation($t: String!) { resetPassword(actor: CUSTOMER, provider: "emailpass", input: {token: $t, password: "harbour lights 2"}) { success errors { code } } }`, map[string]any{"t": token})
				if err != nil {
					errs[i] = err
					return
				}
				var p struct {
					Success bool
					Errors  []struct{ Code string }
				}
				_ = json.Unmarshal(r.Data["resetPassword"], &p)
				switch {
				case p.Success:
					codes[i] = "OK"
				case len(p.Errors) > 0:
					codes[i] = p.Errors[0].Code
				default:
					codes[i] = "?"
				}
			})
		}
		wg.Wait()
		ok := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("reset %d: %v", i, errs[i])
			}
			if codes[i] == "OK" {
				ok++
			} else if codes[i] != "TOKEN_INVALID" {
				t.Errorf("reset %d: %s, want OK or TOKEN_INVALID", i, codes[i])
			}
		}
		if ok != 1 {
			t.Fatalf("one reset token used 9 times in parallel on three instances succeeded %d times (want 1): %v", ok, codes)
		}
	})

	t.Run("lockout_shared", func(t *testing.T) {
		var r tk
		one.field(one.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "locked-fleet@example.com", password: "right password 1"}) { `+ticketQ+` } }`, nil), "register", &r)
		const signIn = `mutation($p: String!) { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "locked-fleet@example.com", password: $p}) { ticket { accessToken } errors { code } } }`
		// Five wrong passwords, spread over the three instances (the
		// lockout's default), lock the identity everywhere.
		for i := range 5 {
			c := f.instances[i%3]
			if code := c.payloadCode(c.do("", signIn, map[string]any{"p": "wrong password!"}), "authenticate"); code != "INVALID_CREDENTIALS" {
				t.Fatalf("wrong password %d: %s", i+1, code)
			}
		}
		for i, c := range f.instances {
			if code := c.payloadCode(c.do("", signIn, map[string]any{"p": "right password 1"}), "authenticate"); code != "INVALID_CREDENTIALS" {
				t.Fatalf("the right password on instance %d during the lockout: %s, want INVALID_CREDENTIALS", i+1, code)
			}
		}
	})

	t.Run("per_email_limit_shared", func(t *testing.T) {
		// 10 per hour per email (the fleet's setting): the 11th, whichever
		// instance takes it, is refused.
		const q = `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "limited-fleet@example.com", password: "some password 1"}) { errors { code } } }`
		for i := range 10 {
			c := f.instances[i%3]
			if r := c.do("", q, nil); len(r.Errors) > 0 {
				t.Fatalf("attempt %d: %+v", i+1, r.Errors)
			}
		}
		for i, c := range f.instances {
			r := c.do("", q, nil)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "RATE_LIMITED" {
				t.Fatalf("attempt past the limit on instance %d: %+v", i+1, r.Errors)
			}
		}
	})

	t.Run("every_event_delivered_exactly_once", func(t *testing.T) {
		// Some traffic through the balancer, so that all three write
		// events and all three dispatch.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		load := proctest.NewAcked(f.lb.base)
		load.Run(ctx, 6, 0)
		cancel()
		askResets(t, f.lb, load.Acknowledged(), 300)
		ids := eventIDs(t, f.url)
		poll(t, "every event delivered", func() bool {
			got := f.hook.received()
			for _, id := range ids {
				if got[id] == 0 {
					return false
				}
			}
			return true
		})
		// Let a duplicate, if any, arrive.
		time.Sleep(1500 * time.Millisecond)
		got := f.hook.received()
		dups := 0
		for _, id := range ids {
			if got[id] > 1 {
				dups++
			}
		}
		t.Logf("%d events, %d delivered more than once; load: %s", len(ids), dups, load.Stats())
		if dups > 0 {
			t.Fatalf("%d of %d events delivered more than once", dups, len(ids))
		}
	})
}

// askResets asks for a password reset, an event each, for up to n of the
// emails, six at a time.
func askResets(t *testing.T, c client, emails []string, n int) {
	t.Helper()
	emails = emails[:min(n, len(emails))]
	errs := make(chan error, len(emails))
	sem := make(chan struct{}, 6)
	var wg sync.WaitGroup
	for _, e := range emails {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			_, err := c.post("", `mutation($e: String!) { generateResetPasswordToken(actor: CUSTOMER, provider: "emailpass", input: {identifier: $e}) { accepted } }`, map[string]any{"e": e})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("reset request: %v", err)
		}
	}
}

// TestFleetInstanceKilled kills one of three instances with SIGKILL in
// the middle of a write load: no acknowledged write is lost, and the
// deliveries it held leased are made by the other two, within seconds.
func TestFleetInstanceKilled(t *testing.T) {
	f := startFleet(t, 20*time.Millisecond)
	load := proctest.NewAcked(f.lb.base)
	// Events to deliver, slowly (20 ms each), so that the instance dies
	// holding leases.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	load.Run(ctx, 4, 0)
	cancel()
	askResets(t, f.lb, load.Acknowledged(), 400)
	stop := loadFor(load, 4)
	time.Sleep(500 * time.Millisecond)
	victim := f.procs[2]
	if err := victim.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = victim.Wait()
	killed := time.Now()
	time.Sleep(1500 * time.Millisecond)
	stop()
	noneLost(t, load, f.url)
	ids := eventIDs(t, f.url)
	// The victim's leases lapse after 15 s; the rest is delivery time,
	// slow under the race detector.
	pollWithin(t, "every event delivered after one of three instances was killed", 60*time.Second, func() bool {
		got := f.hook.received()
		for _, id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	got := f.hook.received()
	dups := 0
	for _, id := range ids {
		if got[id] > 1 {
			dups++
		}
	}
	t.Logf("%d events; all delivered %.1f s after the kill; %d delivered twice (the victim's in-flight ones may be)", len(ids), time.Since(killed).Seconds(), dups)
}

// eventIDs lists every event in the database.
func eventIDs(t *testing.T, url string) []string {
	t.Helper()
	db := storetest.MustOpen(t, url)
	var ids []string
	if err := db.Bun().NewSelect().Table("auth_event").Column("id").Scan(context.Background(), &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

// poll waits until ok holds, failing after 30 s, and logs how long it
// took.
func poll(t *testing.T, what string, ok func() bool) time.Duration {
	t.Helper()
	return pollWithin(t, what, 30*time.Second, ok)
}

// pollWithin is poll failing after limit.
func pollWithin(t *testing.T, what string, limit time.Duration, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	d := time.Since(start)
	t.Logf("%s: %.2f s", what, d.Seconds())
	return d
}
