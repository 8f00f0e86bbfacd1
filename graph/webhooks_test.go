package graph_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	endpointFields    = `id url description events secretRotatedAt previousSecretExpiresAt createdAt updatedAt`
	createEndpointQ   = `mutation($in: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $in) { endpoint { ` + endpointFields + ` } secret errors { code field } } }`
	updateEndpointQ   = `mutation($id: ID!, $in: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $in) { endpoint { ` + endpointFields + ` } secret errors { code field } } }`
	rotateEndpointQ   = `mutation($id: ID!) { rotateWebhookSecret(id: $id) { endpoint { ` + endpointFields + ` } secret errors { code field } } }`
	deleteEndpointQ   = `mutation($id: ID!) { deleteWebhookEndpoint(id: $id) { id deleted errors { code field } } }`
	endpointsQ        = `query($first: Int, $after: String) { webhookEndpoints(first: $first, after: $after) { totalCount nodes { id url } edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage endCursor } } }`
	endpointQ         = `query($id: ID!) { webhookEndpoint(id: $id) { ` + endpointFields + ` } }`
	endpointDeliverQ  = `query($id: ID!, $status: DeliveryStatus, $first: Int, $after: String) { webhookDeliveries(endpointId: $id, status: $status, first: $first, after: $after) { totalCount nodes { eventId eventType status attempts nextAttemptAt } pageInfo { hasNextPage endCursor } } }`
	replayEndpointQ   = `mutation($id: ID!, $e: ID!) { replayWebhookDelivery(endpointId: $id, eventId: $e) { success errors { code field } } }`
	webhookDeliveryTy = "admin.webhook_endpoint_updated"
)

type endpointOut struct {
	ID, URL, CreatedAt, UpdatedAt            string
	Description                              *string
	Events                                   []string
	SecretRotatedAt, PreviousSecretExpiresAt *string
}

type endpointPayload struct {
	Endpoint *endpointOut
	Secret   *string
	Errors   []authError
}

func TestWebhookEndpointsAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)

		var created endpointPayload
		a.do(t, root, createEndpointQ, map[string]any{"in": map[string]any{
			"url": "https://hooks.example.com/gatehouse", "events": []string{"customer.created", "auth.login_succeeded", "customer.created"},
			"description": "  CRM sync  "}}).decode(t, "createWebhookEndpoint", &created)
		if len(created.Errors) > 0 || created.Endpoint == nil {
			t.Fatalf("create: %+v", created.Errors)
		}
		ep := created.Endpoint
		t.Run("created with its secret, shown once", func(t *testing.T) {
			if created.Secret == nil || !strings.HasPrefix(*created.Secret, "whsec_") {
				t.Fatalf("secret %v", created.Secret)
			}
			if !strings.HasPrefix(ep.ID, "whep_") || ep.URL != "https://hooks.example.com/gatehouse" || deref(ep.Description) != "CRM sync" ||
				strings.Join(ep.Events, ",") != "auth.login_succeeded,customer.created" || ep.SecretRotatedAt != nil {
				t.Errorf("endpoint %+v", ep)
			}
			r := a.do(t, root, endpointQ, map[string]any{"id": ep.ID})
			if strings.Contains(string(r.raw), *created.Secret) || strings.Contains(string(r.raw), "sealed") {
				t.Errorf("reading the endpoint shows its secret: %s", r.raw)
			}
			var got endpointOut
			r.decode(t, "webhookEndpoint", &got)
			if got.ID != ep.ID {
				t.Errorf("webhookEndpoint = %+v", got)
			}
			var none *endpointOut
			a.do(t, root, endpointQ, map[string]any{"id": "whep_none"}).decode(t, "webhookEndpoint", &none)
			if none != nil {
				t.Errorf("unknown endpoint = %+v, want null", none)
			}
		})

		t.Run("bad input is INVALID_INPUT, and nothing is created", func(t *testing.T) {
			for _, c := range []struct {
				name, field string
				in          map[string]any
			}{
				{"plain http", "url", map[string]any{"url": "http://hooks.example.com/x"}},
				{"not absolute", "url", map[string]any{"url": "/hooks"}},
				{"user info", "url", map[string]any{"url": "https://user:pw@hooks.example.com/"}},
				{"unknown event", "events", map[string]any{"url": "https://hooks.example.com/y", "events": []string{"customer.exploded"}}},
				{"description too long", "description", map[string]any{"url": "https://hooks.example.com/z", "description": strings.Repeat("d", 501)}},
			} {
				t.Run(c.name, func(t *testing.T) {
					var p endpointPayload
					a.do(t, root, createEndpointQ, map[string]any{"in": c.in}).decode(t, "createWebhookEndpoint", &p)
					e := wantError(t, p.Errors, "INVALID_INPUT")
					if !strings.HasSuffix(strings.Join(e.Field, "."), c.field) || p.Endpoint != nil || p.Secret != nil {
						t.Errorf("%+v", p)
					}
				})
			}
			var list struct{ TotalCount int }
			a.do(t, root, endpointsQ, nil).decode(t, "webhookEndpoints", &list)
			if list.TotalCount != 1 {
				t.Errorf("%d endpoints, want 1", list.TotalCount)
			}
		})

		t.Run("the list is a connection, oldest first", func(t *testing.T) {
			var second endpointPayload
			a.do(t, root, createEndpointQ, map[string]any{"in": map[string]any{"url": "https://hooks.example.com/second"}}).decode(t, "createWebhookEndpoint", &second)
			if len(second.Errors) > 0 {
				t.Fatal(second.Errors)
			}
			type page struct {
				TotalCount int
				Nodes      []struct{ ID, URL string }
				PageInfo   struct {
					HasNextPage, HasPreviousPage bool
					EndCursor                    *string
				}
			}
			var p1, p2 page
			a.do(t, root, endpointsQ, map[string]any{"first": 1}).decode(t, "webhookEndpoints", &p1)
			if p1.TotalCount != 2 || len(p1.Nodes) != 1 || p1.Nodes[0].ID != ep.ID || !p1.PageInfo.HasNextPage || p1.PageInfo.HasPreviousPage {
				t.Fatalf("first page %+v", p1)
			}
			a.do(t, root, endpointsQ, map[string]any{"first": 1, "after": *p1.PageInfo.EndCursor}).decode(t, "webhookEndpoints", &p2)
			if len(p2.Nodes) != 1 || p2.Nodes[0].ID != second.Endpoint.ID || p2.PageInfo.HasNextPage || !p2.PageInfo.HasPreviousPage {
				t.Fatalf("second page %+v", p2)
			}
			var del struct {
				Deleted bool
				Errors  []authError
			}
			a.do(t, root, deleteEndpointQ, map[string]any{"id": second.Endpoint.ID}).decode(t, "deleteWebhookEndpoint", &del)
			if !del.Deleted || len(del.Errors) > 0 {
				t.Fatalf("delete: %+v", del)
			}
			a.do(t, root, deleteEndpointQ, map[string]any{"id": second.Endpoint.ID}).decode(t, "deleteWebhookEndpoint", &del)
			wantError(t, del.Errors, "NOT_FOUND")
		})

		t.Run("update changes what is given and keeps the rest", func(t *testing.T) {
			var p endpointPayload
			a.do(t, root, updateEndpointQ, map[string]any{"id": ep.ID, "in": map[string]any{"events": []string{}, "description": nil}}).decode(t, "updateWebhookEndpoint", &p)
			if len(p.Errors) > 0 || p.Endpoint == nil || len(p.Endpoint.Events) != 0 || p.Endpoint.Description != nil || p.Endpoint.URL != ep.URL || p.Secret != nil {
				t.Fatalf("update: %+v", p)
			}
			a.do(t, root, updateEndpointQ, map[string]any{"id": "whep_none", "in": map[string]any{"description": "x"}}).decode(t, "updateWebhookEndpoint", &p)
			wantError(t, p.Errors, "NOT_FOUND")
		})

		t.Run("rotation returns a new secret and keeps the old one signing for a while", func(t *testing.T) {
			var p endpointPayload
			a.do(t, root, rotateEndpointQ, map[string]any{"id": ep.ID}).decode(t, "rotateWebhookSecret", &p)
			if len(p.Errors) > 0 || p.Secret == nil || *p.Secret == *created.Secret || p.Endpoint.SecretRotatedAt == nil || p.Endpoint.PreviousSecretExpiresAt == nil {
				t.Fatalf("rotate: %+v", p)
			}
		})

		t.Run("deliveries list what the endpoint is owed; only a dead one replays", func(t *testing.T) {
			type deliveries struct {
				TotalCount int
				Nodes      []struct {
					EventID, EventType, Status string
					Attempts                   int
					NextAttemptAt              *string
				}
				PageInfo struct {
					HasNextPage bool
					EndCursor   *string
				}
			}
			// Since the update the endpoint takes every event: the
			// rotation's is owed to it.
			var d deliveries
			a.do(t, root, endpointDeliverQ, map[string]any{"id": ep.ID, "status": "PENDING", "first": 1}).decode(t, "webhookDeliveries", &d)
			if d.TotalCount < 1 || len(d.Nodes) != 1 || d.Nodes[0].Status != "PENDING" || d.Nodes[0].NextAttemptAt == nil || d.Nodes[0].EventType != "admin.webhook_secret_rotated" {
				t.Fatalf("pending deliveries %+v", d)
			}
			var rp struct {
				Success bool
				Errors  []authError
			}
			a.do(t, root, replayEndpointQ, map[string]any{"id": ep.ID, "e": d.Nodes[0].EventID}).decode(t, "replayWebhookDelivery", &rp)
			if e := wantError(t, rp.Errors, "NOT_FOUND"); rp.Success || strings.Join(e.Field, ".") != "eventId" {
				t.Errorf("replaying a pending delivery: %+v", rp)
			}
			var dead deliveries
			a.do(t, root, endpointDeliverQ, map[string]any{"id": ep.ID, "status": "DEAD"}).decode(t, "webhookDeliveries", &dead)
			if dead.TotalCount != 0 || len(dead.Nodes) != 0 {
				t.Errorf("dead deliveries %+v", dead)
			}
			e := a.do(t, root, endpointDeliverQ, map[string]any{"id": "whep_none"}).topLevel(t)
			if e.Extensions["code"] != "NOT_FOUND" {
				t.Errorf("deliveries of an unknown endpoint: %+v", e)
			}
		})

		t.Run("every change is in the audit trail, without the secret", func(t *testing.T) {
			var log struct {
				Nodes []struct {
					Type string
					Data map[string]any
				}
			}
			r := a.do(t, root, `query($s: ID) { auditLog(first: 20, filter: {subjectId: $s}) { nodes { type data } } }`, map[string]any{"s": ep.ID})
			if strings.Contains(string(r.raw), *created.Secret) {
				t.Fatalf("the audit trail holds the secret: %s", r.raw)
			}
			r.decode(t, "auditLog", &log)
			var types []string
			for _, n := range log.Nodes {
				types = append(types, n.Type)
			}
			got := strings.Join(types, ",")
			for _, want := range []string{"admin.webhook_endpoint_created", webhookDeliveryTy, "admin.webhook_secret_rotated"} {
				if !strings.Contains(got, want) {
					t.Errorf("audit trail %s lacks %s", got, want)
				}
			}
		})
	})
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
