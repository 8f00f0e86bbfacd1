package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATS publishes each message to a JetStream stream on the subject
// <Subject>.<type> (gatehouse.events.auth.password_reset), with the event
// id as the Nats-Msg-Id, so the stream drops a re-sent copy within its
// duplicate window and consumers can de-duplicate by it after that.
type NATS struct {
	js      jetstream.JetStream
	conn    *nats.Conn
	Subject string
}

// StreamName is the stream NATS publishes to.
const StreamName = "GATEHOUSE_EVENTS"

// NewNATS connects to url and makes sure the stream exists.
func NewNATS(ctx context.Context, url string) (*NATS, error) {
	nc, err := nats.Connect(url, nats.Name("gatehouse"), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, fmt.Errorf("nats: connect: %w", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: jetstream: %w", err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       StreamName,
		Subjects:   []string{"gatehouse.events.>"},
		Duplicates: 10 * time.Minute,
		MaxAge:     7 * 24 * time.Hour,
	}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("nats: stream %s: %w", StreamName, err)
	}
	return &NATS{js: js, conn: nc, Subject: "gatehouse.events"}, nil
}

// Name implements Subscriber.
func (n *NATS) Name() string { return "nats" }

// Deliver implements Subscriber.
func (n *NATS) Deliver(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if _, err := n.js.Publish(ctx, n.Subject+"."+m.Type, body, jetstream.WithMsgID(m.ID)); err != nil {
		return fmt.Errorf("nats: publish: %w", err)
	}
	return nil
}

// Close closes the connection.
func (n *NATS) Close() { n.conn.Close() }
