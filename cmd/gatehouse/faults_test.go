package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The fault tests: each starts its own peers (a scratch PostgreSQL
// cluster, Redis, NATS) on free ports, breaks them under a write load
// that records every acknowledged write, and checks that the service
// answers the outage clearly, recovers by itself and loses nothing it
// acknowledged.

// loadFor runs load from workers goroutines in the background; the
// returned func stops it and waits.
func loadFor(load *proctest.Acked, workers int) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { load.Run(ctx, workers, 5*time.Millisecond); close(done) }()
	return func() { cancel(); <-done }
}

// recovered polls until a write is acknowledged again, failing after 30
// s, and returns how long it took.
func recovered(t *testing.T, load *proctest.Acked, what string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	for !load.Once(ctx) {
		if ctx.Err() != nil {
			t.Fatalf("%s: no write acknowledged within 30 s: %s", what, load.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	d := time.Since(start)
	t.Logf("%s: writes acknowledged again %.2f s after the peer came back", what, d.Seconds())
	return d
}

// noneLost checks every acknowledged write is in the database at url.
func noneLost(t *testing.T, load *proctest.Acked, url string) {
	t.Helper()
	db := storetest.MustOpen(t, url)
	missing, err := load.Missing(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	st := load.Stats()
	t.Logf("writes: %s; %d acknowledged writes lost", st, len(missing))
	if len(missing) > 0 {
		t.Fatalf("%d of %d acknowledged writes lost, e.g. %s", len(missing), st.Acked, missing[0])
	}
	if st.Acked == 0 {
		t.Fatal("no write was acknowledged: the load did not run")
	}
}

// onlyOutageCodes fails when a write failed any other way than the
// retryable codes an outage answers: never an internal error, a dropped
// connection or a hang.
func onlyOutageCodes(t *testing.T, st proctest.Stats) {
	t.Helper()
	for code, n := range st.Failures {
		if code != "UNAVAILABLE" {
			t.Errorf("%d writes failed with %s during the outage; want only UNAVAILABLE", n, code)
		}
	}
}

// PostgreSQL stopped three ways under load (its fast shutdown, its
// immediate one, a crash of every process): the service answers
// UNAVAILABLE meanwhile, recovers without a restart, and loses no
// acknowledged write.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := proctest.Postgres(t)
	url := pg.PostgresURL("postgres")
	storetest.MustOpen(t, url)
	base := startProcess(t, url)
	load := proctest.NewAcked(base)
	for _, c := range []struct {
		name string
		sig  syscall.Signal
	}{
		{"fast_shutdown", syscall.SIGINT},
		{"immediate_shutdown", syscall.SIGQUIT},
		{"crash", syscall.SIGKILL},
	} {
		t.Run(c.name, func(t *testing.T) {
			stop := loadFor(load, 4)
			time.Sleep(time.Second)
			pg.Signal(c.sig)
			time.Sleep(2 * time.Second)
			stop()
			pg.Start()
			recovered(t, load, c.name)
		})
	}
	onlyOutageCodes(t, load.Stats())
	noneLost(t, load, url)
}

// kill -9 of the server on SQLite under write load, three times: the file
// stays sound and holds every acknowledged write.
func TestSQLiteKilledUnderLoad(t *testing.T) {
	url := storetest.SQLite(t)
	var load *proctest.Acked
	for i := range 3 {
		base, cmd := startProcessCmd(t, url)
		if load == nil {
			load = proctest.NewAcked(base)
		} else {
			load.SetBase(base)
		}
		stop := loadFor(load, 4)
		time.Sleep(1500 * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		stop()
		t.Logf("kill %d: %s", i+1, load.Stats())
	}
	db := storetest.MustOpen(t, url)
	var check []string
	if err := db.Bun().NewRaw("PRAGMA integrity_check").Scan(context.Background(), &check); err != nil {
		t.Fatal(err)
	}
	if len(check) != 1 || check[0] != "ok" {
		t.Fatalf("PRAGMA integrity_check after three kills: %v", check)
	}
	noneLost(t, load, url)
}

// NATS stopped and started again under load: every event reaches the
// stream afterwards, none twice.
func TestNATSRestartUnderLoad(t *testing.T) {
	ns := proctest.NATS(t)
	url := storetest.Postgres(t)
	storetest.MustOpen(t, url)
	hook, hookURL := newReceiver(t, 0)
	base := startProcess(t, url, "GATEHOUSE_NATS_URL", ns.NATSURL(),
		"GATEHOUSE_WEBHOOK_URL", hookURL, "GATEHOUSE_WEBHOOK_SECRET", "the fault test's webhook secret, 32+ chars")
	load := proctest.NewAcked(base)
	c := client{t, base}
	stop := loadFor(load, 2)
	poll(t, "200 identities to ask resets for", func() bool { return load.Stats().Acked >= 200 })
	emails := load.Acknowledged()
	askResets(t, c, emails[:50], 50)
	ns.Stop()
	// Events written while NATS is down: the webhook gets them all the
	// same, its loop never waiting for NATS's.
	askResets(t, c, emails[50:150], 100)
	downIDs := eventIDs(t, url)
	poll(t, "the webhook receiving every event while NATS is down", func() bool {
		got := hook.received()
		for _, id := range downIDs {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
	ns.Start()
	askResets(t, c, emails[150:200], 50)
	stop()
	noneLost(t, load, url)
	if st := load.Stats(); st.Failed > 0 {
		t.Errorf("writes failed while NATS was down (it is not on the write path): %s", st)
	}

	ids := eventIDs(t, url)
	if len(ids) < 150 {
		t.Fatalf("only %d events: the test did not make its events", len(ids))
	}
	nc, err := nats.Connect(ns.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var seen map[string]int
	poll(t, "every event in the stream after NATS came back", func() bool {
		seen = streamIDs(t, ctx, js)
		for _, id := range ids {
			if seen[id] == 0 {
				return false
			}
		}
		return true
	})
	dups := 0
	for _, n := range seen {
		if n > 1 {
			dups++
		}
	}
	t.Logf("%d events, %d messages in the stream, %d duplicated", len(ids), len(seen), dups)
	if dups > 0 {
		t.Fatalf("%d events are in the stream more than once", dups)
	}
}

// streamIDs counts the stream's messages by their Nats-Msg-Id.
func streamIDs(t *testing.T, ctx context.Context, js jetstream.JetStream) map[string]int {
	t.Helper()
	s, err := js.Stream(ctx, outbox.StreamName)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil
		}
		t.Fatal(err)
	}
	c, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for left := int(info.State.Msgs); left > 0; {
		batch, err := c.Fetch(min(left, 500), jetstream.FetchMaxWait(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			out[m.Headers().Get(jetstream.MsgIDHeader)]++
			n++
		}
		if n == 0 {
			break
		}
		left -= n
	}
	return out
}

// SIGTERM under load: requests in flight finish, new connections are
// refused (never reset half-way), and the outbox is flushed: nothing is
// left owed to the webhook, or leased, when the process has exited.
func TestSIGTERMUnderLoad(t *testing.T) {
	url := storetest.Postgres(t)
	storetest.MustOpen(t, url)
	hook, hookURL := newReceiver(t, 5*time.Millisecond)
	base, cmd := startProcessCmd(t, url, "GATEHOUSE_WEBHOOK_URL", hookURL,
		"GATEHOUSE_WEBHOOK_SECRET", "the fault test's webhook secret, 32+ chars")
	load := proctest.NewAcked(base)
	c := client{t, base}
	stop := loadFor(load, 4)
	poll(t, "100 identities to ask resets for", func() bool { return load.Stats().Acked >= 100 })
	askResets(t, c, load.Acknowledged(), 100)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server exit after SIGTERM: %v", err)
	}
	stop()
	st := load.Stats()
	for code, n := range st.Failures {
		// A request that raced the shutdown may be answered UNAVAILABLE,
		// a clean, retryable refusal; never an internal error or a
		// connection reset half-way.
		if code != "REFUSED" && code != "UNAVAILABLE" {
			t.Errorf("%d writes failed with %s at shutdown; want only refused connections or UNAVAILABLE", n, code)
		}
	}
	noneLost(t, load, url)
	db := storetest.MustOpen(t, url)
	owed, err := db.Bun().NewSelect().Table("event_delivery").Where("state = 'pending'").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	leased, err := db.Bun().NewSelect().Table("event_delivery").Where("locked_until IS NOT NULL").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after SIGTERM: %d webhook deliveries made, %d still owed, %d still leased", len(hook.received()), owed, leased)
	if owed > 0 || leased > 0 {
		t.Fatalf("the outbox was not flushed at shutdown: %d deliveries owed, %d leased", owed, leased)
	}
}

// Redis stopped and started again under load: sign-ins are shed with
// UNAVAILABLE and a retry hint (the limits fail closed, as documented),
// refresh goes on, an automatic persisted query is a miss that the full
// query answers, and once Redis is back the limits count again.
func TestRedisRestartUnderLoad(t *testing.T) {
	rs := proctest.Redis(t)
	url := storetest.Postgres(t)
	storetest.MustOpen(t, url)
	base := startProcess(t, url, "GATEHOUSE_REDIS_URL", rs.RedisURL())
	c := client{t, base}
	var reg tk
	c.field(c.do("", `mutation { register(actor: CUSTOMER, provider: "emailpass", input: {email: "redis-fault@example.com", password: "cache outage pw 1"}) { `+ticketQ+` } }`, nil), "register", &reg)
	const signIn = `mutation { authenticate(actor: CUSTOMER, provider: "emailpass", input: {email: "redis-fault@example.com", password: "cache outage pw 1"}) { ticket { accessToken } errors { code } } }`
	load := proctest.NewAcked(base)
	stop := loadFor(load, 2)
	time.Sleep(500 * time.Millisecond)
	rs.Kill()

	t.Run("sign_in_shed_with_retry_hint", func(t *testing.T) {
		for i := range 5 {
			r := c.do("", signIn, nil)
			if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "UNAVAILABLE" || r.Errors[0].Extensions["retryAfterSeconds"] == nil {
				t.Fatalf("sign-in %d with Redis down: %+v, want UNAVAILABLE with retryAfterSeconds", i+1, r.Errors)
			}
		}
	})
	t.Run("refresh_goes_on", func(t *testing.T) {
		var next tk
		c.field(c.do("", rotateQ, map[string]any{"t": reg.Ticket.RefreshToken}), "refreshToken", &next)
		reg = next
	})
	t.Run("persisted_query_is_a_miss", func(t *testing.T) {
		const q = `{ authProviders(actor: CUSTOMER) { id } }`
		sum := sha256.Sum256([]byte(q))
		ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
		r := c.apq("", ext)
		if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("hash alone with Redis down: %+v, want PERSISTED_QUERY_NOT_FOUND", r.Errors)
		}
		if r := c.apq(q, ext); len(r.Errors) > 0 || r.Data["authProviders"] == nil {
			t.Fatalf("full query with its hash, Redis down: %+v", r.Errors)
		}
	})
	stop()
	st := load.Stats()
	t.Logf("registrations while Redis went down: %s", st)
	for code, n := range st.Failures {
		if code != "UNAVAILABLE" {
			t.Errorf("%d registrations failed with %s; want only UNAVAILABLE", n, code)
		}
	}

	rs.Start()
	poll(t, "sign-in served again after Redis came back", func() bool {
		r, err := c.post("", signIn, nil)
		return err == nil && len(r.Errors) == 0
	})
	noneLost(t, load, url)
}

// apq posts an automatic persisted query: its hash in extensions, with or
// without the query text.
func (c client) apq(query string, extensions map[string]any) result {
	c.t.Helper()
	body := map[string]any{"extensions": extensions}
	if query != "" {
		body["query"] = query
	}
	raw, _ := json.Marshal(body)
	resp, err := http.Post(c.base+"/graphql", "application/json", bytes.NewReader(raw))
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	var r result
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		c.t.Fatal(err)
	}
	return r
}

// SIGTERM with a slow subscriber whose backlog outlasts the flush: what is
// left is released, not left leased, and not counted as a failed attempt,
// so the next instance delivers it at once.
func TestSIGTERMSlowSubscriber(t *testing.T) {
	url := storetest.Postgres(t)
	storetest.MustOpen(t, url)
	hook, hookURL := newReceiver(t, 400*time.Millisecond)
	hookEnv := []string{"GATEHOUSE_WEBHOOK_URL", hookURL, "GATEHOUSE_WEBHOOK_SECRET", "the fault test's webhook secret, 32+ chars"}
	base, cmd := startProcessCmd(t, url, hookEnv...)
	c := client{t, base}
	load := proctest.NewAcked(base)
	for range 40 {
		load.Once(context.Background())
	}
	// 40 events to one identity each, delivered 400 ms apart at best:
	// far more than the 5 s flush drains.
	askResets(t, c, load.Acknowledged(), 40)
	poll(t, "the first delivery", func() bool { return len(hook.received()) > 0 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("server exit after SIGTERM: %v", err)
	}
	db := storetest.MustOpen(t, url)
	ctx := context.Background()
	var left []struct {
		Attempts    int        `bun:"attempts"`
		LockedUntil *time.Time `bun:"locked_until"`
	}
	if err := db.Bun().NewSelect().Table("event_delivery").Column("attempts", "locked_until").Where("state = 'pending'").Scan(ctx, &left); err != nil {
		t.Fatal(err)
	}
	if len(left) == 0 {
		t.Fatal("the flush delivered everything: the subscriber was not slow enough for this test")
	}
	for _, d := range left {
		if d.LockedUntil != nil || d.Attempts != 0 {
			t.Fatalf("a delivery left by the shutdown: leased until %v, %d attempts; want released, 0 attempts", d.LockedUntil, d.Attempts)
		}
	}
	t.Logf("after SIGTERM: %d delivered, %d released for the next instance", len(hook.received()), len(left))
	hook.setDelay(0)
	startProcess(t, url, hookEnv...)
	ids := eventIDs(t, url)
	poll(t, "the next instance delivering what the first released", func() bool {
		got := hook.received()
		for _, id := range ids {
			if got[id] == 0 {
				return false
			}
		}
		return true
	})
}
