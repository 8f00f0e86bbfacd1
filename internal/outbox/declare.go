package outbox

import (
	"net/url"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Declarer is a subscriber that can describe itself for the fleet's
// subscriber table, without its secrets.
type Declarer interface {
	Subscriber
	Declare() store.Subscriber
}

// Declarations are the subscriber table's rows for subs, for an instance
// to declare at start (store.EnsureSubscribers) so that every instance
// owes them the events it writes. A subscriber that cannot describe
// itself is left out.
func Declarations(subs []Subscriber) []store.Subscriber {
	var out []store.Subscriber
	for _, s := range subs {
		if d, ok := s.(Declarer); ok {
			out = append(out, d.Declare())
		}
	}
	return out
}

// Declare implements Declarer: the URL without its credentials, query or
// fragment, which may hold a token.
func (w *Webhook) Declare() store.Subscriber {
	return store.Subscriber{Name: w.Name(), Kind: "webhook", Config: map[string]any{
		"url": safeURL(w.url), "legacy_headers": w.legacy != nil,
	}}
}

// Declare implements Declarer: the subject only (the server's URL may hold
// credentials).
func (n *NATS) Declare() store.Subscriber {
	return store.Subscriber{Name: n.Name(), Kind: "nats", Config: map[string]any{"subject": n.Subject}}
}

// Declare implements Declarer.
func (l *Log) Declare() store.Subscriber {
	return store.Subscriber{Name: l.Name(), Kind: "log", Config: map[string]any{}}
}

// safeURL is u with only its scheme, host and path.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path}).String()
}
