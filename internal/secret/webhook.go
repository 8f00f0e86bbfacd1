package secret

import (
	"encoding/base64"
	"fmt"
	"io"
)

// WebhookSecretSize is the number of random bytes in a webhook endpoint's
// signing key.
const WebhookSecretSize = 32

// NewWebhookSecret returns a new signing secret for a webhook endpoint,
// read from r (crypto/rand.Reader in production): "whsec_" and the
// standard base64 of WebhookSecretSize random bytes, as Standard Webhooks
// writes it and its receivers' libraries read it. It is shown to the
// admin once and stored only sealed (SealWebhookSecret).
func NewWebhookSecret(r io.Reader) (string, error) {
	b := make([]byte, WebhookSecretSize)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read random webhook secret: %w", err)
	}
	return "whsec_" + base64.StdEncoding.EncodeToString(b), nil
}

// SealWebhookSecret seals the signing secret of the webhook endpoint
// endpointID under key (32 bytes, derived from the key-encryption key for
// this use alone), bound to the endpoint: sealed under another endpoint's
// id, it does not open. A rotation may move it from the current to the
// previous secret of the same endpoint as it is.
func SealWebhookSecret(key []byte, endpointID, secret string) (string, error) {
	return Seal(key, webhookBinding(endpointID), []byte(secret))
}

// OpenWebhookSecret reverses SealWebhookSecret; ErrOpen when sealed does
// not open under key for endpointID.
func OpenWebhookSecret(key []byte, endpointID, sealed string) (string, error) {
	b, err := Open(key, webhookBinding(endpointID), sealed)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func webhookBinding(endpointID string) string { return "webhook_endpoint/" + endpointID }
