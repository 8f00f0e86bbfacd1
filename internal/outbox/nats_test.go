package outbox_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/servicetest"
)

// Delivery through NATS JetStream: the test reads the stream with a
// consumer and de-duplicates by message id (the event id). With CI set, an
// unreachable NATS fails the test.
func TestNATSDelivery(t *testing.T) {
	url := servicetest.URL(t, servicetest.NATS)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sub, err := outbox.NewNATS(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	sub.Subject = "gatehouse.events.test" + gatehouse.NewID("t")

	ids := []string{gatehouse.NewID(gatehouse.PrefixEvent), gatehouse.NewID(gatehouse.PrefixEvent)}
	for _, id := range []string{ids[0], ids[1], ids[0]} { // the first re-sent: at least once
		if err := sub.Deliver(ctx, outbox.Message{ID: id, Type: "auth.password_reset", CreatedAt: time.Now(), Data: map[string]any{"token": "t"}}); err != nil {
			t.Fatal(err)
		}
	}

	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	cons, err := js.OrderedConsumer(ctx, outbox.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{sub.Subject + ".>"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	batch, err := cons.Fetch(10, jetstream.FetchMaxWait(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for msg := range batch.Messages() {
		var m outbox.Message
		if err := json.Unmarshal(msg.Data(), &m); err != nil {
			t.Fatal(err)
		}
		if msg.Headers().Get("Nats-Msg-Id") != m.ID || msg.Subject() != sub.Subject+".auth.password_reset" {
			t.Errorf("message %s on %s, header id %q", m.ID, msg.Subject(), msg.Headers().Get("Nats-Msg-Id"))
		}
		seen[m.ID]++
	}
	if len(seen) != 2 || seen[ids[0]] < 1 || seen[ids[1]] != 1 {
		t.Fatalf("received %v", seen)
	}
}
