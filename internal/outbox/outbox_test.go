package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// webhookSecret signs TestWebhookDelivery's webhook.
const webhookSecret = "a raw secret of at least 32 characters"

// receiver is a webhook endpoint that fails while failing is set and
// checks every signature, Standard Webhooks' and the legacy one.
type receiver struct {
	t       *testing.T
	clock   *clocktest.Clock
	mu      sync.Mutex
	failing bool
	got     []outbox.Message
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := verifyStandard(webhookSecret, req.Header, body, r.clock.Now()); err != nil {
		r.t.Errorf("%v on %s", err, body)
	}
	if err := verifyLegacy(webhookSecret, req.Header, body, r.clock.Now()); err != nil {
		r.t.Errorf("legacy: %v on %s", err, body)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var m outbox.Message
	if err := json.Unmarshal(body, &m); err != nil {
		r.t.Error(err)
	}
	r.got = append(r.got, m)
}

func (r *receiver) set(failing bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = failing
}

func (r *receiver) types() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.got {
		out = append(out, m.Type)
	}
	return out
}

func TestWebhookDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		st := store.New(db)
		clk := clocktest.New(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
		rcv := &receiver{t: t, clock: clk}
		srv := httptest.NewServer(rcv)
		defer srv.Close()
		w, err := outbox.NewWebhook(outbox.WebhookOptions{URL: srv.URL, Secret: webhookSecret, LegacyHeaders: true, Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		d := outbox.New(outbox.Options{
			Store:       st,
			Subscribers: []outbox.Subscriber{w},
			Open: func(id, sealed string) (map[string]string, error) {
				if sealed == "" {
					return nil, nil
				}
				b, err := secret.Open(key, id, sealed)
				var m map[string]string
				_ = json.Unmarshal(b, &m)
				return m, err
			},
			Now: clk.Now, MaxAttempts: 3, Backoff: time.Second,
		})
		seq := 0
		appendEvent := func(st auth.Store, name, identity string, secrets map[string]string) string {
			seq++
			e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: name, AuthIdentityID: identity,
				ActorType: gatehouse.ActorCustomer, Payload: map[string]any{"seq": seq}, CreatedAt: clk.Now()}
			sealed := ""
			if secrets != nil {
				b, _ := json.Marshal(secrets)
				sealed, _ = secret.Seal(key, e.ID, b)
			}
			if err := st.AppendEvent(ctx, e, sealed, []string{"webhook"}); err != nil {
				t.Fatal(err)
			}
			return e.ID
		}
		first := appendEvent(st, "a.1", "authid_a", map[string]string{"token": "s3cret-token"})
		appendEvent(st, "a.2", "authid_a", nil)
		appendEvent(st, "b.1", "authid_b", nil)
		// An event whose transaction rolls back is never delivered.
		_ = st.Tx(ctx, func(tx auth.Store) error {
			appendEvent(tx, "rolled.back", "authid_c", nil)
			return errors.New("roll back")
		})

		// A failing receiver gets nothing delivered, and order holds.
		t.Run("failing receiver", func(t *testing.T) {
			rcv.set(true)
			if n, err := d.RunOnce(ctx); err != nil || n != 0 {
				t.Fatalf("RunOnce = %d, %v", n, err)
			}
			// Not due yet: the retry waits for its backoff.
			rcv.set(false)
			if n, _ := d.RunOnce(ctx); n != 0 {
				t.Fatalf("delivered %d before the backoff ended", n)
			}
		})
		// After the backoff everything arrives, in order per identity.
		t.Run("after backoff", func(t *testing.T) {
			clk.Advance(2 * time.Second)
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			got := rcv.types()
			if len(got) != 3 || slices.Index(got, "a.1") > slices.Index(got, "a.2") || slices.Contains(got, "rolled.back") {
				t.Fatalf("delivered %v", got)
			}
			if rcv.got[slices.Index(got, "a.1")].Data["token"] != "s3cret-token" {
				t.Error("the secret did not reach the subscriber")
			}
		})
		// Delivered secrets are erased.
		t.Run("delivered secrets", func(t *testing.T) {
			// Deliver what is due (already done when the subtests run in
			// order), so that the subtest runs alone.
			rcv.set(false)
			clk.Advance(2 * time.Second)
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			es, err := st.Events(ctx, "authid_a", "", 10)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(es, func(e *store.StoredEvent) bool { return e.ID == first })
			if i < 0 {
				t.Fatalf("the delivered event %s is not listed among %d", first, len(es))
			}
			if es[i].Sealed != "" {
				t.Fatal("the sealed token outlived its delivery")
			}
		})
		// A dead event no longer blocks later ones.
		t.Run("dead event", func(t *testing.T) {
			appendEvent(st, "c.1", "authid_c", nil)
			appendEvent(st, "c.2", "authid_c", nil)
			rcv.set(true)
			for range 3 {
				_, _ = d.RunOnce(ctx)
				clk.Advance(time.Hour)
			}
			rcv.set(false)
			if _, err := d.RunOnce(ctx); err != nil {
				t.Fatal(err)
			}
			got := rcv.types()
			if slices.Contains(got, "c.1") || !slices.Contains(got, "c.2") {
				t.Fatalf("delivered %v: want c.1 dead and c.2 delivered", got)
			}
			n, err := st.Backlog(ctx)
			if err != nil || n != 0 {
				t.Fatalf("backlog = %d, %v", n, err)
			}
		})
	})
}
