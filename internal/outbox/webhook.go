package outbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL receives each message as a POST.
	URL string
	// Secret is the signing secret: "whsec_" and the base64 of the key,
	// as Standard Webhooks writes it, or any other string, whose bytes
	// are the key (the secrets of earlier releases).
	Secret string
	// LegacyHeaders also sends the Gatehouse-* headers of earlier
	// releases, signed as they were, for receivers not yet moved to the
	// Standard Webhooks headers.
	LegacyHeaders bool
	Client        *http.Client
	Now           func() time.Time
}

// Format and LogValue keep the secret out of every print.
func (o WebhookOptions) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "outbox.WebhookOptions{URL: %q, Secret: %s, LegacyHeaders: %t}", o.URL, redacted, o.LegacyHeaders)
}

// LogValue implements slog.LogValuer.
func (o WebhookOptions) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", o.URL), slog.String("secret", redacted), slog.Bool("legacy_headers", o.LegacyHeaders))
}

const redacted = "[redacted]"

// Webhook POSTs each message as JSON, signed per Standard Webhooks
// (https://www.standardwebhooks.com): webhook-id is the event id, the same
// on every retry; webhook-timestamp the Unix seconds of this attempt;
// webhook-signature "v1," and the base64 HMAC-SHA256, under the key, of the
// id, a dot, the timestamp, a dot and the body. A 2xx answer is a
// delivery.
//
// With LegacyHeaders it also sends the headers of earlier releases:
// Gatehouse-Event-Id, Gatehouse-Event-Type, Gatehouse-Timestamp, and
// Gatehouse-Signature, "v1=" and the hex HMAC-SHA256, under the secret's
// bytes as configured (whsec_ prefix and all), of the timestamp, a dot and
// the body.
type Webhook struct {
	url    string
	key    []byte // the Standard Webhooks key
	legacy []byte // the Gatehouse-Signature key; nil without LegacyHeaders
	client *http.Client
	now    func() time.Time
}

// secretPrefix marks a secret in the Standard Webhooks format.
const secretPrefix = "whsec_"

// minKeyBytes is the shortest whsec_ key accepted: the specification's
// lower bound.
const minKeyBytes = 24

// NewWebhook returns the webhook subscriber o describes, or an error when
// its secret has the whsec_ prefix but is not the standard base64 (with
// padding, as the receivers' libraries decode it) of at least 24 bytes.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	if o.Secret == "" {
		return nil, errors.New("the secret is empty")
	}
	key := []byte(o.Secret)
	if rest, ok := strings.CutPrefix(o.Secret, secretPrefix); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return nil, errors.New("the part after whsec_ must be standard base64, with padding")
		}
		if len(k) < minKeyBytes {
			return nil, fmt.Errorf("the key of a whsec_ secret must be at least %d bytes; this one is %d", minKeyBytes, len(k))
		}
		key = k
	}
	w := &Webhook{url: o.URL, key: key, client: o.Client, now: o.Now}
	if o.LegacyHeaders {
		w.legacy = []byte(o.Secret)
	}
	if w.client == nil {
		w.client = &http.Client{Timeout: 10 * time.Second}
	}
	if w.now == nil {
		w.now = time.Now
	}
	return w, nil
}

// Format and LogValue keep the keys out of every print.
func (w *Webhook) Format(f fmt.State, _ rune) {
	_, _ = fmt.Fprintf(f, "outbox.Webhook{URL: %q, Secret: %s, LegacyHeaders: %t}", w.url, redacted, w.legacy != nil)
}

// LogValue implements slog.LogValuer.
func (w *Webhook) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", w.url), slog.String("secret", redacted), slog.Bool("legacy_headers", w.legacy != nil))
}

// Name implements Subscriber.
func (w *Webhook) Name() string { return "webhook" }

// Deliver implements Subscriber.
func (w *Webhook) Deliver(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(w.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", m.ID)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", "v1,"+w.sign(m.ID, ts, body))
	if w.legacy != nil {
		req.Header.Set("Gatehouse-Event-Id", m.ID)
		req.Header.Set("Gatehouse-Event-Type", m.Type)
		req.Header.Set("Gatehouse-Timestamp", ts)
		req.Header.Set("Gatehouse-Signature", "v1="+w.signLegacy(ts, body))
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return errors.New("webhook unreachable")
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered HTTP %d", resp.StatusCode)
	}
	return nil
}

// sign is the Standard Webhooks signature, without its "v1," version.
func (w *Webhook) sign(id, ts string, body []byte) string {
	m := hmac.New(sha256.New, w.key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// signLegacy is the Gatehouse-Signature of earlier releases, without its
// "v1=" version.
func (w *Webhook) signLegacy(ts string, body []byte) string {
	m := hmac.New(sha256.New, w.legacy)
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
