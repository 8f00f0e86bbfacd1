package outbox_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/outbox"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// tolerance is how far from its clock a receiver accepts a timestamp, as
// the specification recommends and its libraries do.
const tolerance = 5 * time.Minute

// verifyStandard checks a delivery as a Standard Webhooks receiver does,
// written out from the specification, not from the sender's code: the key
// is the base64 after "whsec_" (a secret without the prefix is its own
// bytes), the signed content is id.timestamp.body, the timestamp is within
// tolerance of now, and one of the space-separated "v1,<base64>"
// signatures matches, compared in constant time.
func verifyStandard(secret string, h http.Header, body []byte, now time.Time) error {
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing webhook-id, webhook-timestamp or webhook-signature")
	}
	if err := within(ts, now); err != nil {
		return err
	}
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		var err error
		if key, err = base64.StdEncoding.DecodeString(rest); err != nil {
			return fmt.Errorf("secret: %w", err)
		}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	want := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	for _, s := range strings.Split(sigs, " ") {
		version, sig, ok := strings.Cut(s, ",")
		if ok && version == "v1" && subtle.ConstantTimeCompare([]byte(sig), want) == 1 {
			return nil
		}
	}
	return errors.New("no matching signature")
}

// verifyLegacy checks the Gatehouse-Signature of earlier releases as their
// receivers do: "v1=" and the hex HMAC-SHA256, under the secret's bytes,
// of Gatehouse-Timestamp, a dot and the body.
func verifyLegacy(secret string, h http.Header, body []byte, now time.Time) error {
	ts, sig := h.Get("Gatehouse-Timestamp"), h.Get("Gatehouse-Signature")
	if ts == "" || sig == "" {
		return errors.New("missing Gatehouse-Timestamp or Gatehouse-Signature")
	}
	if err := within(ts, now); err != nil {
		return err
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	if subtle.ConstantTimeCompare([]byte(sig), []byte("v1="+hex.EncodeToString(mac.Sum(nil)))) != 1 {
		return errors.New("Gatehouse-Signature does not match")
	}
	return nil
}

func within(ts string, now time.Time) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not Unix seconds", ts)
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return fmt.Errorf("timestamp %s is %s from the receiver's clock", ts, d)
	}
	return nil
}

// The verifier agrees with the specification's own example (the test
// vector of the reference libraries), and refuses what a receiver must.
func TestStandardVerifier(t *testing.T) {
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	secret, body, at := "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", []byte(`{"test": 2432232314}`), time.Unix(1614265330, 0)
	with := func(k, v string) http.Header {
		c := h.Clone()
		c.Set(k, v)
		return c
	}
	for _, c := range []struct {
		name   string
		secret string
		h      http.Header
		body   []byte
		now    time.Time
		ok     bool
	}{
		{"example", secret, h, body, at, true},
		{"several signatures", secret, with("webhook-signature", "v1,bm90IGl0 v2,x "+h.Get("webhook-signature")), body, at, true},
		{"tampered body", secret, h, []byte(`{"test": 2432232315}`), at, false},
		{"wrong secret", "whsec_" + base64.StdEncoding.EncodeToString([]byte("another key of twenty-four")), h, body, at, false},
		{"secret as raw bytes", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, body, at, false},
		{"other id", secret, with("webhook-id", "msg_other"), body, at, false},
		{"too old", secret, h, body, at.Add(tolerance + time.Second), false},
		{"too new", secret, h, body, at.Add(-tolerance - time.Second), false},
		{"v2 only", secret, with("webhook-signature", "v2,"+strings.TrimPrefix(h.Get("webhook-signature"), "v1,")), body, at, false},
		{"no signature", secret, with("webhook-signature", ""), body, at, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := verifyStandard(c.secret, c.h, c.body, c.now); (err == nil) != c.ok {
				t.Fatalf("verify = %v, want ok %t", err, c.ok)
			}
		})
	}
}

// attempt is one request a recorder received.
type attempt struct {
	h    http.Header
	body []byte
	at   time.Time
}

// recorder is a webhook endpoint that answers 503 to its first fail
// requests and 204 after, recording each.
type recorder struct {
	clock *clocktest.Clock
	mu    sync.Mutex
	fail  int
	got   []attempt
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, attempt{h: req.Header.Clone(), body: body, at: r.clock.Now()})
	if len(r.got) <= r.fail {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (r *recorder) attempts() []attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attempt(nil), r.got...)
}

// A delivery, and its retry, verify as a Standard Webhooks receiver checks
// them: whsec_ and raw secrets, the legacy headers on and off, the same
// webhook-id on every attempt with a fresh timestamp and signature.
func TestWebhookSignature(t *testing.T) {
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("the decoded key, not its string"))
	raw := "a raw secret of earlier releases, 32+ chars"
	for _, c := range []struct {
		name   string
		secret string
		legacy bool
	}{
		{"whsec", whsec, true},
		{"raw", raw, true},
		{"whsec legacy off", whsec, false},
		{"raw legacy off", raw, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				ctx := context.Background()
				st := store.New(db)
				clk := clocktest.New(time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC))
				rcv := &recorder{clock: clk, fail: 1}
				srv := httptest.NewServer(rcv)
				defer srv.Close()
				w, err := outbox.NewWebhook(outbox.WebhookOptions{URL: srv.URL, Secret: c.secret, LegacyHeaders: c.legacy, Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				d := outbox.New(outbox.Options{
					Store: st, Subscribers: []outbox.Subscriber{w},
					Open: func(string, string) (map[string]string, error) { return nil, nil },
					Now:  clk.Now, MaxAttempts: 3, Backoff: time.Second,
				})
				e := &gatehouse.Event{ID: gatehouse.NewID(gatehouse.PrefixEvent), Name: "auth.password_changed", AuthIdentityID: "authid_sig",
					ActorType: gatehouse.ActorCustomer, Payload: map[string]any{"how": "reset"}, CreatedAt: clk.Now()}
				if err := st.AppendEvent(ctx, e, "", []string{"webhook"}); err != nil {
					t.Fatal(err)
				}

				if n, err := d.RunOnce(ctx); err != nil || n != 0 {
					t.Fatalf("first run = %d, %v; want the 503 to fail it", n, err)
				}
				clk.Advance(90 * time.Second)
				if n, err := d.RunOnce(ctx); err != nil || n != 1 {
					t.Fatalf("retry = %d, %v; want it delivered", n, err)
				}

				got := rcv.attempts()
				if len(got) != 2 {
					t.Fatalf("%d attempts, want 2", len(got))
				}
				for i, a := range got {
					if err := verifyStandard(c.secret, a.h, a.body, a.at); err != nil {
						t.Errorf("attempt %d: %v", i+1, err)
					}
					if id := a.h.Get("webhook-id"); id != e.ID {
						t.Errorf("attempt %d: webhook-id %q, want the event id %s", i+1, id, e.ID)
					}
					if ts := a.h.Get("webhook-timestamp"); ts != strconv.FormatInt(a.at.Unix(), 10) {
						t.Errorf("attempt %d: webhook-timestamp %s, want this attempt's %d", i+1, ts, a.at.Unix())
					}
					var m outbox.Message
					if err := json.Unmarshal(a.body, &m); err != nil || m.ID != e.ID || m.Type != e.Name {
						t.Errorf("attempt %d: body %s (%v)", i+1, a.body, err)
					}
					if c.legacy {
						if err := verifyLegacy(c.secret, a.h, a.body, a.at); err != nil {
							t.Errorf("attempt %d: legacy: %v", i+1, err)
						}
						if a.h.Get("Gatehouse-Event-Id") != e.ID || a.h.Get("Gatehouse-Event-Type") != e.Name {
							t.Errorf("attempt %d: legacy event headers %q, %q", i+1, a.h.Get("Gatehouse-Event-Id"), a.h.Get("Gatehouse-Event-Type"))
						}
					} else {
						for k := range a.h {
							if strings.HasPrefix(k, "Gatehouse-") {
								t.Errorf("attempt %d: legacy header %s sent with the legacy headers off", i+1, k)
							}
						}
					}
				}
				if got[0].h.Get("webhook-timestamp") == got[1].h.Get("webhook-timestamp") ||
					got[0].h.Get("webhook-signature") == got[1].h.Get("webhook-signature") {
					t.Error("the retry reused the first attempt's timestamp or signature")
				}
				// A receiver refuses the first attempt replayed now, past
				// the tolerance.
				if err := verifyStandard(c.secret, got[0].h, got[0].body, got[0].at.Add(tolerance+time.Second)); err == nil {
					t.Error("a replay past the tolerance verified")
				}
			})
		})
	}
}

func TestNewWebhook(t *testing.T) {
	key := func(n int) string { return "whsec_" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	for _, c := range []struct {
		name, secret, err string
	}{
		{"whsec", key(32), ""},
		{"whsec shortest", key(24), ""},
		{"raw", "any string at all", ""},
		{"whsec short", key(23), "at least 24 bytes"},
		{"whsec not base64", "whsec_not*base64*at*all*not*base64*at*all", "standard base64"},
		{"whsec unpadded", strings.TrimRight(key(25), "="), "standard base64"},
		{"empty", "", "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := outbox.NewWebhook(outbox.WebhookOptions{URL: "http://127.0.0.1/", Secret: c.secret})
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Fatalf("NewWebhook = %v, want error %q", err, c.err)
			}
			if err != nil && len(c.secret) > len("whsec_") && strings.Contains(err.Error(), c.secret[len("whsec_"):]) {
				t.Fatalf("the error %q holds the secret", err)
			}
		})
	}
}

// The options and the webhook print and log without their secret.
func TestWebhookRedacts(t *testing.T) {
	const key = "secret key bytes that must not print"
	secret := "whsec_" + base64.StdEncoding.EncodeToString([]byte(key))
	o := outbox.WebhookOptions{URL: "http://127.0.0.1/", Secret: secret, LegacyHeaders: true}
	w, err := outbox.NewWebhook(o)
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("wired", "options", o, "webhook", w)
	printed := fmt.Sprintf("%v %+v %#v %s %v %+v %#v %s", o, o, o, o, w, w, w, w) + logged.String()
	for _, leak := range []string{secret, secret[len("whsec_"):], key, strings.Trim(fmt.Sprint([]byte(key)), "[]"), hex.EncodeToString([]byte(key))} {
		if strings.Contains(printed, leak) {
			t.Fatalf("%q leaks into %s", leak, printed)
		}
	}
	if !strings.Contains(printed, "127.0.0.1") {
		t.Fatalf("printed %s: want the URL", printed)
	}
}
