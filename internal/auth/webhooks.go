package auth

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/netguard"
	"github.com/gatehouse/gatehouse/internal/secret"
)

// Webhook endpoint limits.
const (
	maxWebhookURLLength         = 2048 // bytes
	maxWebhookDescriptionLength = 500  // characters
)

// WebhookInput is a webhook endpoint to create.
type WebhookInput struct {
	URL string
	// Events are the event names the endpoint is owed; empty for all.
	Events      []string
	Description *string
}

// WebhookChange is what updateWebhookEndpoint changes; unset fields stay.
// Events set to empty means every event; Description set to nil clears
// it; URL cannot be cleared.
type WebhookChange struct {
	URL         gatehouse.Opt[*string]
	Events      gatehouse.Opt[[]string]
	Description gatehouse.Opt[*string]
}

// CreateWebhookEndpoint creates a webhook endpoint, owed from now on every
// event its filter lets through, and returns it with its signing secret:
// the one time the secret is shown. The endpoint is never given an
// event's secrets (reset, verification or invite tokens; see
// outbox.Endpoints): only the operator's configured webhook is.
func (s *Service) CreateWebhookEndpoint(ctx context.Context, adm *Admin, in WebhookInput) (*gatehouse.WebhookEndpoint, string, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, "", err
	}
	now := s.clock()
	e := &gatehouse.WebhookEndpoint{ID: gatehouse.NewID(gatehouse.PrefixWebhookEndpoint), CreatedAt: now, UpdatedAt: now}
	u := in.URL
	if err := webhookURL(&e.URL, gatehouse.Some(&u), s.webhookPrivate); err != nil {
		return nil, "", err
	}
	if err := webhookEvents(&e.Events, in.Events); err != nil {
		return nil, "", err
	}
	if err := webhookDescription(&e.Description, gatehouse.Some(in.Description)); err != nil {
		return nil, "", err
	}
	plain, sealed, err := s.newWebhookSecret(e.ID)
	if err != nil {
		return nil, "", err
	}
	err = s.store.Tx(ctx, func(st Store) error {
		if err := st.CreateWebhookEndpoint(ctx, e, sealed); err != nil {
			return err
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventWebhookEndpointCreated, e.ID, webhookPayload(e))
	})
	if err != nil {
		return nil, "", err
	}
	return e, plain, nil
}

// WebhookEndpoints lists the webhook endpoints, oldest first.
func (s *Service) WebhookEndpoints(ctx context.Context, adm *Admin) ([]*gatehouse.WebhookEndpoint, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, err
	}
	return s.store.WebhookEndpoints(ctx)
}

// WebhookEndpointPage is first of the webhook endpoints (at most 100),
// oldest first, after the endpoint id after: ids grow with creation, so a
// cursor stays good when its endpoint is deleted.
func (s *Service) WebhookEndpointPage(ctx context.Context, adm *Admin, after string, first int) (gatehouse.WebhookEndpointPage, error) {
	all, err := s.WebhookEndpoints(ctx, adm)
	if err != nil {
		return gatehouse.WebhookEndpointPage{}, err
	}
	start := 0
	if after != "" {
		start = len(all)
		if i := slices.IndexFunc(all, func(e *gatehouse.WebhookEndpoint) bool { return e.ID > after }); i >= 0 {
			start = i
		}
	}
	p := gatehouse.WebhookEndpointPage{Endpoints: all[start:], HasPrevious: start > 0, Total: len(all)}
	if n := pageSize(first); len(p.Endpoints) > n {
		p.Endpoints, p.HasNext = p.Endpoints[:n], true
	}
	return p, nil
}

// WebhookEndpoint returns a webhook endpoint; nil when there is none.
func (s *Service) WebhookEndpoint(ctx context.Context, adm *Admin, id string) (*gatehouse.WebhookEndpoint, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, err
	}
	return found(s.store.WebhookEndpoint(ctx, id))
}

// UpdateWebhookEndpoint changes a webhook endpoint's URL, events or
// description. Events written from then on are owed to it by the new
// filter; what it is owed already stays owed, and goes to the new URL.
func (s *Service) UpdateWebhookEndpoint(ctx context.Context, adm *Admin, id string, ch WebhookChange) (*gatehouse.WebhookEndpoint, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, err
	}
	var e *gatehouse.WebhookEndpoint
	err := s.store.Tx(ctx, func(st Store) error {
		var err error
		if e, err = st.WebhookEndpoint(ctx, id); err != nil {
			return asField(err, "id")
		}
		if err := webhookURL(&e.URL, ch.URL, s.webhookPrivate); err != nil {
			return err
		}
		if ch.Events.Set {
			if err := webhookEvents(&e.Events, ch.Events.Value); err != nil {
				return err
			}
		}
		if err := webhookDescription(&e.Description, ch.Description); err != nil {
			return err
		}
		e.UpdatedAt = s.clock()
		if err := st.UpdateWebhookEndpoint(ctx, e); err != nil {
			return asField(err, "id")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventWebhookEndpointUpdated, e.ID, webhookPayload(e))
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// RotateWebhookSecret gives a webhook endpoint a new signing secret and
// returns it, shown this once. The secret it replaces still signs, beside
// the new one, for the grace (Options.WebhookSecretGrace), so that the
// receiver can move to the new one without refusing a delivery.
func (s *Service) RotateWebhookSecret(ctx context.Context, adm *Admin, id string) (*gatehouse.WebhookEndpoint, string, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return nil, "", err
	}
	plain, sealed, err := s.newWebhookSecret(id)
	if err != nil {
		return nil, "", err
	}
	var e *gatehouse.WebhookEndpoint
	err = s.store.Tx(ctx, func(st Store) error {
		now := s.clock()
		var err error
		if e, err = st.RotateWebhookSecret(ctx, id, sealed, now.Add(s.webhookGrace), now); err != nil {
			return asField(err, "id")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventWebhookSecretRotated, e.ID, map[string]any{
			"endpoint_id": e.ID, "previous_secret_expires_at": e.PreviousSecretExpiresAt})
	})
	if err != nil {
		return nil, "", err
	}
	return e, plain, nil
}

// DeleteWebhookEndpoint deletes a webhook endpoint and what it is still
// owed.
func (s *Service) DeleteWebhookEndpoint(ctx context.Context, adm *Admin, id string) error {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		e, err := st.WebhookEndpoint(ctx, id)
		if err != nil {
			return asField(err, "id")
		}
		if err := st.DeleteWebhookEndpoint(ctx, id); err != nil {
			return asField(err, "id")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventWebhookEndpointDeleted, id, webhookPayload(e))
	})
}

// WebhookDeliveries lists the deliveries owed to a webhook endpoint, newest
// event first, in status ("" for any): first of them (at most 100) of
// events older than the event id after, whether more follow, and how many
// there are in status. An unknown endpoint is NOT_FOUND.
func (s *Service) WebhookDeliveries(ctx context.Context, adm *Admin, id string, status gatehouse.DeliveryStatus, after string, first int) (gatehouse.DeliveryPage, error) {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return gatehouse.DeliveryPage{}, err
	}
	if status != "" && !status.Valid() {
		return gatehouse.DeliveryPage{}, gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"status"}, "Unknown delivery status %q.", status)
	}
	e, err := s.store.WebhookEndpoint(ctx, id)
	if err != nil {
		return gatehouse.DeliveryPage{}, asField(err, "endpointId")
	}
	n := pageSize(first)
	ds, err := s.store.Deliveries(ctx, e.Subscriber(), status, after, n+1)
	if err != nil {
		return gatehouse.DeliveryPage{}, err
	}
	p := gatehouse.DeliveryPage{Deliveries: ds, HasNext: len(ds) > n, HasPrevious: after != ""}
	if p.HasNext {
		p.Deliveries = ds[:n]
	}
	if p.Total, err = s.store.DeliveryCount(ctx, e.Subscriber(), status); err != nil {
		return gatehouse.DeliveryPage{}, err
	}
	return p, nil
}

// ReplayWebhookDelivery has the dispatcher try a webhook endpoint's dead
// delivery of an event again. NOT_FOUND when the endpoint, or a dead
// delivery of the event to it, is not there.
func (s *Service) ReplayWebhookDelivery(ctx context.Context, adm *Admin, id, eventID string) error {
	if err := adm.require(gatehouse.PermManageWebhooks); err != nil {
		return err
	}
	return s.store.Tx(ctx, func(st Store) error {
		e, err := st.WebhookEndpoint(ctx, id)
		if err != nil {
			return asField(err, "endpointId")
		}
		if err := st.Replay(ctx, eventID, e.Subscriber(), s.clock()); err != nil {
			return asField(err, "eventId")
		}
		return s.adminEvent(ctx, st, adm, gatehouse.EventDeliveryReplayed, eventID, map[string]any{
			"event_id": eventID, "subscriber": e.Subscriber(), "endpoint_id": e.ID})
	})
}

// newWebhookSecret makes a signing secret for the endpoint id, and it
// sealed, bound to the endpoint.
func (s *Service) newWebhookSecret(id string) (plain, sealed string, err error) {
	plain, err = secret.NewWebhookSecret(s.rand)
	if err != nil {
		return "", "", gatehouse.Internal(err)
	}
	sealed, err = secret.SealWebhookSecret(s.webhookKey, id, plain)
	if err != nil {
		return "", "", gatehouse.Internal(fmt.Errorf("seal webhook secret: %w", err))
	}
	return plain, sealed, nil
}

// webhookPayload is what an endpoint's event records of it. Of the URL
// only the scheme, host and path: a receiver's query string may hold a
// token of its own, which the audit trail's readers have no need of.
func webhookPayload(e *gatehouse.WebhookEndpoint) map[string]any {
	return map[string]any{"endpoint_id": e.ID, "url": auditURL(e.URL), "events": e.Events, "description": e.Description}
}

func auditURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}).String()
}

// webhookURL sets an endpoint's URL: absolute, https (http only to the
// loopback host, for a developer's receiver), with no user info or
// fragment, at most maxWebhookURLLength bytes; unless privateNetworks,
// not to localhost or a literal address that is not public (the outbox
// checks every address it dials as well; this answers at once). It cannot
// be cleared.
func webhookURL(dst *string, o gatehouse.Opt[*string], privateNetworks bool) error {
	if !o.Set {
		return nil
	}
	field := []string{"input", "url"}
	if o.Value == nil {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook endpoint needs a URL.")
	}
	raw := strings.TrimSpace(*o.Value)
	switch {
	case raw == "":
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook endpoint needs a URL.")
	case len(raw) > maxWebhookURLLength:
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL has at most %d bytes.", maxWebhookURLLength)
	case !utf8.ValidString(raw) || strings.ContainsFunc(raw, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL may not contain spaces or control characters.")
	case strings.Contains(raw, "#"):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL may not have a fragment (#…).")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL must be absolute, as https://example.com/hooks.")
	}
	if u.User != nil {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL may not carry a user name or password.")
	}
	if !privateNetworks && !publicHost(u.Hostname()) {
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL must reach a public address, not localhost or a private, loopback or link-local one.")
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
	case "http":
		if !loopbackHost(u.Hostname()) {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL must use https (http only for localhost, 127.0.0.1 or [::1]).")
		}
	default:
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "A webhook URL must use https.")
	}
	*dst = raw
	return nil
}

// publicHost is false for a host name that names this machine or a
// literal address netguard does not count as public; a name is checked
// again, resolved, when the outbox dials it.
func publicHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return false
	}
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		return netguard.Public(a)
	}
	return true
}

// loopbackHost reports whether a URL's host name is this machine's, as a
// developer testing a receiver locally names it.
func loopbackHost(host string) bool {
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	}
	return false
}

// webhookEvents sets an endpoint's events: known names, sorted, without
// repeats; none for every event.
func webhookEvents(dst *[]string, names []string) error {
	known := gatehouse.EventNames()
	for _, n := range names {
		if !slices.Contains(known, n) {
			return gatehouse.FieldError(gatehouse.CodeInvalidInput, []string{"input", "events"}, "Unknown event %q.", truncate(n, 100))
		}
	}
	*dst = slices.Compact(slices.Sorted(slices.Values(names)))
	if *dst == nil {
		*dst = []string{}
	}
	return nil
}

// webhookDescription sets an endpoint's description: trimmed, at most
// maxWebhookDescriptionLength characters, no control characters but line
// breaks and tabs; null or empty clears it.
func webhookDescription(dst *string, o gatehouse.Opt[*string]) error {
	if !o.Set {
		return nil
	}
	field := []string{"input", "description"}
	v := strings.TrimSpace(deref(o.Value))
	switch {
	case !utf8.ValidString(v):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "Must be valid UTF-8.")
	case utf8.RuneCountInString(v) > maxWebhookDescriptionLength:
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "Must be at most %d characters.", maxWebhookDescriptionLength)
	case strings.ContainsFunc(v, func(r rune) bool { return isControl(r) && r != '\n' && r != '\t' }):
		return gatehouse.FieldError(gatehouse.CodeInvalidInput, field, "Must not contain control characters.")
	}
	*dst = v
	return nil
}
