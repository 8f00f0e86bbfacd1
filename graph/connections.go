package graph

import (
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

func userConnection(p gatehouse.UserPage) *model.UserConnection {
	c := &model.UserConnection{Edges: []*model.UserEdge{}, Nodes: p.Users, PageInfo: pageInfo(p.Cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
	if c.Nodes == nil {
		c.Nodes = []*gatehouse.User{}
	}
	for i, u := range p.Users {
		c.Edges = append(c.Edges, &model.UserEdge{Cursor: p.Cursors[i], Node: u})
	}
	return c
}

func inviteConnection(p gatehouse.InvitePage) *model.InviteConnection {
	c := &model.InviteConnection{Edges: []*model.InviteEdge{}, Nodes: p.Invites, PageInfo: pageInfo(p.Cursors, p.HasNext, false), TotalCount: p.Total}
	if c.Nodes == nil {
		c.Nodes = []*gatehouse.Invite{}
	}
	for i, inv := range p.Invites {
		c.Edges = append(c.Edges, &model.InviteEdge{Cursor: p.Cursors[i], Node: inv})
	}
	return c
}

func customerConnection(p gatehouse.CustomerPage) *model.CustomerConnection {
	c := &model.CustomerConnection{Edges: []*model.CustomerEdge{}, Nodes: p.Customers, PageInfo: pageInfo(p.Cursors, p.HasNext, p.HasPrevious), TotalCount: p.Total}
	if c.Nodes == nil {
		c.Nodes = []*gatehouse.Customer{}
	}
	for i, cu := range p.Customers {
		c.Edges = append(c.Edges, &model.CustomerEdge{Cursor: p.Cursors[i], Node: cu})
	}
	return c
}

func auditConnection(es []gatehouse.Event, more bool, after string, total int) *model.AuditEventConnection {
	c := &model.AuditEventConnection{Edges: []*model.AuditEventEdge{}, Nodes: []*model.AuditEvent{}, TotalCount: total}
	cursors := make([]string, 0, len(es))
	for _, e := range es {
		n := auditEvent(e)
		c.Nodes = append(c.Nodes, n)
		c.Edges = append(c.Edges, &model.AuditEventEdge{Cursor: e.ID, Node: n})
		cursors = append(cursors, e.ID)
	}
	c.PageInfo = pageInfo(cursors, more, after != "")
	return c
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
