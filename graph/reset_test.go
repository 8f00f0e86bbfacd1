package graph_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	resetTokenQ  = `mutation($actor: ActorType!, $id: String!) { generateResetPasswordToken(actor: $actor, provider: "emailpass", input: {identifier: $id}) { accepted errors { code type message field } } }`
	resetQ       = `mutation($actor: ActorType!, $token: String!, $pw: String!) { resetPassword(actor: $actor, provider: "emailpass", input: {token: $token, password: $pw}) { success errors { code type message field } } }`
	changeQ      = `mutation($cur: String!, $new: String!) { changePassword(input: {currentPassword: $cur, newPassword: $new}) { success errors { code type message field } } }`
	subscriberID = "test-subscriber"
)

type okPayload struct {
	Success  bool        `json:"success"`
	Accepted bool        `json:"accepted"`
	Errors   []authError `json:"errors"`
}

// eventsAPI is the API with one subscriber, so events keep their sealed
// secrets until delivered.
func eventsAPI(t *testing.T, db *store.DB) *api {
	t.Helper()
	return buildAPI(t, db, func(o *auth.Options) { o.Subscribers = []string{subscriberID} }, nil)
}

// events returns the events with a name, oldest first.
func (a *api) events(t *testing.T, name string) []*store.StoredEvent {
	t.Helper()
	es, err := a.Store.EventsByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// lastSecret opens the token of the newest event with a name, as the
// dispatcher would for a subscriber.
func (a *api) lastSecret(t *testing.T, name string) string {
	t.Helper()
	es := a.events(t, name)
	if len(es) == 0 {
		t.Fatalf("no %s event", name)
	}
	sec, err := a.Service.OpenEventSecrets(es[len(es)-1].ID, es[len(es)-1].Sealed)
	if err != nil || sec["token"] == "" {
		t.Fatalf("open %s secrets: %v %v", name, sec, err)
	}
	return sec["token"]
}

func (a *api) requestReset(t *testing.T, actor, id string) *response {
	t.Helper()
	return a.do(t, "", resetTokenQ, map[string]any{"actor": actor, "id": id})
}

func (a *api) reset(t *testing.T, actor, tok, pw string) okPayload {
	t.Helper()
	var p okPayload
	a.do(t, "", resetQ, map[string]any{"actor": actor, "token": tok, "pw": pw}).decode(t, "resetPassword", &p)
	return p
}

func TestPasswordReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		const email, pw = "reset@example.com", "the first password"
		reg := mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))

		// Known and unknown identifiers get byte-identical answers after equal work.
		t.Run("unknown identifier", func(t *testing.T) {
			before := a.Hasher.Derivations()
			known := a.requestReset(t, "CUSTOMER", email)
			unknown := a.requestReset(t, "CUSTOMER", "nobody@example.com")
			normalize := func(r *response) string { return string(r.raw) }
			if normalize(known) != normalize(unknown) || !strings.Contains(string(known.raw), `"accepted":true`) {
				t.Fatalf("answers differ:\n%s\n%s", known.raw, unknown.raw)
			}
			if a.Hasher.Derivations() != before {
				t.Error("a reset request hashed a password")
			}
			if n := len(a.events(t, gatehouse.EventPasswordReset)); n != 1 {
				t.Errorf("%d password_reset events, want 1 (the unknown path rolls back)", n)
			}
		})
		// The event carries the token sealed, and the payload the identity.
		t.Run("reset event", func(t *testing.T) {
			a.requestReset(t, "CUSTOMER", email)
			es := a.events(t, gatehouse.EventPasswordReset)
			e := es[len(es)-1]
			if e.Payload["entity_id"] != email || e.Payload["actor_type"] != "customer" || e.Payload["expires_at"] == nil || e.AuthIdentityID != reg.UserID {
				t.Errorf("payload = %v", e.Payload)
			}
			tok := a.lastSecret(t, gatehouse.EventPasswordReset)
			if strings.Contains(e.Sealed, tok) || strings.Contains(mustJSON(t, e.Payload), tok) {
				t.Error("the token is stored in plain text")
			}
		})
		// A reset sets the password, ends every session and is single-use.
		t.Run("reset", func(t *testing.T) {
			session := mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
			a.requestReset(t, "CUSTOMER", email)
			tok := a.lastSecret(t, gatehouse.EventPasswordReset)
			if p := a.reset(t, "CUSTOMER", tok, "a brand new password"); !p.Success {
				t.Fatalf("reset: %+v", p.Errors)
			}
			wantError(t, a.authenticate(t, "CUSTOMER", email, pw).Errors, "INVALID_CREDENTIALS")
			mustTicket(t, a.authenticate(t, "CUSTOMER", email, "a brand new password"))
			wantError(t, a.rotate(t, *session.RefreshToken).Errors, "TOKEN_INVALID")
			wantError(t, a.reset(t, "CUSTOMER", tok, "another new password").Errors, "TOKEN_INVALID")
			if es := a.events(t, gatehouse.EventPasswordChanged); len(es) != 1 || es[0].Payload["how"] != "reset" {
				t.Errorf("password_changed events = %+v", es)
			}
		})
		// A newer request voids the older token.
		t.Run("newer request", func(t *testing.T) {
			a.requestReset(t, "CUSTOMER", email)
			older := a.lastSecret(t, gatehouse.EventPasswordReset)
			a.requestReset(t, "CUSTOMER", email)
			newer := a.lastSecret(t, gatehouse.EventPasswordReset)
			wantError(t, a.reset(t, "CUSTOMER", older, "yet another password").Errors, "TOKEN_INVALID")
			if p := a.reset(t, "CUSTOMER", newer, "yet another password"); !p.Success {
				t.Fatalf("newer token: %+v", p.Errors)
			}
		})
		t.Run("refused tokens", func(t *testing.T) {
			a.requestReset(t, "CUSTOMER", email)
			tok := a.lastSecret(t, gatehouse.EventPasswordReset)
			for _, tc := range []struct{ name, actor, tok, pw, code string }{
				{"unknown", "CUSTOMER", strings.Repeat("A", 43), "a fine new password", "TOKEN_INVALID"},
				{"garbage", "CUSTOMER", "not a token", "a fine new password", "TOKEN_INVALID"},
				{"another actor type", "USER", tok, "a fine new password", "TOKEN_INVALID"},
				{"a common password", "CUSTOMER", tok, "password123", "PASSWORD_POLICY"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantError(t, a.reset(t, tc.actor, tc.tok, tc.pw).Errors, tc.code)
				})
			}
			t.Run("expired", func(t *testing.T) {
				a.Clock.Advance(15*time.Minute + time.Second)
				wantError(t, a.reset(t, "CUSTOMER", tok, "a fine new password").Errors, "TOKEN_EXPIRED")
			})
		})
		// Of racing resets, one wins.
		t.Run("racing resets", func(t *testing.T) {
			a.requestReset(t, "CUSTOMER", email)
			tok := a.lastSecret(t, gatehouse.EventPasswordReset)
			var wg sync.WaitGroup
			resps := make([]*response, 8)
			errs := make([]error, len(resps))
			for i := range resps {
				wg.Go(func() {
					resps[i], errs[i] = a.post("", resetQ, map[string]any{"actor": "CUSTOMER", "token": tok, "pw": "racing new password"})
				})
			}
			wg.Wait()
			wins := 0
			for i, resp := range resps {
				if errs[i] != nil {
					t.Fatalf("reset %d: %v", i, errs[i])
				}
				var r okPayload
				resp.decode(t, "resetPassword", &r)
				if r.Success {
					wins++
				} else if len(r.Errors) != 1 || r.Errors[0].Code != "TOKEN_INVALID" {
					t.Errorf("loser answered %+v", r.Errors)
				}
			}
			if wins != 1 {
				t.Fatalf("%d resets won, want 1", wins)
			}
		})
	})
}

func TestChangePassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		const email, pw = "change@example.com", "the old password"
		mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))
		here := mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
		elsewhere := mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
		change := func(t *testing.T, bearer, cur, next string) okPayload {
			t.Helper()
			var p okPayload
			a.do(t, bearer, changeQ, map[string]any{"cur": cur, "new": next}).decode(t, "changePassword", &p)
			return p
		}
		// A wrong current password is refused.
		t.Run("wrong current password", func(t *testing.T) {
			wantError(t, change(t, here.AccessToken, "not the password", "the new password").Errors, "INVALID_CREDENTIALS")
		})
		// The password policy applies.
		t.Run("weak new password", func(t *testing.T) {
			wantError(t, change(t, here.AccessToken, pw, "qwerty123").Errors, "PASSWORD_POLICY")
		})
		// A change ends the other sessions only.
		t.Run("other sessions end", func(t *testing.T) {
			if p := change(t, here.AccessToken, pw, "the new password"); !p.Success {
				t.Fatalf("change: %+v", p.Errors)
			}
			mustTicket(t, a.rotate(t, *here.RefreshToken))
			wantError(t, a.rotate(t, *elsewhere.RefreshToken).Errors, "TOKEN_INVALID")
			mustTicket(t, a.authenticate(t, "CUSTOMER", email, "the new password"))
			if es := a.events(t, gatehouse.EventPasswordChanged); len(es) != 1 || es[0].Payload["how"] != "change" {
				t.Errorf("events = %+v", es)
			}
		})
		// A change needs a signed-in identity.
		t.Run("signed out", func(t *testing.T) {
			r := a.do(t, "", changeQ, map[string]any{"cur": pw, "new": "whatever new password"})
			if e := r.topLevel(t); e.Extensions["code"] != "UNAUTHENTICATED" {
				t.Fatalf("error = %+v", e)
			}
		})
	})
}

func TestLockout(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		const email, pw = "lock@example.com", "the right password"
		mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))
		wrong := func(t *testing.T) ticketPayload {
			t.Helper()
			return a.authenticate(t, "CUSTOMER", email, "a wrong password")
		}

		// Five failures lock, and the lock looks like any failure.
		t.Run("five failures", func(t *testing.T) {
			for range 5 {
				wantError(t, wrong(t).Errors, "INVALID_CREDENTIALS")
			}
			locked := a.authenticate(t, "CUSTOMER", email, pw)
			unknown := a.authenticate(t, "CUSTOMER", "nobody@example.com", pw)
			wantError(t, locked.Errors, "INVALID_CREDENTIALS")
			if mustJSON(t, locked.Errors) != mustJSON(t, unknown.Errors) {
				t.Errorf("a locked account answers differently: %s vs %s", mustJSON(t, locked.Errors), mustJSON(t, unknown.Errors))
			}
			if es := a.events(t, gatehouse.EventAccountLocked); len(es) != 1 {
				t.Fatalf("account_locked events = %d", len(es))
			}
		})
		// The lock expires.
		t.Run("lock expiry", func(t *testing.T) {
			a.Clock.Advance(15*time.Minute + time.Second)
			mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
		})
		// The next lock lasts twice as long.
		t.Run("second lock", func(t *testing.T) {
			// An account of its own, locked once and let out, so that
			// the subtest runs alone.
			const relock = "relock@example.com"
			mustTicket(t, a.register(t, "CUSTOMER", relock, pw, ""))
			lock := func() {
				for range 5 {
					a.authenticate(t, "CUSTOMER", relock, "a wrong password")
				}
			}
			lock()
			a.Clock.Advance(15*time.Minute + time.Second)
			mustTicket(t, a.authenticate(t, "CUSTOMER", relock, pw))
			lock()
			a.Clock.Advance(15*time.Minute + time.Second)
			wantError(t, a.authenticate(t, "CUSTOMER", relock, pw).Errors, "INVALID_CREDENTIALS")
			a.Clock.Advance(15 * time.Minute)
			mustTicket(t, a.authenticate(t, "CUSTOMER", relock, pw))
		})
		// A password reset unlocks.
		t.Run("reset while locked", func(t *testing.T) {
			for range 5 {
				wrong(t)
			}
			a.requestReset(t, "CUSTOMER", email)
			if p := a.reset(t, "CUSTOMER", a.lastSecret(t, gatehouse.EventPasswordReset), "a reset password"); !p.Success {
				t.Fatalf("reset: %+v", p.Errors)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", email, "a reset password"))
		})
		// 50 parallel wrong attempts check at most five passwords.
		t.Run("parallel wrong attempts", func(t *testing.T) {
			const racer = "race@example.com"
			mustTicket(t, a.register(t, "CUSTOMER", racer, pw, ""))
			before := len(a.events(t, gatehouse.EventAccountLocked))
			var wg sync.WaitGroup
			errs := make([]error, 50)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = a.post("", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": racer, "password": "a wrong password"}})
				})
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("attempt %d: %v", i, err)
				}
			}
			if n := len(a.events(t, gatehouse.EventAccountLocked)) - before; n != 1 {
				t.Errorf("%d locks, want 1", n)
			}
			wantError(t, a.authenticate(t, "CUSTOMER", racer, pw).Errors, "INVALID_CREDENTIALS")
		})
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
