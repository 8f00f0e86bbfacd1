package graph

import (
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/graph/model"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
)

// page is a connection's arguments.
func page(first *int, after *string, last *int, before *string) gatehouse.Page {
	return gatehouse.Page{First: deref(first), After: deref(after), Last: deref(last), Before: deref(before)}
}

// pageInfo is a page's position, from its cursors.
func pageInfo(cursors []string, hasNext, hasPrevious bool) *model.PageInfo {
	pi := &model.PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrevious}
	if len(cursors) > 0 {
		pi.StartCursor, pi.EndCursor = &cursors[0], &cursors[len(cursors)-1]
	}
	return pi
}

// connect maps a page of items to a connection's nodes and edges, each
// edge's cursor the item's, and returns the cursors for pageInfo.
func connect[T, N, E any](items []T, cursor func(T) string, node func(T) N, edge func(string, N) E) ([]N, []E, []string) {
	nodes, edges, cursors := make([]N, 0, len(items)), make([]E, 0, len(items)), make([]string, 0, len(items))
	for _, it := range items {
		n, c := node(it), cursor(it)
		nodes, edges, cursors = append(nodes, n), append(edges, edge(c, n)), append(cursors, c)
	}
	return nodes, edges, cursors
}

// edgesOf pairs nodes with their cursors as edges.
func edgesOf[N, E any](nodes []N, cursors []string, edge func(string, N) E) []E {
	out := make([]E, len(nodes))
	for i, n := range nodes {
		out[i] = edge(cursors[i], n)
	}
	return out
}

// orEmpty is xs, or an empty list for nil: a connection's lists are
// never null.
func orEmpty[T any](xs []T) []T {
	if xs == nil {
		return []T{}
	}
	return xs
}

func userConnection(p gatehouse.UserPage) *model.UserConnection {
	edge := func(c string, n *gatehouse.User) *model.UserEdge { return &model.UserEdge{Cursor: c, Node: n} }
	return &model.UserConnection{Nodes: orEmpty(p.Users), Edges: edgesOf(p.Users, p.Cursors, edge),
		PageInfo: pageInfo(p.Cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
}

func inviteConnection(p gatehouse.InvitePage) *model.InviteConnection {
	edge := func(c string, n *gatehouse.Invite) *model.InviteEdge { return &model.InviteEdge{Cursor: c, Node: n} }
	return &model.InviteConnection{Nodes: orEmpty(p.Invites), Edges: edgesOf(p.Invites, p.Cursors, edge),
		PageInfo: pageInfo(p.Cursors, p.HasNext, false), TotalCount: p.Total}
}

func customerConnection(p gatehouse.CustomerPage) *model.CustomerConnection {
	edge := func(c string, n *gatehouse.Customer) *model.CustomerEdge {
		return &model.CustomerEdge{Cursor: c, Node: n}
	}
	return &model.CustomerConnection{Nodes: orEmpty(p.Customers), Edges: edgesOf(p.Customers, p.Cursors, edge),
		PageInfo: pageInfo(p.Cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
}

func auditConnection(es []gatehouse.Event, more bool, after string, total int) *model.AuditEventConnection {
	nodes, edges, cursors := connect(es, func(e gatehouse.Event) string { return e.ID }, auditEvent,
		func(c string, n *model.AuditEvent) *model.AuditEventEdge {
			return &model.AuditEventEdge{Cursor: c, Node: n}
		})
	return &model.AuditEventConnection{Nodes: nodes, Edges: edges, PageInfo: pageInfo(cursors, more, after != ""), TotalCount: total}
}

func auditEvent(e gatehouse.Event) *model.AuditEvent {
	out := &model.AuditEvent{ID: e.ID, Type: e.Name, CreatedAt: e.CreatedAt, Data: e.Payload,
		ActorID: nonEmpty(e.ActorID), SubjectID: nonEmpty(e.SubjectID), SessionID: nonEmpty(e.SessionID),
		IP: nonEmpty(e.Origin.IP), UserAgent: nonEmpty(e.Origin.UserAgent), RequestID: nonEmpty(e.Origin.RequestID)}
	if e.ActorKind != "" {
		k := e.ActorKind
		out.ActorType = &k
	}
	if out.Data == nil {
		out.Data = map[string]any{}
	}
	return out
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func userFilter(f *model.UserFilter) gatehouse.UserFilter {
	if f == nil {
		return gatehouse.UserFilter{}
	}
	return gatehouse.UserFilter{Search: deref(f.Search.Value()), RoleID: deref(f.RoleID.Value()), Status: deref(f.Status.Value())}
}

func customerFilter(f *model.CustomerFilter) gatehouse.CustomerFilter {
	if f == nil {
		return gatehouse.CustomerFilter{}
	}
	return gatehouse.CustomerFilter{
		Search: deref(f.Search.Value()), CreatedAfter: f.CreatedAfter.Value(), CreatedBefore: f.CreatedBefore.Value(),
		IsLocked: f.IsLocked.Value(), IsActive: f.IsActive.Value(), EmailVerified: f.EmailVerified.Value(),
		HasAccount: f.HasAccount.Value(), IsAnonymous: f.IsAnonymous.Value(),
	}
}

func customerOrder(o *model.CustomerOrder) gatehouse.CustomerOrder {
	if o == nil {
		return gatehouse.CustomerOrder{}
	}
	return gatehouse.CustomerOrder{Field: o.Field, Desc: deref(o.Direction.Value()) == model.OrderDirectionDesc}
}

func auditFilter(f *model.AuditFilter) gatehouse.AuditFilter {
	if f == nil {
		return gatehouse.AuditFilter{}
	}
	var from, to *time.Time = f.From.Value(), f.To.Value()
	return gatehouse.AuditFilter{ActorID: deref(f.ActorID.Value()), SubjectID: deref(f.SubjectID.Value()), Types: f.Types.Value(), From: from, To: to}
}

func userChange(in model.UpdateUserInput) auth.UserChange {
	return auth.UserChange{FirstName: opt(in.FirstName), LastName: opt(in.LastName), AvatarURL: opt(in.AvatarURL), Metadata: opt(in.Metadata), RoleIDs: opt(in.RoleIds)}
}

func adminCustomerFields(in model.UpdateCustomerAsAdminInput) auth.AdminCustomerFields {
	f := auth.AdminCustomerFields{
		CustomerFields: auth.CustomerFields{
			FirstName: opt(in.FirstName), LastName: opt(in.LastName), CompanyName: opt(in.CompanyName), Phone: opt(in.Phone),
			AcceptsMarketing: opt(in.AcceptsMarketing), LocaleCode: opt(in.LocaleCode), Metadata: opt(in.Metadata),
		},
		AccountType: opt(in.AccountType), CustomerSet: opt(in.CustomerSet), ExternalID: opt(in.ExternalID), TaxID: opt(in.TaxID),
		TaxExempt: opt(in.TaxExempt),
	}
	if attrs, ok := in.Attributes.ValueOK(); ok {
		list := make([]gatehouse.CustomerAttribute, 0, len(attrs))
		for _, a := range attrs {
			list = append(list, *a)
		}
		f.Attributes = gatehouse.Some(list)
	}
	return f
}

func webhookEndpointConnection(p gatehouse.WebhookEndpointPage) *model.WebhookEndpointConnection {
	nodes, edges, cursors := connect(p.Endpoints, func(e *gatehouse.WebhookEndpoint) string { return e.ID }, webhookEndpoint,
		func(c string, n *model.WebhookEndpoint) *model.WebhookEndpointEdge {
			return &model.WebhookEndpointEdge{Cursor: c, Node: n}
		})
	return &model.WebhookEndpointConnection{Nodes: nodes, Edges: edges, PageInfo: pageInfo(cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
}

func webhookEndpoint(e *gatehouse.WebhookEndpoint) *model.WebhookEndpoint {
	if e == nil {
		return nil
	}
	return &model.WebhookEndpoint{ID: e.ID, URL: e.URL, Description: nonEmpty(e.Description), Events: e.Events,
		SecretRotatedAt: e.SecretRotatedAt, PreviousSecretExpiresAt: e.PreviousSecretExpiresAt, CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt}
}

func webhookDeliveryConnection(p gatehouse.DeliveryPage) *model.WebhookDeliveryConnection {
	nodes, edges, cursors := connect(p.Deliveries, func(d gatehouse.Delivery) string { return d.EventID }, webhookDelivery,
		func(c string, n *model.WebhookDelivery) *model.WebhookDeliveryEdge {
			return &model.WebhookDeliveryEdge{Cursor: c, Node: n}
		})
	return &model.WebhookDeliveryConnection{Nodes: nodes, Edges: edges, PageInfo: pageInfo(cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
}

func webhookDelivery(d gatehouse.Delivery) *model.WebhookDelivery {
	n := &model.WebhookDelivery{EventID: d.EventID, EventType: d.EventName, EventCreatedAt: d.EventCreatedAt,
		Status: model.DeliveryStatus(strings.ToUpper(string(d.Status))), Attempts: d.Attempts, LastError: nonEmpty(d.LastError), UpdatedAt: d.UpdatedAt}
	if d.Status == gatehouse.DeliveryPending {
		at := d.NextAttemptAt
		n.NextAttemptAt = &at
	}
	return n
}

// deliveryStatus maps a DeliveryStatus argument; "" for any.
func deliveryStatus(s *model.DeliveryStatus) gatehouse.DeliveryStatus {
	if s == nil {
		return ""
	}
	return gatehouse.DeliveryStatus(strings.ToLower(string(*s)))
}

func webhookChange(in model.UpdateWebhookEndpointInput) auth.WebhookChange {
	return auth.WebhookChange{URL: opt(in.URL), Events: opt(in.Events), Description: opt(in.Description)}
}

// webhookPayload is the answer to a mutation of a webhook endpoint; secret
// is "" but after a creation or rotation.
func webhookPayload(e *gatehouse.WebhookEndpoint, secret string, err error) (*model.WebhookEndpointPayload, error) {
	errs, err := payloadErrors(err)
	p := &model.WebhookEndpointPayload{Endpoint: webhookEndpoint(e), Errors: errs}
	if err == nil && len(errs) == 0 {
		p.Secret = nonEmpty(secret)
	} else {
		p.Endpoint = nil
	}
	return p, err
}

// nodeModel maps what Service.Node found to the GraphQL type the Node
// interface resolves to; the domain types bound to the schema pass as they
// are.
func nodeModel(n any) model.Node {
	switch v := n.(type) {
	case *auth.DeviceSession:
		if v == nil {
			return nil
		}
		return deviceSession(v.Session, v.Current)
	case *gatehouse.Event:
		if v == nil {
			return nil
		}
		return auditEvent(*v)
	case *gatehouse.WebhookEndpoint:
		if v == nil {
			return nil
		}
		return webhookEndpoint(v)
	}
	return n
}

// authEventPage is authEvents' page: its older fields (nodes, hasNextPage,
// endCursor) and a Relay connection's.
func authEventPage(es []gatehouse.Event, more, hasPrevious bool, total int) *model.AuthEventPage {
	nodes, edges, cursors := connect(es, func(e gatehouse.Event) string { return e.ID }, authEvent,
		func(c string, n *model.AuthEvent) *model.AuthEventEdge {
			return &model.AuthEventEdge{Cursor: c, Node: n}
		})
	p := &model.AuthEventPage{Nodes: nodes, Edges: edges, HasNextPage: more, PageInfo: pageInfo(cursors, more, hasPrevious), TotalCount: total}
	p.EndCursor = p.PageInfo.EndCursor
	return p
}

// deadDeliveryPage is deadDeliveries' page, as authEventPage.
func deadDeliveryPage(ds []gatehouse.DeadDelivery, more, hasPrevious bool, total int) *model.DeadDeliveryPage {
	nodes, edges, cursors := connect(ds, func(d gatehouse.DeadDelivery) string { return d.Event.ID }, deadDelivery,
		func(c string, n *model.DeadDelivery) *model.DeadDeliveryEdge {
			return &model.DeadDeliveryEdge{Cursor: c, Node: n}
		})
	p := &model.DeadDeliveryPage{Nodes: nodes, Edges: edges, HasNextPage: more, PageInfo: pageInfo(cursors, more, hasPrevious), TotalCount: total}
	p.EndCursor = p.PageInfo.EndCursor
	return p
}

func deadDelivery(d gatehouse.DeadDelivery) *model.DeadDelivery {
	return &model.DeadDelivery{Event: authEvent(d.Event), Subscriber: d.Subscriber, Attempts: d.Attempts, LastError: nonEmpty(d.LastError), UpdatedAt: d.UpdatedAt}
}
