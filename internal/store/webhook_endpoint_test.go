package store_test

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func newEndpoint(url string, events ...string) *gatehouse.WebhookEndpoint {
	if events == nil {
		events = []string{} // as read back
	}
	return &gatehouse.WebhookEndpoint{ID: gatehouse.NewID(gatehouse.PrefixWebhookEndpoint), URL: url, Description: "for " + url,
		Events: events, CreatedAt: t0, UpdatedAt: t0}
}

// mustCreateEndpoint creates e, in a transaction as the service does,
// with a sealed secret of its own.
func mustCreateEndpoint(t *testing.T, s *store.Store, e *gatehouse.WebhookEndpoint) {
	t.Helper()
	ctx := t.Context()
	mustNoError(t, s.Tx(ctx, func(tx auth.Store) error {
		return tx.(*store.Store).CreateWebhookEndpoint(ctx, e, "sealed-"+e.ID)
	}))
}

// appendEvent appends an event named name, of an identity of its own,
// with sealed secrets, and returns its id.
func appendEvent(t *testing.T, s *store.Store, name string, at time.Time) string {
	t.Helper()
	e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: name, AuthIdentityID: newID(), CreatedAt: at}
	mustNoError(t, s.AppendEvent(t.Context(), e, "sealed-secrets", nil))
	return e.ID
}

func subscriberNames(t *testing.T, s *store.Store) []string {
	t.Helper()
	subs, err := s.Subscribers(t.Context())
	mustNoError(t, err)
	var names []string
	for _, x := range subs {
		names = append(names, x.Name)
	}
	return names
}

func sealedOf(t *testing.T, db *store.DB, eventID string) *string {
	t.Helper()
	var sealed *string
	mustNoError(t, db.Bun().NewSelect().TableExpr("auth_event").Column("sealed").Where("id = ?", eventID).Scan(t.Context(), &sealed))
	return sealed
}

// An endpoint is created with its subscriber, read back as written,
// listed, updated and deleted with it; a missing one is NOT_FOUND.
func TestWebhookEndpointLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		a := newEndpoint("https://a.example.com/hook", "auth.login_succeeded", "customer.created")
		b := newEndpoint("https://b.example.com/hook")
		mustCreateEndpoint(t, s, a)
		mustCreateEndpoint(t, s, b)

		t.Run("read", func(t *testing.T) {
			got, err := s.WebhookEndpoint(ctx, a.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, a) {
				t.Fatalf("WebhookEndpoint = %+v, want %+v", got, a)
			}
			got, err = s.WebhookEndpoint(ctx, b.ID)
			mustNoError(t, err)
			if got.Events == nil || len(got.Events) != 0 {
				t.Fatalf("events of an endpoint for all events = %#v, want empty and not nil", got.Events)
			}
		})
		t.Run("list", func(t *testing.T) {
			list, err := s.WebhookEndpoints(ctx)
			mustNoError(t, err)
			if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
				t.Fatalf("WebhookEndpoints = %+v, want a then b", list)
			}
			stored, err := s.StoredWebhookEndpoints(ctx)
			mustNoError(t, err)
			if len(stored) != 2 || stored[0].Sealed != "sealed-"+a.ID || stored[0].PreviousSealed != "" {
				t.Fatalf("StoredWebhookEndpoints = %+v, want a's sealed secret and no previous one", stored)
			}
		})
		t.Run("subscriber", func(t *testing.T) {
			subs, err := s.Subscribers(ctx)
			mustNoError(t, err)
			i := slices.IndexFunc(subs, func(x store.Subscriber) bool { return x.Name == "webhook:"+a.ID })
			if i < 0 || subs[i].Kind != "webhook" || !subs[i].Enabled || subs[i].Config["endpoint_id"] != a.ID {
				t.Fatalf("subscribers = %+v, want an enabled webhook subscriber webhook:%s", subs, a.ID)
			}
		})
		t.Run("update", func(t *testing.T) {
			changed := *a
			changed.URL, changed.Description, changed.Events = "https://a2.example.com/hook", "moved", []string{"auth.login_failed"}
			changed.UpdatedAt = t0.Add(time.Minute)
			mustNoError(t, s.UpdateWebhookEndpoint(ctx, &changed))
			got, err := s.WebhookEndpoint(ctx, a.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(got, &changed) {
				t.Fatalf("after update = %+v, want %+v", got, &changed)
			}
			other, err := s.WebhookEndpoint(ctx, b.ID)
			mustNoError(t, err)
			if !reflect.DeepEqual(other, b) {
				t.Fatalf("the other endpoint = %+v, want it unchanged %+v", other, b)
			}
		})
		t.Run("delete", func(t *testing.T) {
			mustNoError(t, s.DeleteWebhookEndpoint(ctx, a.ID))
			_, err := s.WebhookEndpoint(ctx, a.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			if names := subscriberNames(t, s); slices.Contains(names, "webhook:"+a.ID) || !slices.Contains(names, "webhook:"+b.ID) {
				t.Fatalf("subscribers after delete = %q, want b's only", names)
			}
		})
		t.Run("missing", func(t *testing.T) {
			missing := newEndpoint("https://missing.example.com")
			_, err := s.WebhookEndpoint(ctx, missing.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			wantCode(t, s.UpdateWebhookEndpoint(ctx, missing), gatehouse.CodeNotFound)
			_, err = s.RotateWebhookSecret(ctx, missing.ID, "sealed", t0, t0)
			wantCode(t, err, gatehouse.CodeNotFound)
			wantCode(t, s.DeleteWebhookEndpoint(ctx, missing.ID), gatehouse.CodeNotFound)
			if names := subscriberNames(t, s); slices.Contains(names, "webhook:"+missing.ID) {
				t.Fatalf("an update of a missing endpoint made its subscriber: %q", names)
			}
		})
		t.Run("rolled back", func(t *testing.T) {
			c := newEndpoint("https://c.example.com")
			boom := errors.New("boom")
			err := s.Tx(ctx, func(tx auth.Store) error {
				if err := tx.(*store.Store).CreateWebhookEndpoint(ctx, c, "sealed"); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Tx = %v, want boom", err)
			}
			_, err = s.WebhookEndpoint(ctx, c.ID)
			wantCode(t, err, gatehouse.CodeNotFound)
			if names := subscriberNames(t, s); slices.Contains(names, "webhook:"+c.ID) {
				t.Fatalf("the rolled-back endpoint's subscriber stayed: %q", names)
			}
		})
	})
}

// A rotation makes the new secret current and keeps the one it replaced
// as the previous, until the grace given; a second rotation drops the
// first secret.
func TestRotateWebhookSecret(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		e := newEndpoint("https://a.example.com")
		mustCreateEndpoint(t, s, e)
		for i, c := range []struct {
			name           string
			sealed         string
			wantPrevious   string
			at, graceUntil time.Time
		}{
			{"first rotation", "sealed-2", "sealed-" + e.ID, t0.Add(time.Hour), t0.Add(25 * time.Hour)},
			{"second rotation", "sealed-3", "sealed-2", t0.Add(2 * time.Hour), t0.Add(3 * time.Hour)},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.RotateWebhookSecret(ctx, e.ID, c.sealed, c.graceUntil, c.at)
				mustNoError(t, err)
				if got.SecretRotatedAt == nil || !got.SecretRotatedAt.Equal(c.at) || got.PreviousSecretExpiresAt == nil ||
					!got.PreviousSecretExpiresAt.Equal(c.graceUntil) || !got.UpdatedAt.Equal(c.at) || got.URL != e.URL {
					t.Fatalf("rotation %d = %+v, want rotated at %v, previous until %v", i, got, c.at, c.graceUntil)
				}
				stored, err := s.StoredWebhookEndpoints(ctx)
				mustNoError(t, err)
				if len(stored) != 1 || stored[0].Sealed != c.sealed || stored[0].PreviousSealed != c.wantPrevious {
					t.Fatalf("stored = %+v, want current %q and previous %q", stored, c.sealed, c.wantPrevious)
				}
			})
		}
	})
}

// An event is owed to an endpoint only when its events filter names it or
// is empty; the configured subscribers keep getting every event; a
// changed filter applies to the events written after it.
func TestWebhookEndpointFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		mustNoError(t, s.EnsureSubscribers(ctx, []store.Subscriber{{Name: "webhook", Kind: "webhook"}}, t0))
		logins := newEndpoint("https://logins.example.com", "auth.login_succeeded", "auth.login_failed")
		all := newEndpoint("https://all.example.com")
		mustCreateEndpoint(t, s, logins)
		mustCreateEndpoint(t, s, all)
		sorted := func(names ...string) []string { slices.Sort(names); return names }
		for _, c := range []struct {
			event string
			want  []string
		}{
			{"auth.login_succeeded", sorted("webhook", logins.Subscriber(), all.Subscriber())},
			{"auth.login_failed", sorted("webhook", logins.Subscriber(), all.Subscriber())},
			{"customer.created", sorted("webhook", all.Subscriber())},
			{"auth.login", sorted("webhook", all.Subscriber())},
		} {
			t.Run(c.event, func(t *testing.T) {
				id := appendEvent(t, s, c.event, t0)
				if got := owed(t, db, id); !slices.Equal(got, c.want) {
					t.Fatalf("%s owed to %q, want %q", c.event, got, c.want)
				}
			})
		}
		t.Run("filter changed", func(t *testing.T) {
			before := appendEvent(t, s, "customer.created", t0)
			changed := *logins
			changed.Events = []string{"customer.created"}
			mustNoError(t, s.UpdateWebhookEndpoint(ctx, &changed))
			after := appendEvent(t, s, "customer.created", t0)
			login := appendEvent(t, s, "auth.login_succeeded", t0)
			if got := owed(t, db, before); slices.Contains(got, logins.Subscriber()) {
				t.Fatalf("an event before the change is owed to %q", got)
			}
			if got := owed(t, db, after); !slices.Contains(got, logins.Subscriber()) {
				t.Fatalf("customer.created after the change owed to %q, want the endpoint among them", got)
			}
			if got := owed(t, db, login); slices.Contains(got, logins.Subscriber()) {
				t.Fatalf("auth.login_succeeded after the change owed to %q, want not the endpoint", got)
			}
		})
		t.Run("only a filtered endpoint", func(t *testing.T) {
			// Owed to nobody, the secrets are not kept.
			_, err := s.SetSubscriberEnabled(ctx, "webhook", false, t0)
			mustNoError(t, err)
			mustNoError(t, s.DeleteWebhookEndpoint(ctx, all.ID))
			id := appendEvent(t, s, "auth.login_succeeded", t0)
			if got := owed(t, db, id); len(got) != 0 {
				t.Fatalf("owed to %q, want nobody", got)
			}
			if sealed := sealedOf(t, db, id); sealed != nil {
				t.Fatalf("the secrets of an event owed to nobody were kept")
			}
		})
	})
}

// Deleting an endpoint drops what it is still owed (pending and dead), keeps
// what it was delivered until the retention, and erases the secrets of an
// event nobody else is still owed; other subscribers' deliveries stay.
func TestDeleteWebhookEndpointDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		gone, kept := newEndpoint("https://gone.example.com"), newEndpoint("https://kept.example.com", "auth.kept")
		mustCreateEndpoint(t, s, gone)
		mustCreateEndpoint(t, s, kept)
		pending := appendEvent(t, s, "auth.test", t0)
		dead := appendEvent(t, s, "auth.test", t0)
		delivered := appendEvent(t, s, "auth.test", t0)
		shared := appendEvent(t, s, "auth.kept", t0)
		mustNoError(t, s.Failed(ctx, dead, gone.Subscriber(), "HTTP 500", t0, true, t0))
		mustNoError(t, s.Delivered(ctx, delivered, gone.Subscriber(), t0))

		mustNoError(t, s.DeleteWebhookEndpoint(ctx, gone.ID))
		for _, c := range []struct {
			name, id   string
			want       []string
			wantSealed bool
		}{
			{"pending", pending, nil, false},
			{"dead", dead, nil, false},
			{"delivered", delivered, []string{gone.Subscriber()}, false},
			{"owed to another", shared, []string{kept.Subscriber()}, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := owed(t, db, c.id); !slices.Equal(got, c.want) {
					t.Fatalf("deliveries of the %s event = %q, want %q", c.name, got, c.want)
				}
				if sealed := sealedOf(t, db, c.id); (sealed != nil) != c.wantSealed {
					t.Fatalf("secrets of the %s event kept = %t, want %t", c.name, sealed != nil, c.wantSealed)
				}
			})
		}
		if d := deliveryOf(t, db, shared, kept.Subscriber()); d.State != "pending" {
			t.Fatalf("the other endpoint's delivery = %+v, want pending", d)
		}
	})
}

// Deliveries lists one subscriber's deliveries newest first, by status,
// page by page; a dead one replays.
func TestDeliveries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		e, other := newEndpoint("https://a.example.com"), newEndpoint("https://b.example.com")
		mustCreateEndpoint(t, s, e)
		mustCreateEndpoint(t, s, other)
		var ids []string // oldest first
		for i := range 5 {
			ids = append(ids, appendEvent(t, s, "auth.test", t0.Add(time.Duration(i)*time.Second)))
		}
		sub := e.Subscriber()
		mustNoError(t, s.Delivered(ctx, ids[0], sub, t0.Add(time.Minute)))
		mustNoError(t, s.Failed(ctx, ids[1], sub, "webhook answered HTTP 500", t0.Add(time.Minute), true, t0.Add(time.Minute)))
		mustNoError(t, s.Failed(ctx, ids[3], sub, "webhook unreachable", t0.Add(time.Minute), true, t0.Add(time.Minute)))
		mustNoError(t, s.Delivered(ctx, ids[4], other.Subscriber(), t0))

		eventIDs := func(ds []gatehouse.Delivery) []string {
			out := []string{}
			for _, d := range ds {
				out = append(out, d.EventID)
			}
			return out
		}
		for _, c := range []struct {
			name   string
			status gatehouse.DeliveryStatus
			before string
			limit  int
			want   []string
		}{
			{"all", "", "", 10, []string{ids[4], ids[3], ids[2], ids[1], ids[0]}},
			{"first page", "", "", 2, []string{ids[4], ids[3]}},
			{"next page", "", ids[3], 2, []string{ids[2], ids[1]}},
			{"pending", gatehouse.DeliveryPending, "", 10, []string{ids[4], ids[2]}},
			{"dead", gatehouse.DeliveryDead, "", 10, []string{ids[3], ids[1]}},
			{"dead before", gatehouse.DeliveryDead, ids[3], 10, []string{ids[1]}},
			{"delivered", gatehouse.DeliveryDelivered, "", 10, []string{ids[0]}},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.Deliveries(ctx, sub, c.status, c.before, c.limit)
				mustNoError(t, err)
				if !slices.Equal(eventIDs(got), c.want) {
					t.Fatalf("Deliveries = %q, want %q", eventIDs(got), c.want)
				}
				for _, d := range got {
					if d.Subscriber != sub || !d.Status.Valid() || (c.status != "" && d.Status != c.status) {
						t.Fatalf("delivery %+v: want subscriber %s, status %q", d, sub, c.status)
					}
				}
			})
		}
		t.Run("fields", func(t *testing.T) {
			got, err := s.Deliveries(ctx, sub, gatehouse.DeliveryDead, ids[2], 1)
			mustNoError(t, err)
			want := gatehouse.Delivery{EventID: ids[1], EventName: "auth.test", EventCreatedAt: t0.Add(time.Second), Subscriber: sub,
				Status: gatehouse.DeliveryDead, Attempts: 1, LastError: "webhook answered HTTP 500",
				NextAttemptAt: t0.Add(time.Minute), UpdatedAt: t0.Add(time.Minute)}
			if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
				t.Fatalf("Deliveries = %+v, want %+v", got, want)
			}
		})
		t.Run("replay", func(t *testing.T) {
			mustNoError(t, s.Replay(ctx, ids[1], sub, t0.Add(time.Hour)))
			got, err := s.Deliveries(ctx, sub, gatehouse.DeliveryDead, "", 10)
			mustNoError(t, err)
			if !slices.Equal(eventIDs(got), []string{ids[3]}) {
				t.Fatalf("dead after the replay = %q, want only %s", eventIDs(got), ids[3])
			}
			pending, err := s.Deliveries(ctx, sub, gatehouse.DeliveryPending, ids[2], 10)
			mustNoError(t, err)
			if len(pending) != 1 || pending[0].EventID != ids[1] || pending[0].Attempts != 0 || !pending[0].NextAttemptAt.Equal(t0.Add(time.Hour)) {
				t.Fatalf("pending before %s after the replay = %+v, want %s due at once, no attempts", ids[2], pending, ids[1])
			}
			wantCode(t, s.Replay(ctx, ids[1], sub, t0.Add(time.Hour)), gatehouse.CodeNotFound)
		})
		t.Run("other subscriber", func(t *testing.T) {
			got, err := s.Deliveries(ctx, other.Subscriber(), gatehouse.DeliveryDelivered, "", 10)
			mustNoError(t, err)
			if !slices.Equal(eventIDs(got), []string{ids[4]}) {
				t.Fatalf("the other endpoint's delivered = %q, want %s", eventIDs(got), ids[4])
			}
		})
	})
}
