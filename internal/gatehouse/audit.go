package gatehouse

import (
	"context"
	"sync"
	"time"
)

// Origin is where a request came from, as the service records it on the
// events the request causes: the client's address, its User-Agent header
// and the request id (the X-Request-Id the logs carry). The HTTP layer
// fills it; the store keeps it in bounds.
type Origin struct {
	IP        string
	UserAgent string
	RequestID string
}

// AuditFilter chooses the events of the audit log. Every field set must
// hold; the zero filter chooses every event.
type AuditFilter struct {
	// ActorID: events this customer or user did.
	ActorID string
	// SubjectID: events done on this customer, user or identity.
	SubjectID string
	// Types: events with one of these names (the catalogue is
	// docs/events.md); empty for every name.
	Types []string
	// From and To bound the events' time: From included, To not.
	From, To *time.Time
}

type originKey struct{}

// WithOrigin returns ctx carrying the request's origin.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom is the origin WithOrigin put in ctx; zero when there is none
// (a command, the housekeeping).
func OriginFrom(ctx context.Context) Origin {
	o, _ := ctx.Value(originKey{}).(Origin)
	return o
}

// ActedFor records, for a request, the auth identity it acted for: the
// one its credential named, or the one its new ticket is for. The
// idempotency layer files the kept answer under it, so that deleting the
// account deletes the answer too.
type ActedFor struct {
	mu sync.Mutex
	id string
}

type actedForKey struct{}

// WithActedFor returns ctx carrying a new ActedFor, and the ActedFor.
func WithActedFor(ctx context.Context) (context.Context, *ActedFor) {
	a := &ActedFor{}
	return context.WithValue(ctx, actedForKey{}, a), a
}

// RecordActedFor records authIdentityID in ctx's ActedFor, if it has one:
// the last one recorded wins (a sign-in's new identity, after the
// anonymous shopper's token it presented).
func RecordActedFor(ctx context.Context, authIdentityID string) {
	if a, _ := ctx.Value(actedForKey{}).(*ActedFor); a != nil && authIdentityID != "" {
		a.mu.Lock()
		a.id = authIdentityID
		a.mu.Unlock()
	}
}

// ID is the auth identity recorded last; "" for none.
func (a *ActedFor) ID() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.id
}
