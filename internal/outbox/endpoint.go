package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/secret"
	"github.com/gatehouse/gatehouse/internal/store"
)

// EndpointStore is what Endpoints needs of storage (store.Store
// implements it).
type EndpointStore interface {
	// StoredWebhookEndpoints lists every endpoint, secrets sealed.
	StoredWebhookEndpoints(ctx context.Context) ([]*store.StoredWebhookEndpoint, error)
}

var _ EndpointStore = (*store.Store)(nil)

// EndpointsOptions configure Endpoints.
type EndpointsOptions struct {
	Store EndpointStore
	// Key opens the endpoints' sealed secrets (secret.OpenWebhookSecret):
	// the key, derived from the key-encryption key for this use alone,
	// that the service seals them with.
	Key []byte
	// Refresh is how long the endpoints read are used before they are
	// read again (default 3 s): how soon an endpoint created, updated,
	// rotated or deleted on any instance is delivered to as it now is.
	Refresh time.Duration
	// Client posts the deliveries (default: a 10 s timeout, redirects
	// not followed, so an endpoint cannot send its deliveries elsewhere,
	// and, unless PrivateNetworks, no connection to an address that is
	// not public; see publicAddress).
	Client *http.Client
	// PrivateNetworks lets the default client reach loopback, private and
	// link-local addresses: for development, where a receiver runs on
	// localhost (GATEHOUSE_WEBHOOK_PRIVATE_NETWORKS).
	PrivateNetworks bool
	Now             func() time.Time
}

// Format and LogValue keep the key out of every print.
func (o EndpointsOptions) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "outbox.EndpointsOptions{Key: %s, Refresh: %s, PrivateNetworks: %t}", redacted, o.Refresh, o.PrivateNetworks)
}

// LogValue implements slog.LogValuer.
func (o EndpointsOptions) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", redacted), slog.Duration("refresh", o.Refresh), slog.Bool("private_networks", o.PrivateNetworks))
}

// Endpoints is the Source of the webhook endpoints managed through the
// API: a subscriber per endpoint, named "webhook:" and its id, that POSTs
// each message to the endpoint's URL as Webhook does, signed per Standard
// Webhooks with the endpoint's secret and, while a rotation's grace lasts,
// with the previous secret too: webhook-signature then carries both
// signatures, space-separated ("v1,<new> v1,<previous>"), and a receiver
// that knows either accepts it. It never delivers an event's secrets
// (eventSecretFields). Every instance that runs it delivers to every
// endpoint; the leases see that one delivers each event.
type Endpoints struct {
	o EndpointsOptions

	mu     sync.Mutex
	readAt time.Time // when byID was read; zero before the first read
	byID   map[string]*endpoint
	subs   []Subscriber // byID's, in the store's order
}

// NewEndpoints returns the source of the endpoints o's store holds.
func NewEndpoints(o EndpointsOptions) *Endpoints {
	if o.Refresh <= 0 {
		o.Refresh = 3 * time.Second
	}
	switch {
	case o.Client != nil:
	case o.PrivateNetworks:
		o.Client = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	default:
		o.Client = guardedClient(10 * time.Second)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Endpoints{o: o, byID: map[string]*endpoint{}}
}

// Format and LogValue keep the keys out of every print.
func (e *Endpoints) Format(f fmt.State, verb rune) { e.o.Format(f, verb) }

// LogValue implements slog.LogValuer.
func (e *Endpoints) LogValue() slog.Value { return e.o.LogValue() }

// Subscribers implements Source: the endpoints as last read, read again
// once Refresh has passed. An endpoint keeps its Subscriber across reads;
// what it reads (URL, secrets) changes under it.
func (e *Endpoints) Subscribers(ctx context.Context) ([]Subscriber, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.o.Now()
	if !e.readAt.IsZero() && !now.Before(e.readAt) && now.Sub(e.readAt) < e.o.Refresh {
		return slices.Clone(e.subs), nil
	}
	stored, err := e.o.Store.StoredWebhookEndpoints(ctx)
	if err != nil {
		return nil, fmt.Errorf("load webhook endpoints: %w", err)
	}
	byID := make(map[string]*endpoint, len(stored))
	subs := make([]Subscriber, 0, len(stored))
	for _, s := range stored {
		ep := e.byID[s.ID]
		if ep == nil {
			ep = &endpoint{id: s.ID, client: e.o.Client, now: e.o.Now}
		}
		ep.cfg.Store(e.config(s))
		byID[s.ID] = ep
		subs = append(subs, ep)
	}
	e.byID, e.subs, e.readAt = byID, subs, now
	return slices.Clone(subs), nil
}

// config is what delivering to s needs: an endpoint whose secrets do not
// open (another key-encryption key) fails every delivery, as a dead
// delivery's last error says.
func (e *Endpoints) config(s *store.StoredWebhookEndpoint) *endpointConfig {
	c := &endpointConfig{url: s.URL}
	c.key, c.err = e.open(s.ID, s.Sealed)
	if c.err == nil && s.PreviousSealed != "" && s.PreviousSecretExpiresAt != nil {
		c.previous, c.err = e.open(s.ID, s.PreviousSealed)
		c.previousUntil = *s.PreviousSecretExpiresAt
	}
	return c
}

// open is the Standard Webhooks key of the endpoint's sealed secret.
func (e *Endpoints) open(id, sealed string) ([]byte, error) {
	s, err := secret.OpenWebhookSecret(e.o.Key, id, sealed)
	if err != nil {
		return nil, errors.New("the endpoint's signing secret does not open")
	}
	w, err := NewWebhook(WebhookOptions{Secret: s})
	if err != nil {
		return nil, errors.New("the endpoint's signing secret is not a webhook secret")
	}
	return w.key, nil
}

// eventSecretFields are the fields of a message's data that hold an
// event's secrets (gatehouse.Event.Secrets, merged into the data by the
// dispatcher): the token of a password reset, an email verification or an
// invite, and the one-time sign-in code of auth.email_code. An endpoint managed through the API never receives them: an
// admin who may manage webhooks must not be able to collect the tokens
// that sign in as someone else. Only the operator's own subscribers (the
// configured webhook, NATS, the development log) do. A test fails when
// an event is given a secret under another name.
var eventSecretFields = []string{"token", "code"}

// withoutSecrets is m with a copy of its data that has none of the
// event's secrets.
func withoutSecrets(m Message) Message {
	data := make(map[string]any, len(m.Data))
	for k, v := range m.Data {
		if !slices.Contains(eventSecretFields, k) {
			data[k] = v
		}
	}
	m.Data = data
	return m
}

// endpoint is the subscriber of one webhook endpoint.
type endpoint struct {
	id     string
	client *http.Client
	now    func() time.Time
	cfg    atomic.Pointer[endpointConfig]
}

// endpointConfig is an endpoint as last read, its secrets opened.
type endpointConfig struct {
	url string
	// key is the current secret's key; previous the one before the last
	// rotation, nil when there is none, which signs until previousUntil.
	key           []byte
	previous      []byte
	previousUntil time.Time
	// err is why the endpoint cannot be delivered to.
	err error
}

// Format and LogValue keep the keys out of every print.
func (ep *endpoint) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "outbox.endpoint{ID: %q, Secret: %s}", ep.id, redacted)
}

// LogValue implements slog.LogValuer.
func (ep *endpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("endpoint_id", ep.id), slog.String("secret", redacted))
}

// Name implements Subscriber.
func (ep *endpoint) Name() string { return gatehouse.WebhookSubscriber(ep.id) }

// Deliver implements Subscriber: m without the event's secrets.
func (ep *endpoint) Deliver(ctx context.Context, m Message) error {
	c := ep.cfg.Load()
	if c.err != nil {
		return c.err
	}
	body, err := json.Marshal(withoutSecrets(m))
	if err != nil {
		return err
	}
	now := ep.now()
	ts := strconv.FormatInt(now.Unix(), 10)
	sig := "v1," + (&Webhook{key: c.key}).sign(m.ID, ts, body)
	if c.previous != nil && now.Before(c.previousUntil) {
		sig += " v1," + (&Webhook{key: c.previous}).sign(m.ID, ts, body)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("the endpoint's URL is not usable")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sig)
	resp, err := ep.client.Do(req)
	if err != nil {
		return errors.New("webhook unreachable")
	}
	defer resp.Body.Close()
	// A little of the answer is read, so that the connection is reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}
