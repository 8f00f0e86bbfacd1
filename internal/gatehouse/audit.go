package gatehouse

import (
	"context"
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
