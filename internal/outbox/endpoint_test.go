package outbox_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// endpointKey seals the endpoints' secrets in the tests.
var endpointKey = bytes.Repeat([]byte{7}, 32)

// refresh is how long the tests' Endpoints use what they read.
const refresh = 3 * time.Second

func newEndpoints(st outbox.EndpointStore, clk *clocktest.Clock) *outbox.Endpoints {
	return outbox.NewEndpoints(outbox.EndpointsOptions{Store: st, Key: endpointKey, Refresh: refresh, Now: clk.Now, PrivateNetworks: true})
}

// newSecret is a new endpoint secret, and it sealed for endpoint id.
func newSecret(t *testing.T, id string) (plain, sealed string) {
	t.Helper()
	plain, err := secret.NewWebhookSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err = secret.SealWebhookSecret(endpointKey, id, plain)
	if err != nil {
		t.Fatal(err)
	}
	return plain, sealed
}

// createEndpoint stores an endpoint for url, owed events (all when none),
// as the service does, and returns it with its secret.
func createEndpoint(t *testing.T, st *store.Store, clk *clocktest.Clock, url string, events ...string) (*gatehouse.WebhookEndpoint, string) {
	t.Helper()
	e := &gatehouse.WebhookEndpoint{ID: gatehouse.NewID(gatehouse.PrefixWebhookEndpoint), URL: url, Events: events,
		CreatedAt: clk.Now(), UpdatedAt: clk.Now()}
	plain, sealed := newSecret(t, e.ID)
	if err := st.CreateWebhookEndpoint(t.Context(), e, sealed); err != nil {
		t.Fatal(err)
	}
	return e, plain
}

// listen starts a receiver that fails its first fail requests, stopped
// when the test ends, and returns it with its URL.
func listen(t *testing.T, clk *clocktest.Clock, fail int) (*recorder, string) {
	t.Helper()
	r := &recorder{clock: clk, fail: fail}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv.URL
}

// emit appends an event named name of the identity, owed to whoever the
// subscriber table says.
func emit(t *testing.T, st *store.Store, clk *clocktest.Clock, name, identity string) string {
	t.Helper()
	e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: name, AuthIdentityID: identity,
		ActorType: gatehouse.ActorCustomer, Payload: map[string]any{}, CreatedAt: clk.Now()}
	if err := st.AppendEvent(t.Context(), e, "", nil); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

func subscribersOf(t *testing.T, src outbox.Source) []outbox.Subscriber {
	t.Helper()
	subs, err := src.Subscribers(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

// ids are the event ids of the attempts, in order, and fails unless each
// verifies under secret.
func ids(t *testing.T, attempts []attempt, secret string) []string {
	t.Helper()
	var out []string
	for _, a := range attempts {
		if err := verifyStandard(secret, a.h, a.body, a.at); err != nil {
			t.Errorf("attempt of %s: %v", a.h.Get("webhook-id"), err)
		}
		var m outbox.Message
		if err := json.Unmarshal(a.body, &m); err != nil || m.ID != a.h.Get("webhook-id") {
			t.Errorf("body %s does not carry the webhook-id %s (%v)", a.body, a.h.Get("webhook-id"), err)
		}
		out = append(out, m.ID)
	}
	return out
}

// Two endpoints each get every event their filter lets through, in the
// order of the identity's events, signed with their own secret only.
func TestEndpointsDeliverInOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		all, allURL := listen(t, clk, 0)
		logins, loginsURL := listen(t, clk, 0)
		allEP, allSecret := createEndpoint(t, st, clk, allURL)
		loginsEP, loginsSecret := createEndpoint(t, st, clk, loginsURL, "auth.login_succeeded")

		identity := gatehouse.NewID("authid")
		var events, loginEvents []string
		for i := range 6 {
			name := "customer.created"
			if i%2 == 1 {
				name = "auth.login_succeeded"
			}
			id := emit(t, st, clk, name, identity)
			events = append(events, id)
			if name == "auth.login_succeeded" {
				loginEvents = append(loginEvents, id)
			}
		}
		subs := subscribersOf(t, newEndpoints(st, clk))
		var names []string
		for _, s := range subs {
			names = append(names, s.Name())
		}
		if want := []string{allEP.Subscriber(), loginsEP.Subscriber()}; !slices.Equal(names, want) {
			t.Fatalf("subscribers %q, want %q", names, want)
		}
		n, err := dispatcher(st, clk, "a", subs...).RunOnce(t.Context())
		if err != nil || n != len(events)+len(loginEvents) {
			t.Fatalf("RunOnce = %d, %v; want %d delivered", n, err, len(events)+len(loginEvents))
		}
		for _, c := range []struct {
			name        string
			got         []attempt
			secret      string
			otherSecret string
			want        []string
		}{
			{"all events", all.attempts(), allSecret, loginsSecret, events},
			{"logins only", logins.attempts(), loginsSecret, allSecret, loginEvents},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := ids(t, c.got, c.secret); !slices.Equal(got, c.want) {
					t.Fatalf("received %q, want %q in that order", got, c.want)
				}
				for _, a := range c.got {
					if err := verifyStandard(c.otherSecret, a.h, a.body, a.at); err == nil {
						t.Fatalf("a delivery verifies under the other endpoint's secret")
					}
					if sigs := strings.Fields(a.h.Get("webhook-signature")); len(sigs) != 1 {
						t.Fatalf("webhook-signature %q: want one signature without a rotation", a.h.Get("webhook-signature"))
					}
				}
			})
		}
	})
}

// During a rotation's grace each delivery is signed with both secrets, so
// a receiver still on the old one and one already on the new one both
// accept it; after the grace only the new one signs.
func TestEndpointRotationGrace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		rcv, url := listen(t, clk, 0)
		ep, oldSecret := createEndpoint(t, st, clk, url)
		endpoints := newEndpoints(st, clk)
		before := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		if n, err := dispatcher(st, clk, "a", subscribersOf(t, endpoints)...).RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce before the rotation = %d, %v", n, err)
		}

		newSecret, sealed := newSecret(t, ep.ID)
		graceEnds := clk.Now().Add(time.Hour)
		if _, err := st.RotateWebhookSecret(ctx, ep.ID, sealed, graceEnds, clk.Now()); err != nil {
			t.Fatal(err)
		}
		clk.Advance(refresh) // every instance has read the rotation
		during := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		if n, err := dispatcher(st, clk, "a", subscribersOf(t, endpoints)...).RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce during the grace = %d, %v", n, err)
		}
		clk.Set(graceEnds)
		after := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		if n, err := dispatcher(st, clk, "a", subscribersOf(t, endpoints)...).RunOnce(ctx); err != nil || n != 1 {
			t.Fatalf("RunOnce after the grace = %d, %v", n, err)
		}

		got := rcv.attempts()
		if len(got) != 3 {
			t.Fatalf("%d deliveries, want 3", len(got))
		}
		byEvent := map[string]attempt{}
		for _, a := range got {
			byEvent[a.h.Get("webhook-id")] = a
		}
		for _, c := range []struct {
			name       string
			event      string
			secret     string
			accepts    bool
			signatures int
		}{
			{"before, old secret", before, oldSecret, true, 1},
			{"before, new secret", before, newSecret, false, 1},
			{"during the grace, old secret", during, oldSecret, true, 2},
			{"during the grace, new secret", during, newSecret, true, 2},
			{"after the grace, old secret", after, oldSecret, false, 1},
			{"after the grace, new secret", after, newSecret, true, 1},
		} {
			t.Run(c.name, func(t *testing.T) {
				a, ok := byEvent[c.event]
				if !ok {
					t.Fatalf("event %s was not delivered", c.event)
				}
				if err := verifyStandard(c.secret, a.h, a.body, a.at); (err == nil) != c.accepts {
					t.Fatalf("receiver's verification = %v, want accepted %t", err, c.accepts)
				}
				if n := len(strings.Fields(a.h.Get("webhook-signature"))); n != c.signatures {
					t.Fatalf("webhook-signature %q has %d signatures, want %d", a.h.Get("webhook-signature"), n, c.signatures)
				}
			})
		}
	})
}

// An endpoint deleted while it is owed a failing delivery is not tried
// again, even by a dispatcher that has not yet read the deletion; an
// update of its URL takes effect once read.
func TestEndpointDeleteAndUpdate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		failing, failingURL := listen(t, clk, 1000)
		moved, movedURL := listen(t, clk, 0)
		gone, _ := createEndpoint(t, st, clk, failingURL)
		kept, keptSecret := createEndpoint(t, st, clk, failingURL)
		endpoints := newEndpoints(st, clk)
		stale := subscribersOf(t, endpoints) // read before the changes below
		first := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		if n, err := dispatcher(st, clk, "a", stale...).RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("RunOnce = %d, %v; want both failing", n, err)
		}
		if len(failing.attempts()) != 2 {
			t.Fatalf("%d attempts, want one per endpoint", len(failing.attempts()))
		}

		if err := st.DeleteWebhookEndpoint(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		changed := *kept
		changed.URL = movedURL
		if err := st.UpdateWebhookEndpoint(ctx, &changed); err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour) // past every backoff and the refresh

		t.Run("stale dispatcher", func(t *testing.T) {
			// Its loop for the deleted endpoint runs until it reads the
			// deletion: it finds nothing owed.
			for _, sub := range stale {
				if sub.Name() != gone.Subscriber() {
					continue
				}
				if n, err := dispatcher(st, clk, "b", sub).RunOnce(ctx); err != nil || n != 0 {
					t.Fatalf("RunOnce for the deleted endpoint = %d, %v", n, err)
				}
			}
			if n := len(failing.attempts()); n != 2 {
				t.Fatalf("the deleted endpoint was tried again: %d attempts", n)
			}
		})
		t.Run("after the refresh", func(t *testing.T) {
			subs := subscribersOf(t, endpoints)
			if len(subs) != 1 || subs[0].Name() != kept.Subscriber() {
				t.Fatalf("subscribers after the delete = %v, want only %s", subs, kept.Subscriber())
			}
			if n, err := dispatcher(st, clk, "a", subs...).RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("RunOnce after the update = %d, %v; want the retry delivered", n, err)
			}
			if got := ids(t, moved.attempts(), keptSecret); !slices.Equal(got, []string{first}) {
				t.Fatalf("the new URL received %q, want %s", got, first)
			}
			if n := len(failing.attempts()); n != 2 {
				t.Fatalf("the old URL got %d attempts, want no more than the 2 before", n)
			}
		})
	})
}

// Run follows the endpoints: one created after it started (by another
// instance) is delivered to once read, and a deleted one's loop stops.
func TestRunFollowsEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		first, firstURL := listen(t, clk, 0)
		second, secondURL := listen(t, clk, 0)
		a, aSecret := createEndpoint(t, st, clk, firstURL)

		ctx, cancel := context.WithCancel(t.Context())
		ran := make(chan struct{})
		go func() {
			defer close(ran)
			dispatcher(st, clk, "a").Run(ctx, 10*time.Millisecond, time.Second, newEndpoints(st, clk))
		}()
		e1 := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		eventually(t, "the first endpoint has the first event", func() bool { return len(first.attempts()) == 1 })

		b, bSecret := createEndpoint(t, st, clk, secondURL)
		e2 := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		clk.Advance(refresh)
		eventually(t, "the endpoint created after the start has the second event", func() bool { return len(second.attempts()) == 1 })
		eventually(t, "the first endpoint has the second event", func() bool { return len(first.attempts()) == 2 })

		if err := st.DeleteWebhookEndpoint(t.Context(), a.ID); err != nil {
			t.Fatal(err)
		}
		clk.Advance(refresh)
		e3 := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		eventually(t, "the remaining endpoint has the third event", func() bool { return len(second.attempts()) == 2 })
		cancel()
		select {
		case <-ran:
		case <-time.After(30 * time.Second):
			t.Fatal("Run did not return within 30 s of its context ending")
		}
		if got := ids(t, first.attempts(), aSecret); !slices.Equal(got, []string{e1, e2}) {
			t.Errorf("the deleted endpoint received %q, want %q", got, []string{e1, e2})
		}
		if got := ids(t, second.attempts(), bSecret); !slices.Equal(got, []string{e2, e3}) {
			t.Errorf("the later endpoint received %q, want %q", got, []string{e2, e3})
		}
		if d := deliveryOf(t, db, e3, b.Subscriber()); d.State != "delivered" {
			t.Errorf("delivery of %s = %v, want delivered", e3, d)
		}
	})
}

// A secret that does not open (another key-encryption key) fails the
// delivery with a reason that says so and holds nothing secret.
func TestEndpointSecretDoesNotOpen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		rcv, url := listen(t, clk, 0)
		ep, _ := createEndpoint(t, st, clk, url)
		other := outbox.NewEndpoints(outbox.EndpointsOptions{Store: st, Key: bytes.Repeat([]byte{8}, 32), Now: clk.Now, PrivateNetworks: true})
		id := emit(t, st, clk, "auth.test", gatehouse.NewID("authid"))
		if n, err := dispatcher(st, clk, "a", subscribersOf(t, other)...).RunOnce(ctx); err != nil || n != 0 {
			t.Fatalf("RunOnce = %d, %v; want the delivery failed", n, err)
		}
		if len(rcv.attempts()) != 0 {
			t.Fatal("a delivery was sent without a signing secret")
		}
		ds, err := st.Deliveries(ctx, ep.Subscriber(), gatehouse.DeliveryPending, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].EventID != id || ds[0].Attempts != 1 || !strings.Contains(ds[0].LastError, "does not open") {
			t.Fatalf("deliveries = %+v, want one failed attempt saying the secret does not open", ds)
		}
	})
}

// The endpoints' subscribers and options print and log without their keys.
func TestEndpointsRedact(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		st := store.New(db)
		clk := clocktest.New(t0)
		ep, plain := createEndpoint(t, st, clk, "http://127.0.0.1/hook")
		endpoints := newEndpoints(st, clk)
		subs := subscribersOf(t, endpoints)
		if len(subs) != 1 {
			t.Fatalf("%d subscribers, want 1", len(subs))
		}
		var logged bytes.Buffer
		slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "sub", subs[0], "endpoints", endpoints, "options", outbox.EndpointsOptions{Key: endpointKey})
		printed := fmt.Sprintf("%v %+v %#v %v %+v", subs[0], subs[0], endpoints, endpoints, outbox.EndpointsOptions{Key: endpointKey})
		key := strings.TrimPrefix(plain, "whsec_")
		for _, out := range []string{logged.String(), printed} {
			if strings.Contains(out, key[:16]) || strings.Contains(out, "7 7 7") || strings.Contains(out, "BwcHBwcH") {
				t.Fatalf("printed a key: %s", out)
			}
		}
		if !strings.Contains(printed, ep.ID) || !strings.Contains(logged.String(), ep.ID) {
			t.Fatalf("printed %s and logged %s, want the endpoint id in both", printed, logged.String())
		}
	})
}

// A managed endpoint never receives an event's secrets, which the
// configured webhook does: an admin who may manage webhooks cannot point
// one at themselves and collect the reset, verification and invite tokens
// that sign in as someone else. Every name under which the code gives an
// event a secret is tried.
func TestEndpointsGetNoEventSecrets(t *testing.T) {
	names := eventSecretNames(t)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		st := store.New(db)
		clk := clocktest.New(t0)
		managed, managedURL := listen(t, clk, 0)
		configured, configuredURL := listen(t, clk, 0)
		createEndpoint(t, st, clk, managedURL)
		wh, err := outbox.NewWebhook(outbox.WebhookOptions{URL: configuredURL, Secret: "the operator's webhook secret, 32+ chars", Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		secrets := map[string]string{}
		for _, n := range names {
			secrets[n] = "secret-" + n + "-" + rand.Text()
		}
		e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: gatehouse.EventPasswordReset, AuthIdentityID: gatehouse.NewID("authid"),
			ActorType: gatehouse.ActorCustomer, Payload: map[string]any{"email": "ada@example.com"}, CreatedAt: clk.Now()}
		if err := st.AppendEvent(ctx, e, "sealed", []string{wh.Name()}); err != nil {
			t.Fatal(err)
		}
		d := outbox.New(outbox.Options{
			Store: st, Subscribers: append(subscribersOf(t, newEndpoints(st, clk)), wh), Owner: "a", Now: clk.Now,
			Open: func(id, sealed string) (map[string]string, error) {
				if id != e.ID || sealed != "sealed" {
					return nil, fmt.Errorf("opened %s, %q", id, sealed)
				}
				return secrets, nil
			},
			Lease: lease, Renew: 5 * time.Millisecond,
		})
		if n, err := d.RunOnce(ctx); err != nil || n != 2 {
			t.Fatalf("RunOnce = %d, %v; want 2 delivered", n, err)
		}
		got, want := managed.attempts(), configured.attempts()
		if len(got) != 1 || len(want) != 1 {
			t.Fatalf("%d deliveries to the endpoint, %d to the configured webhook; want 1 each", len(got), len(want))
		}
		var m outbox.Message
		if err := json.Unmarshal(got[0].body, &m); err != nil || m.ID != e.ID || m.Data["email"] != "ada@example.com" {
			t.Fatalf("endpoint got %s (%v), want the event with its payload", got[0].body, err)
		}
		for n, v := range secrets {
			if bytes.Contains(got[0].body, []byte(v)) {
				t.Errorf("the managed endpoint received the event's secret %q: %s", n, got[0].body)
			}
			if !bytes.Contains(want[0].body, []byte(v)) {
				t.Errorf("the configured webhook did not receive the event's secret %q: %s", n, want[0].body)
			}
		}
	})
}

// eventSecretNames are the names under which the service gives events a
// secret (gatehouse.Event's Secrets), read from the source: each must be a
// map literal with constant keys, so that a new secret name is tried by
// TestEndpointsGetNoEventSecrets, and fails it until Deliver drops it.
func eventSecretNames(t *testing.T) []string {
	t.Helper()
	var names []string
	fset := token.NewFileSet()
	for _, root := range []string{"../../internal", "../../cmd", "../../graph"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Secrets" {
						names = append(names, literalKeys(t, fset, n.Value)...)
					}
				case *ast.AssignStmt:
					for _, lhs := range n.Lhs {
						if ix, ok := lhs.(*ast.IndexExpr); ok {
							lhs = ix.X
						}
						if sel, ok := lhs.(*ast.SelectorExpr); ok && sel.Sel.Name == "Secrets" {
							t.Errorf("%s: an event's Secrets assigned: give them as a map literal with constant keys", fset.Position(n.Pos()))
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if !slices.Contains(names, "token") {
		t.Fatalf("found the secret names %q, not the reset token's: the walk is broken", names)
	}
	return names
}

func literalKeys(t *testing.T, fset *token.FileSet, v ast.Expr) []string {
	t.Helper()
	lit, ok := v.(*ast.CompositeLit)
	if !ok {
		t.Errorf("%s: an event's Secrets are not a map literal: give them as one, with constant keys", fset.Position(v.Pos()))
		return nil
	}
	var keys []string
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		var k *ast.BasicLit
		if ok {
			k, ok = kv.Key.(*ast.BasicLit)
		}
		if !ok || k.Kind != token.STRING {
			t.Errorf("%s: a key of an event's Secrets is not a string literal", fset.Position(el.Pos()))
			continue
		}
		s, err := strconv.Unquote(k.Value)
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, s)
	}
	return keys
}
