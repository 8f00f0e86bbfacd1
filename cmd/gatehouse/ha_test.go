package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/hastack"
	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestHighAvailability runs gatehouse, as a separate process, on a real
// HA stack (etcd, two PostgreSQL nodes under Patroni with synchronous
// replication, HAProxy on Patroni's health checks, pgbouncer in
// transaction mode), crashes the primary under load, and checks that no
// acknowledged write is lost, that the service comes back without a
// restart of gatehouse, and that the old primary rejoins as a replica.
// It runs only with GATEHOUSE_HA_TEST=1 (make ha-test).
func TestHighAvailability(t *testing.T) {
	s := hastack.Start(t)
	t.Logf("the stack cold-started in %.1fs", s.ColdStart.Seconds())

	// Migrations take a session-level advisory lock, which pgbouncer in
	// transaction mode does not keep on one server connection: they run
	// over HAProxy alone, and the server, told not to migrate, finds them
	// applied.
	storetest.MustOpen(t, s.DirectDSN())
	base, proc := startProcessCmd(t, s.DSN(), "GATEHOUSE_AUTO_MIGRATE", "false")

	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	writes := proctest.NewAcked(base)
	signIns := newSignIns(t, client{t, base})
	loadCtx, stopLoad := context.WithCancel(ctx)
	var load sync.WaitGroup
	// A pause between writes: during the outage the server answers
	// UNAVAILABLE at once, and the load should not spin on two cores.
	load.Go(func() { writes.Run(loadCtx, 6, 20*time.Millisecond) })
	load.Go(func() { signIns.run(loadCtx, 2) })
	defer func() { stopLoad(); load.Wait() }()

	if err := pollFor(30*time.Second, func() error {
		if a := writes.Stats().Acked; a < 50 {
			return fmt.Errorf("%d acknowledged writes", a)
		}
		return nil
	}); err != nil {
		t.Fatalf("the load before the crash: %v", err)
	}
	before := writes.Stats()

	old, err := s.CrashPrimary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	crashed := time.Now()
	t.Logf("crashed the primary %s (kill -9 of Patroni, the postmaster and its backends) after %s", old, before)

	// Back when a write begun after the crash is acknowledged: the server
	// process is the same one, never restarted.
	if err := pollFor(60*time.Second, func() error {
		if !writes.Once(ctx) {
			return fmt.Errorf("writes still fail: %s", writes.Stats())
		}
		return nil
	}); err != nil {
		t.Fatalf("the service did not come back within 60 s of the crash: %v", err)
	}
	recovered := time.Since(crashed)
	t.Logf("writes succeed again %.1fs after the crash", recovered.Seconds())

	// Some load on the new primary, then stop.
	atRecovery := writes.Stats().Acked
	if err := pollFor(30*time.Second, func() error {
		if a := writes.Stats().Acked; a < atRecovery+50 {
			return fmt.Errorf("%d acknowledged writes since the recovery", a-atRecovery)
		}
		return nil
	}); err != nil {
		t.Fatalf("the load after the recovery: %v", err)
	}
	stopLoad()
	load.Wait()
	if proc.ProcessState != nil {
		t.Fatalf("the server process exited: %v", proc.ProcessState)
	}
	stats := writes.Stats()
	t.Logf("writes: %s; sign-ins: %s", stats, signIns)
	// While there is no primary a write may wait and time out, or be
	// refused as UNAVAILABLE (retry later); nothing else.
	for code, n := range stats.Failures {
		if code != "UNAVAILABLE" && code != "TRANSPORT" {
			t.Errorf("%d writes failed with %s during the failover: only UNAVAILABLE (or no answer) is expected", n, code)
		}
	}

	next, err := s.Primary(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if next == old {
		t.Fatalf("%s is still the primary", old)
	}
	primary := openStore(t, s.DirectDSN())
	missing, err := writes.Missing(ctx, primary)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Acked <= before.Acked || len(missing) > 0 {
		t.Fatalf("acknowledged writes lost on the new primary %s: %d of %d (%d before the crash): %v",
			next, len(missing), stats.Acked, before.Acked, missing[:min(len(missing), 10)])
	}
	t.Logf("all %d acknowledged writes are on the new primary %s", stats.Acked, next)

	// The old primary, restarted as a supervisor would, follows the new
	// one and holds every acknowledged write.
	if err := s.Restart(old); err != nil {
		t.Fatal(err)
	}
	rejoin, cancelRejoin := context.WithTimeout(ctx, 60*time.Second)
	defer cancelRejoin()
	if err := s.WaitRoles(rejoin, next, old); err != nil {
		t.Fatalf("the old primary %s did not rejoin as a replica within 60 s of its restart: %v", old, err)
	}
	t.Logf("the old primary %s follows %s as its synchronous standby %.1fs after the crash", old, next, time.Since(crashed).Seconds())
	replica := openStore(t, old.DSN())
	if err := pollFor(30*time.Second, func() error {
		missing, err := writes.Missing(ctx, replica)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return fmt.Errorf("%d of %d acknowledged writes missing", len(missing), stats.Acked)
		}
		return nil
	}); err != nil {
		t.Fatalf("the rejoined replica %s: %v", old, err)
	}
}

// openStore opens url without migrating it (a standby is read-only).
func openStore(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// pollFor calls try until it returns nil, or returns its last error after
// limit.
func pollFor(limit time.Duration, try func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := try()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// signIns is the read side of the load: one customer signing in again
// and again, counting what succeeded.
type signIns struct {
	c     client
	query string
	ok    atomic.Int64

	mu       sync.Mutex
	failures map[string]int
}

func newSignIns(t *testing.T, c client) *signIns {
	t.Helper()
	const email, password = "reader@example.com", "correct horse battery staple 7"
	var reg tk
	c.field(c.do("", fmt.Sprintf(`mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: %q, password: %q}) { %s } }`, email, password, ticketQ), nil), "register", &reg)
	return &signIns{c: c, failures: map[string]int{}, query: fmt.Sprintf(`mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: %q, password: %q}) { ticket { accessToken } errors { code } } }`, email, password)}
}

func (s *signIns) run(ctx context.Context, workers int) {
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				r, err := s.c.post("", s.query, nil)
				if err == nil && len(r.Errors) == 0 && signedIn(r.Data["authenticate"]) {
					s.ok.Add(1)
					continue
				}
				if ctx.Err() == nil {
					s.failed(r, err)
				}
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		})
	}
	wg.Wait()
}

// failed counts a failed sign-in by its code: TRANSPORT without an
// answer, the top-level or the payload's error code otherwise.
func (s *signIns) failed(r result, err error) {
	code := "TRANSPORT"
	if err == nil {
		code = "NO_TICKET"
		var p struct {
			Errors []struct {
				Code string `json:"code"`
			} `json:"errors"`
		}
		if len(r.Errors) > 0 {
			code, _ = r.Errors[0].Extensions["code"].(string)
		} else if json.Unmarshal(r.Data["authenticate"], &p) == nil && len(p.Errors) > 0 {
			code = p.Errors[0].Code
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[code]++
}

func (s *signIns) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprintf("%d succeeded, failed %v", s.ok.Load(), s.failures)
}

// signedIn reports whether an authenticate payload holds a ticket.
func signedIn(payload json.RawMessage) bool {
	var p struct {
		Ticket *struct {
			AccessToken string `json:"accessToken"`
		} `json:"ticket"`
	}
	return json.Unmarshal(payload, &p) == nil && p.Ticket != nil && p.Ticket.AccessToken != ""
}
