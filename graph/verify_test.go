package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	requestVerifyQ = `mutation { requestEmailVerification { accepted errors { code type message field } } }`
	verifyQ        = `mutation($t: String!) { verifyEmail(input: {token: $t}) { success errors { code type message field } } }`
)

func TestEmailVerification(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := buildAPI(t, db, func(o *auth.Options) {
			o.Subscribers = []string{subscriberID}
			o.RequireVerifiedEmail = true
		}, nil)
		const email, pw = "verify@example.com", "confirm me password 1"
		reg := mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))
		a.do(t, reg.AccessToken, `mutation { createCustomer(input: {firstName: "V"}) { errors { code } } }`, nil)
		verify := func(tok string) okPayload {
			var p okPayload
			a.do(t, "", verifyQ, map[string]any{"t": tok}).decode(t, "verifyEmail", &p)
			return p
		}

		// Sign-in waits for a verified email, after the password check.
		t.Run("unverified sign-in", func(t *testing.T) {
			wantError(t, a.authenticate(t, "CUSTOMER", email, pw).Errors, "NOT_ALLOWED")
			wantError(t, a.authenticate(t, "CUSTOMER", email, "a wrong password").Errors, "INVALID_CREDENTIALS")
		})
		// A request needs a signed-in identity.
		t.Run("request signed out", func(t *testing.T) {
			if e := a.do(t, "", requestVerifyQ, nil).topLevel(t); e.Extensions["code"] != "UNAUTHENTICATED" {
				t.Fatalf("error = %+v", e)
			}
		})
		// The link verifies the customer's email, once.
		t.Run("verify link", func(t *testing.T) {
			var p okPayload
			a.do(t, reg.AccessToken, requestVerifyQ, nil).decode(t, "requestEmailVerification", &p)
			if !p.Accepted {
				t.Fatalf("request: %+v", p.Errors)
			}
			e := a.events(t, gatehouse.EventEmailVerification)
			if len(e) != 1 || e[0].Payload["entity_id"] != email {
				t.Fatalf("events = %+v", e)
			}
			tok := a.lastSecret(t, gatehouse.EventEmailVerification)
			if r := verify(tok); !r.Success {
				t.Fatalf("verify: %+v", r.Errors)
			}
			wantError(t, verify(tok).Errors, "TOKEN_INVALID")
			signed := mustTicket(t, a.authenticate(t, "CUSTOMER", email, pw))
			var c struct{ EmailVerified bool }
			a.do(t, signed.AccessToken, `{ currentCustomer { emailVerified } }`, nil).decode(t, "currentCustomer", &c)
			if !c.EmailVerified {
				t.Fatal("the customer's emailVerified is false")
			}
		})
		// A link can be asked for without signing in, revealing nothing.
		t.Run("link signed out", func(t *testing.T) {
			const q = `mutation($e: String!) { sendEmailVerification(actor: CUSTOMER, provider: "emailpass", input: {identifier: $e}) { accepted errors { code } } }`
			// An account verified here, so that the subtest runs alone.
			done := mustTicket(t, a.register(t, "CUSTOMER", "already@example.com", pw, ""))
			var req okPayload
			a.do(t, done.AccessToken, requestVerifyQ, nil).decode(t, "requestEmailVerification", &req)
			if r := verify(a.lastSecret(t, gatehouse.EventEmailVerification)); !r.Success {
				t.Fatalf("verify the verified account: %+v", r.Errors)
			}
			mustTicket(t, a.register(t, "CUSTOMER", "lapsed@example.com", pw, ""))
			before := len(a.events(t, gatehouse.EventEmailVerification))
			known := a.do(t, "", q, map[string]any{"e": "lapsed@example.com"})
			unknown := a.do(t, "", q, map[string]any{"e": "nobody@example.com"})
			verified := a.do(t, "", q, map[string]any{"e": "already@example.com"})
			if string(known.raw) != string(unknown.raw) || string(known.raw) != string(verified.raw) || !strings.Contains(string(known.raw), `"accepted":true`) {
				t.Fatalf("answers differ:\n%s\n%s\n%s", known.raw, unknown.raw, verified.raw)
			}
			if n := len(a.events(t, gatehouse.EventEmailVerification)) - before; n != 1 {
				t.Fatalf("%d verification events, want 1 (only the unverified account's)", n)
			}
			if r := verify(a.lastSecret(t, gatehouse.EventEmailVerification)); !r.Success {
				t.Fatalf("verify: %+v", r.Errors)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", "lapsed@example.com", pw))
		})
		t.Run("refused tokens", func(t *testing.T) {
			other := mustTicket(t, a.register(t, "CUSTOMER", "late@example.com", pw, ""))
			var p okPayload
			a.do(t, other.AccessToken, requestVerifyQ, nil).decode(t, "requestEmailVerification", &p)
			tok := a.lastSecret(t, gatehouse.EventEmailVerification)
			wantError(t, verify("garbage").Errors, "TOKEN_INVALID")
			a.Clock.Advance(24*time.Hour + time.Second)
			wantError(t, verify(tok).Errors, "TOKEN_EXPIRED")
		})
	})
}
