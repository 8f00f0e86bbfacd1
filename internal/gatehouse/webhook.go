package gatehouse

import (
	"slices"
	"strings"
	"time"
)

// PrefixWebhookEndpoint is the prefix of webhook endpoint ids.
const PrefixWebhookEndpoint = "whep"

// WebhookEndpoint is a receiver of the events managed through the API:
// each has a subscriber of its own (WebhookSubscriber), owed every event
// its Events filter lets through, and delivered and retried apart from
// the others. It never holds its signing secret: the store keeps that
// sealed, the outbox opens it to sign, and the caller who creates or
// rotates it sees it once.
type WebhookEndpoint struct {
	ID          string
	URL         string
	Description string
	// Events are the event names the endpoint is owed; empty for all.
	Events []string
	// SecretRotatedAt is when the signing secret was last rotated; nil
	// while it is the one the endpoint was created with.
	SecretRotatedAt *time.Time
	// PreviousSecretExpiresAt is when the secret a rotation replaced
	// stops signing: until then deliveries carry a signature under each,
	// so receivers can move to the new one without refusing any. Nil
	// when there is no previous secret.
	PreviousSecretExpiresAt *time.Time
	CreatedAt               time.Time
	UpdatedAt               time.Time
}

// Subscriber is the endpoint's name in the outbox.
func (e *WebhookEndpoint) Subscriber() string { return WebhookSubscriber(e.ID) }

// Wants reports whether the endpoint is owed events named event.
func (e *WebhookEndpoint) Wants(event string) bool {
	return len(e.Events) == 0 || slices.Contains(e.Events, event)
}

// webhookSubscriberPrefix starts the subscriber name of every webhook
// endpoint; the configured webhook (GATEHOUSE_WEBHOOK_URL) is "webhook".
const webhookSubscriberPrefix = "webhook:"

// WebhookSubscriber is the subscriber name of the endpoint with id:
// "webhook:" and the id.
func WebhookSubscriber(endpointID string) string { return webhookSubscriberPrefix + endpointID }

// WebhookEndpointID is the endpoint id in a subscriber name made by
// WebhookSubscriber, and whether it is one.
func WebhookEndpointID(subscriber string) (string, bool) {
	id, ok := strings.CutPrefix(subscriber, webhookSubscriberPrefix)
	return id, ok && id != ""
}

// DeliveryStatus is where the delivery of an event to a subscriber stands.
type DeliveryStatus string

// Delivery statuses, as the outbox keeps them.
const (
	// DeliveryPending: owed, to be attempted at NextAttemptAt.
	DeliveryPending DeliveryStatus = "pending"
	// DeliveryDelivered: the subscriber took it.
	DeliveryDelivered DeliveryStatus = "delivered"
	// DeliveryDead: set aside after too many failures (or its subscriber
	// disabled) until an admin replays it.
	DeliveryDead DeliveryStatus = "dead"
)

// Valid reports whether s is one of the statuses.
func (s DeliveryStatus) Valid() bool {
	return s == DeliveryPending || s == DeliveryDelivered || s == DeliveryDead
}

// Delivery is one event owed to one subscriber, and how delivering it
// went. It holds nothing of the event but its id and name.
type Delivery struct {
	EventID        string
	EventName      string
	EventCreatedAt time.Time
	Subscriber     string
	Status         DeliveryStatus
	// Attempts counts the failed attempts and the successful one.
	Attempts int
	// LastError is why the last attempt failed ("" when none did).
	LastError     string
	NextAttemptAt time.Time
	UpdatedAt     time.Time
}

// DeliveryPage is a page of an endpoint's deliveries, newest event first.
type DeliveryPage struct {
	Deliveries  []Delivery
	HasNext     bool
	HasPrevious bool
	// Total counts the endpoint's deliveries of the status asked for.
	Total int
}

// WebhookEndpointPage is a page of the webhook endpoints, oldest first.
type WebhookEndpointPage struct {
	Endpoints   []*WebhookEndpoint
	HasNext     bool
	HasPrevious bool
	Total       int
}
