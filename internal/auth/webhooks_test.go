package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// webhookKey seals the endpoints' secrets in these tests.
var webhookKey = bytes.Repeat([]byte{9}, 32)

// webhookAdmin creates an admin user (an owner, as the command line makes
// them), gives them roles instead when there are any, signs them in and
// returns what Authorize makes of their token.
func webhookAdmin(t *testing.T, ctx context.Context, env *authtest.Env, email string, roles ...string) *auth.Admin {
	t.Helper()
	const pw = "correct horse battery staple"
	id, err := env.Service.CreateAccount(ctx, gatehouse.ActorUser, auth.Account{Email: email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) > 0 {
		if err := env.Store.SetUserRoles(ctx, id, roles, env.Clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	a, err := env.Service.Authenticate(ctx, auth.Credential{}, gatehouse.ActorUser, gatehouse.ProviderEmailPass, auth.PasswordCredentials{Email: ptr(email), Password: ptr(pw)})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := env.Service.Authorize(ctx, auth.Credential{Bearer: a.Ticket.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	return adm
}

// wantFieldError fails unless err is code on field.
func wantFieldError(t *testing.T, err error, code gatehouse.Code, field ...string) {
	t.Helper()
	e := gatehouse.AsError(err)
	if e == nil || e.Code != code || !slices.Equal(e.Field, field) {
		t.Fatalf("err = %v (%+v), want %s on %q", err, e, code, field)
	}
}

// storedEndpoint is the endpoint id as stored, secrets sealed.
func storedEndpoint(t *testing.T, ctx context.Context, st *store.Store, id string) *store.StoredWebhookEndpoint {
	t.Helper()
	all, err := st.StoredWebhookEndpoints(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("endpoint %s is not stored", id)
	return nil
}

// opens fails unless sealed opens, for the endpoint id, to plain.
func opens(t *testing.T, id, sealed, plain string) {
	t.Helper()
	got, err := secret.OpenWebhookSecret(webhookKey, id, sealed)
	if err != nil || got != plain {
		t.Fatalf("the sealed secret opens to %q, %v; want the secret returned", got, err)
	}
}

// An owner creates, lists, updates, rotates and deletes an endpoint,
// lists and replays its deliveries; each change is recorded with who did
// it, on which endpoint, and no secret.
func TestWebhookEndpoints(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := authtest.New(t, db, func(o *auth.Options) { o.WebhookKey = webhookKey })
		owner := webhookAdmin(t, ctx, env, "owner@example.com")
		svc := env.Service

		e, sec, err := svc.CreateWebhookEndpoint(ctx, owner, auth.WebhookInput{
			URL:         "https://hooks.example.com/gatehouse?key=receiver-own-token",
			Events:      []string{gatehouse.EventLoginSucceeded, gatehouse.EventCustomerCreated, gatehouse.EventLoginSucceeded},
			Description: ptr("  CRM sync  "),
		})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sec, "whsec_") || !gatehouse.HasPrefix(e.ID, gatehouse.PrefixWebhookEndpoint) {
			t.Fatalf("created %s with secret %q, want a whep_ id and a whsec_ secret", e.ID, sec)
		}
		if want := []string{gatehouse.EventLoginSucceeded, gatehouse.EventCustomerCreated}; !slices.Equal(e.Events, want) || e.Description != "CRM sync" {
			t.Fatalf("created with events %q and description %q, want %q and %q", e.Events, e.Description, want, "CRM sync")
		}
		opens(t, e.ID, storedEndpoint(t, ctx, env.Store, e.ID).Sealed, sec)
		list, err := svc.WebhookEndpoints(ctx, owner)
		if err != nil || len(list) != 1 || list[0].ID != e.ID || list[0].URL != e.URL {
			t.Fatalf("WebhookEndpoints = %+v, %v; want the endpoint created", list, err)
		}
		if got, err := svc.WebhookEndpoint(ctx, owner, e.ID); err != nil || got == nil || got.ID != e.ID {
			t.Fatalf("WebhookEndpoint = %+v, %v", got, err)
		}
		if got, err := svc.WebhookEndpoint(ctx, owner, "whep_none"); err != nil || got != nil {
			t.Fatalf("WebhookEndpoint of none = %+v, %v; want nil, nil", got, err)
		}

		env.Clock.Advance(time.Minute)
		e, err = svc.UpdateWebhookEndpoint(ctx, owner, e.ID, auth.WebhookChange{
			URL: gatehouse.Some(ptr("https://hooks.example.com/v2")), Events: gatehouse.Some([]string(nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		if e.URL != "https://hooks.example.com/v2" || len(e.Events) != 0 || e.Description != "CRM sync" || !e.UpdatedAt.Equal(env.Clock.Now()) {
			t.Fatalf("updated to %+v, want the new URL, every event, the description kept", e)
		}
		if e, err = svc.UpdateWebhookEndpoint(ctx, owner, e.ID, auth.WebhookChange{Description: gatehouse.Some[*string](nil)}); err != nil || e.Description != "" {
			t.Fatalf("clearing the description: %+v, %v", e, err)
		}
		if got, _ := svc.WebhookEndpoint(ctx, owner, e.ID); got.URL != "https://hooks.example.com/v2" || len(got.Events) != 0 {
			t.Fatalf("read back %+v, want the update stored", got)
		}
		_, err = svc.UpdateWebhookEndpoint(ctx, owner, e.ID, auth.WebhookChange{URL: gatehouse.Some[*string](nil)})
		wantFieldError(t, err, gatehouse.CodeInvalidInput, "input", "url")
		_, err = svc.UpdateWebhookEndpoint(ctx, owner, e.ID, auth.WebhookChange{Events: gatehouse.Some([]string{"auth.nope"})})
		wantFieldError(t, err, gatehouse.CodeInvalidInput, "input", "events")
		_, err = svc.UpdateWebhookEndpoint(ctx, owner, "whep_none", auth.WebhookChange{})
		wantFieldError(t, err, gatehouse.CodeNotFound, "id")

		env.Clock.Advance(time.Minute)
		rotated, sec2, err := svc.RotateWebhookSecret(ctx, owner, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := env.Clock.Now()
		if !strings.HasPrefix(sec2, "whsec_") || sec2 == sec {
			t.Fatalf("rotated to %q, want a new whsec_ secret", sec2)
		}
		if rotated.SecretRotatedAt == nil || !rotated.SecretRotatedAt.Equal(now) ||
			rotated.PreviousSecretExpiresAt == nil || !rotated.PreviousSecretExpiresAt.Equal(now.Add(24*time.Hour)) {
			t.Fatalf("rotated at %v, previous secret until %v; want now and a day later", rotated.SecretRotatedAt, rotated.PreviousSecretExpiresAt)
		}
		stored := storedEndpoint(t, ctx, env.Store, e.ID)
		opens(t, e.ID, stored.Sealed, sec2)
		opens(t, e.ID, stored.PreviousSealed, sec)
		_, _, err = svc.RotateWebhookSecret(ctx, owner, "whep_none")
		wantFieldError(t, err, gatehouse.CodeNotFound, "id")

		// Since the update, every event is owed to the endpoint: its own
		// update and rotation are.
		p, err := svc.WebhookDeliveries(ctx, owner, e.ID, gatehouse.DeliveryPending, "", 1)
		ds := p.Deliveries
		if err != nil || len(ds) != 1 || !p.HasNext || ds[0].EventName != gatehouse.EventWebhookSecretRotated || ds[0].Subscriber != e.Subscriber() {
			t.Fatalf("WebhookDeliveries = %+v, %v; want the rotation's and more", p, err)
		}
		if all, err := svc.WebhookDeliveries(ctx, owner, e.ID, gatehouse.DeliveryPending, "", 100); err != nil || all.Total != p.Total || len(all.Deliveries) != p.Total || all.HasNext {
			t.Fatalf("every pending delivery = %+v, %v; want the %d counted", all, err, p.Total)
		}
		_, err = svc.WebhookDeliveries(ctx, owner, "whep_none", "", "", 0)
		wantFieldError(t, err, gatehouse.CodeNotFound, "endpointId")
		_, err = svc.WebhookDeliveries(ctx, owner, e.ID, "lost", "", 0)
		wantFieldError(t, err, gatehouse.CodeInvalidInput, "status")

		// A pending delivery is not replayed; a dead one is.
		err = svc.ReplayWebhookDelivery(ctx, owner, e.ID, ds[0].EventID)
		wantFieldError(t, err, gatehouse.CodeNotFound, "eventId")
		deadID := killDelivery(t, ctx, env, e.Subscriber())
		if dead, err := svc.WebhookDeliveries(ctx, owner, e.ID, gatehouse.DeliveryDead, "", 0); err != nil || len(dead.Deliveries) != 1 || dead.Total != 1 {
			t.Fatalf("dead deliveries = %+v, %v; want the one set aside", dead, err)
		}
		if err := svc.ReplayWebhookDelivery(ctx, owner, e.ID, deadID); err != nil {
			t.Fatal(err)
		}
		if dead, err := svc.WebhookDeliveries(ctx, owner, e.ID, gatehouse.DeliveryDead, "", 0); err != nil || len(dead.Deliveries) != 0 || dead.Total != 0 {
			t.Fatalf("dead deliveries after the replay = %+v, %v; want none", dead, err)
		}
		err = svc.ReplayWebhookDelivery(ctx, owner, "whep_none", deadID)
		wantFieldError(t, err, gatehouse.CodeNotFound, "endpointId")

		if err := svc.DeleteWebhookEndpoint(ctx, owner, e.ID); err != nil {
			t.Fatal(err)
		}
		if list, err := svc.WebhookEndpoints(ctx, owner); err != nil || len(list) != 0 {
			t.Fatalf("after the delete: %+v, %v", list, err)
		}
		wantFieldError(t, svc.DeleteWebhookEndpoint(ctx, owner, e.ID), gatehouse.CodeNotFound, "id")

		// The audit trail: each change, by the owner, on the endpoint (the
		// replay on the event), never with a secret or the URL's query.
		types := []string{gatehouse.EventWebhookEndpointCreated, gatehouse.EventWebhookEndpointUpdated,
			gatehouse.EventWebhookSecretRotated, gatehouse.EventDeliveryReplayed, gatehouse.EventWebhookEndpointDeleted}
		evs, err := env.Store.AuditLog(ctx, gatehouse.AuditFilter{Types: types}, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, ev := range evs {
			count[ev.Name]++
			subject := e.ID
			if ev.Name == gatehouse.EventDeliveryReplayed {
				subject = deadID
			}
			if ev.ActorID != owner.UserID() || ev.ActorKind != gatehouse.ActorUser || ev.SubjectID != subject {
				t.Errorf("%s by %s %q on %q, want by the owner %q on %q", ev.Name, ev.ActorKind, ev.ActorID, ev.SubjectID, owner.UserID(), subject)
			}
			payload, _ := json.Marshal(ev.Payload)
			for _, s := range []string{sec, sec2, strings.TrimPrefix(sec, "whsec_"), strings.TrimPrefix(sec2, "whsec_"), "receiver-own-token"} {
				if strings.Contains(string(payload), s) {
					t.Errorf("%s records %s", ev.Name, payload)
				}
			}
		}
		want := map[string]int{gatehouse.EventWebhookEndpointCreated: 1, gatehouse.EventWebhookEndpointUpdated: 2,
			gatehouse.EventWebhookSecretRotated: 1, gatehouse.EventDeliveryReplayed: 1, gatehouse.EventWebhookEndpointDeleted: 1}
		for name, n := range want {
			if count[name] != n {
				t.Errorf("%d %s events, want %d (all: %v)", count[name], name, n, count)
			}
		}
	})
}

// killDelivery sets the first delivery due to subscriber aside as dead, as
// the dispatcher does after too many failures, and returns its event id.
func killDelivery(t *testing.T, ctx context.Context, env *authtest.Env, subscriber string) string {
	t.Helper()
	now := env.Clock.Now()
	due, err := env.Store.ClaimDue(ctx, subscriber, "test", now, time.Minute, 1)
	if err != nil || len(due) != 1 {
		t.Fatalf("ClaimDue = %d, %v; want a delivery due to %s", len(due), err, subscriber)
	}
	id := due[0].Event.ID
	if ok, err := env.Store.FailedLeased(ctx, id, subscriber, "test", "refused", now, true, now); err != nil || !ok {
		t.Fatalf("FailedLeased = %t, %v", ok, err)
	}
	return id
}

// What createWebhookEndpoint refuses, on the field at fault, and the
// loopback URLs it lets a developer use over http.
func TestWebhookEndpointInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := authtest.New(t, db, func(o *auth.Options) { o.WebhookPrivateNetworks = true }) // as in development
		owner := webhookAdmin(t, ctx, env, "owner@example.com")
		for _, tc := range []struct {
			name  string
			in    auth.WebhookInput
			field string // "" when accepted
		}{
			{"https", auth.WebhookInput{URL: "https://hooks.example.com/in?x=1"}, ""},
			{"localhost over http", auth.WebhookInput{URL: "http://localhost:8080/hook"}, ""},
			{"127.0.0.1 over http", auth.WebhookInput{URL: "http://127.0.0.1/hook"}, ""},
			{"::1 over http", auth.WebhookInput{URL: "http://[::1]:9000/hook"}, ""},
			{"every event by name", auth.WebhookInput{URL: "https://a.example.com", Events: gatehouse.EventNames()}, ""},
			{"500-character description", auth.WebhookInput{URL: "https://a.example.com", Description: ptr(strings.Repeat("é", 500))}, ""},
			{"no URL", auth.WebhookInput{}, "url"},
			{"http elsewhere", auth.WebhookInput{URL: "http://hooks.example.com/hook"}, "url"},
			{"http to a name that starts like localhost", auth.WebhookInput{URL: "http://localhost.example.com/hook"}, "url"},
			{"another scheme", auth.WebhookInput{URL: "ftp://hooks.example.com/hook"}, "url"},
			{"relative", auth.WebhookInput{URL: "/hook"}, "url"},
			{"no host", auth.WebhookInput{URL: "https:///hook"}, "url"},
			{"opaque", auth.WebhookInput{URL: "https:hooks.example.com"}, "url"},
			{"user info", auth.WebhookInput{URL: "https://user:pw@hooks.example.com/hook"}, "url"},
			{"user name only", auth.WebhookInput{URL: "https://user@hooks.example.com/hook"}, "url"},
			{"fragment", auth.WebhookInput{URL: "https://hooks.example.com/hook#part"}, "url"},
			{"empty fragment", auth.WebhookInput{URL: "https://hooks.example.com/hook#"}, "url"},
			{"space", auth.WebhookInput{URL: "https://hooks.example.com/a hook"}, "url"},
			{"too long", auth.WebhookInput{URL: "https://hooks.example.com/" + strings.Repeat("a", 2049-len("https://hooks.example.com/"))}, "url"},
			{"unknown event", auth.WebhookInput{URL: "https://a.example.com", Events: []string{gatehouse.EventLoginFailed, "auth.everything"}}, "events"},
			{"empty event name", auth.WebhookInput{URL: "https://a.example.com", Events: []string{""}}, "events"},
			{"501-character description", auth.WebhookInput{URL: "https://a.example.com", Description: ptr(strings.Repeat("é", 501))}, "description"},
			{"control character in description", auth.WebhookInput{URL: "https://a.example.com", Description: ptr("a\x00b")}, "description"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e, sec, err := env.Service.CreateWebhookEndpoint(ctx, owner, tc.in)
				if tc.field != "" {
					wantFieldError(t, err, gatehouse.CodeInvalidInput, "input", tc.field)
					return
				}
				if err != nil || e == nil || sec == "" {
					t.Fatalf("CreateWebhookEndpoint = %+v, %q, %v; want it created", e, sec, err)
				}
			})
		}
		// 2048 bytes is long enough.
		long := "https://hooks.example.com/" + strings.Repeat("a", 2048-len("https://hooks.example.com/"))
		if _, _, err := env.Service.CreateWebhookEndpoint(ctx, owner, auth.WebhookInput{URL: long}); err != nil {
			t.Fatalf("a 2048-byte URL: %v", err)
		}
	})
}

// In production (no private networks) a URL to this machine or to a
// literal address beside it is refused at once; a public one is taken.
func TestWebhookEndpointPublicOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := authtest.New(t, db)
		owner := webhookAdmin(t, ctx, env, "owner@example.com")
		for _, tc := range []struct {
			url    string
			public bool
		}{
			{"https://hooks.example.com/in", true},
			{"https://93.184.215.14/in", true},
			{"http://localhost:8080/hook", false},
			{"https://api.localhost/hook", false},
			{"http://127.0.0.1/hook", false},
			{"https://[::1]/hook", false},
			{"https://10.0.0.7/hook", false},
			{"https://169.254.169.254/latest/meta-data", false},
			{"https://[fd00:ec2::254]/", false},
			{"https://[::ffff:192.168.0.1]/", false},
		} {
			t.Run(tc.url, func(t *testing.T) {
				_, _, err := env.Service.CreateWebhookEndpoint(ctx, owner, auth.WebhookInput{URL: tc.url})
				if tc.public {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				wantFieldError(t, err, gatehouse.CodeInvalidInput, "input", "url")
			})
		}
	})
}

// An admin without MANAGE_WEBHOOKS (a viewer) can do none of it.
func TestWebhookEndpointsForbidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		env := authtest.New(t, db)
		owner := webhookAdmin(t, ctx, env, "owner@example.com")
		viewer := webhookAdmin(t, ctx, env, "viewer@example.com", gatehouse.RoleViewer)
		svc := env.Service
		e, _, err := svc.CreateWebhookEndpoint(ctx, owner, auth.WebhookInput{URL: "https://hooks.example.com"})
		if err != nil {
			t.Fatal(err)
		}
		for name, call := range map[string]func() error{
			"create": func() error {
				_, _, err := svc.CreateWebhookEndpoint(ctx, viewer, auth.WebhookInput{URL: "https://evil.example.com"})
				return err
			},
			"list":   func() error { _, err := svc.WebhookEndpoints(ctx, viewer); return err },
			"get":    func() error { _, err := svc.WebhookEndpoint(ctx, viewer, e.ID); return err },
			"update": func() error { _, err := svc.UpdateWebhookEndpoint(ctx, viewer, e.ID, auth.WebhookChange{}); return err },
			"rotate": func() error { _, _, err := svc.RotateWebhookSecret(ctx, viewer, e.ID); return err },
			"delete": func() error { return svc.DeleteWebhookEndpoint(ctx, viewer, e.ID) },
			"deliveries": func() error {
				_, err := svc.WebhookDeliveries(ctx, viewer, e.ID, "", "", 0)
				return err
			},
			"replay": func() error { return svc.ReplayWebhookDelivery(ctx, viewer, e.ID, "evt_none") },
		} {
			t.Run(name, func(t *testing.T) {
				if err := call(); gatehouse.ErrorCode(err) != gatehouse.CodeForbidden {
					t.Fatalf("err = %v, want FORBIDDEN", err)
				}
			})
		}
		if list, err := svc.WebhookEndpoints(ctx, owner); err != nil || len(list) != 1 || list[0].URL != "https://hooks.example.com" {
			t.Fatalf("after the viewer's attempts: %+v, %v; want the endpoint as it was", list, err)
		}
	})
}
