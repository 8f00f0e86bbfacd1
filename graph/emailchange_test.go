package graph_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	requestEmailChangeQ = `mutation($e: String!, $pw: String) { requestEmailChange(input: {newEmail: $e, currentPassword: $pw}) { accepted errors { code type message field } } }`
	confirmEmailChangeQ = `mutation($t: String!) { confirmEmailChange(input: {token: $t}) { success errors { code type message field } } }`
	revertEmailChangeQ  = `mutation($t: String!) { revertEmailChange(input: {token: $t}) { success errors { code type message field } } }`
)

// requestEmailChange asks for bearer's account to move to email.
func (a *api) requestEmailChange(t *testing.T, bearer, email string, pw any) okPayload {
	t.Helper()
	var p okPayload
	a.do(t, bearer, requestEmailChangeQ, map[string]any{"e": email, "pw": pw}).decode(t, "requestEmailChange", &p)
	return p
}

// emailChange answers confirmEmailChange (or revertEmailChange) with tok.
func (a *api) emailChange(t *testing.T, bearer, q, tok string) okPayload {
	t.Helper()
	var p okPayload
	field := "confirmEmailChange"
	if q == revertEmailChangeQ {
		field = "revertEmailChange"
	}
	a.do(t, bearer, q, map[string]any{"t": tok}).decode(t, field, &p)
	return p
}

// currentEmail is the signed-in customer's email and whether it is
// verified.
func (a *api) currentEmail(t *testing.T, bearer string) (string, bool) {
	t.Helper()
	var c struct {
		Email         string
		EmailVerified bool
	}
	a.do(t, bearer, `{ currentCustomer { email emailVerified } }`, nil).decode(t, "currentCustomer", &c)
	return c.Email, c.EmailVerified
}

func TestEmailChange(t *testing.T) {
	const pw = "correct horse battery"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)

		t.Run("confirm moves the account", func(t *testing.T) {
			bearer, c := a.signUpCustomer(t, "move@example.com")
			other := mustTicket(t, a.authenticate(t, "CUSTOMER", "move@example.com", pw))
			if p := a.requestEmailChange(t, bearer, "Moved@Example.com", nil); !p.Accepted {
				t.Fatalf("requestEmailChange: %+v", p.Errors)
			}
			req, notice := a.events(t, gatehouse.EventEmailChangeRequested), a.events(t, gatehouse.EventEmailChangeNotice)
			if len(req) != 1 || req[0].Payload["entity_id"] != "moved@example.com" || len(notice) != 1 || notice[0].Payload["entity_id"] != "move@example.com" {
				t.Fatalf("events: requested %+v, notice %+v", req, notice)
			}
			// Nothing changes before the confirmation.
			mustTicket(t, a.authenticate(t, "CUSTOMER", "move@example.com", pw))
			tok := a.lastSecret(t, gatehouse.EventEmailChangeRequested)
			if p := a.emailChange(t, bearer, confirmEmailChangeQ, tok); !p.Success {
				t.Fatalf("confirmEmailChange: %+v", p.Errors)
			}
			if email, verified := a.currentEmail(t, bearer); email != "moved@example.com" || !verified {
				t.Fatalf("email %q verified %v", email, verified)
			}
			signed := mustTicket(t, a.authenticate(t, "CUSTOMER", "moved@example.com", pw))
			if *signed.ActorID != c.ID {
				t.Fatalf("signed in as %s, want %s", *signed.ActorID, c.ID)
			}
			wantError(t, a.authenticate(t, "CUSTOMER", "move@example.com", pw).Errors, "INVALID_CREDENTIALS")
			// The other session ended; the confirming one stays.
			wantError(t, a.rotate(t, *other.RefreshToken).Errors, "TOKEN_INVALID")
			if es := a.events(t, gatehouse.EventEmailChanged); len(es) != 1 || es[0].Payload["previous_email"] != "move@example.com" {
				t.Fatalf("auth.email_changed events: %+v", es)
			}
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, tok).Errors, "TOKEN_INVALID")
		})

		t.Run("step-up", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "stale@example.com")
			a.Clock.Advance(11 * time.Minute) // past GATEHOUSE_REAUTH_MAX_AGE
			for name, c := range map[string]struct {
				pw     any
				code   string
				reason string
			}{
				"no password":    {nil, "FORBIDDEN", "REAUTH_REQUIRED"},
				"wrong password": {"not the password at all", "INVALID_CREDENTIALS", ""},
			} {
				t.Run(name, func(t *testing.T) {
					r := a.do(t, bearer, requestEmailChangeQ, map[string]any{"e": "fresh@example.com", "pw": c.pw})
					if c.reason != "" {
						wantReason(t, r, c.reason)
						return
					}
					var p okPayload
					r.decode(t, "requestEmailChange", &p)
					wantError(t, p.Errors, c.code)
				})
			}
			t.Run("the password stands in", func(t *testing.T) {
				if p := a.requestEmailChange(t, bearer, "fresh@example.com", pw); !p.Accepted {
					t.Fatalf("requestEmailChange: %+v", p.Errors)
				}
			})
			t.Run("not with a second factor", func(t *testing.T) {
				acc := a.mfaCustomer(t, "twofactor@example.com")
				a.Clock.Advance(11 * time.Minute)
				tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "totpCode": a.code(t, acc.secret)}))
				a.Clock.Advance(11 * time.Minute)
				wantReason(t, a.do(t, tk.AccessToken, requestEmailChangeQ, map[string]any{"e": "elsewhere@example.com", "pw": pw}), "REAUTH_REQUIRED")
			})
			t.Run("anonymous shopper", func(t *testing.T) {
				anon := mustKibo(t, a.kibo(t, "", anonymousQ, "createAnonymousShopperAuthTicket", nil))
				wantError(t, a.requestEmailChange(t, anon.AccessToken, "shopper@example.com", nil).Errors, "NOT_ALLOWED")
			})
			t.Run("signed out", func(t *testing.T) {
				if e := a.do(t, "", requestEmailChangeQ, map[string]any{"e": "x@example.com"}).topLevel(t); e.Extensions["code"] != "UNAUTHENTICATED" {
					t.Fatalf("error = %+v", e)
				}
			})
			t.Run("bad address", func(t *testing.T) {
				fresh := mustTicket(t, a.authenticate(t, "CUSTOMER", "stale@example.com", pw))
				for _, e := range []string{"not an address", "stale@example.com"} {
					if p := a.requestEmailChange(t, fresh.AccessToken, e, nil); wantError(t, p.Errors, "INVALID_INPUT").Field[1] != "newEmail" {
						t.Fatalf("%q: %+v", e, p.Errors)
					}
				}
			})
		})

		// A taken address answers and works as a free one does, until the
		// confirmation says DUPLICATE and changes nothing.
		t.Run("taken address", func(t *testing.T) {
			a.signUpCustomer(t, "holder@example.com")
			bearer, _ := a.signUpCustomer(t, "seeker@example.com")
			before := len(a.events(t, gatehouse.EventEmailChangeRequested))
			taken := a.do(t, bearer, requestEmailChangeQ, map[string]any{"e": "holder@example.com"})
			takenTok := a.lastSecret(t, gatehouse.EventEmailChangeRequested)
			free := a.do(t, bearer, requestEmailChangeQ, map[string]any{"e": "nobody-yet@example.com"})
			if string(taken.raw) != string(free.raw) || !strings.Contains(string(taken.raw), `"accepted":true`) {
				t.Fatalf("answers differ:\n%s\n%s", taken.raw, free.raw)
			}
			if n := len(a.events(t, gatehouse.EventEmailChangeRequested)) - before; n != 2 {
				t.Fatalf("%d requested events, want 2", n)
			}
			// The newer request voided the older link.
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, takenTok).Errors, "TOKEN_INVALID")
			a.requestEmailChange(t, bearer, "holder@example.com", nil)
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, a.lastSecret(t, gatehouse.EventEmailChangeRequested)).Errors, "DUPLICATE")
			if email, _ := a.currentEmail(t, bearer); email != "seeker@example.com" {
				t.Fatalf("email %q after a refused change", email)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", "seeker@example.com", pw))
			mustTicket(t, a.authenticate(t, "CUSTOMER", "holder@example.com", pw))
		})

		t.Run("expired and unknown tokens", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "slow@example.com")
			a.requestEmailChange(t, bearer, "slower@example.com", nil)
			tok := a.lastSecret(t, gatehouse.EventEmailChangeRequested)
			revert := a.lastSecret(t, gatehouse.EventEmailChangeNotice)
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, "garbage").Errors, "TOKEN_INVALID")
			wantError(t, a.emailChange(t, "", revertEmailChangeQ, "garbage").Errors, "TOKEN_INVALID")
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, revert).Errors, "TOKEN_INVALID")
			a.Clock.Advance(24*time.Hour + time.Second)
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, tok).Errors, "TOKEN_EXPIRED")
			a.Clock.Advance(48 * time.Hour)
			wantError(t, a.emailChange(t, "", revertEmailChangeQ, revert).Errors, "TOKEN_EXPIRED")
			mustTicket(t, a.authenticate(t, "CUSTOMER", "slow@example.com", pw))
		})

		// The old address undoes a change someone else made: the address
		// comes back, every session ends, and only a reset lets a password
		// sign in again.
		t.Run("revert", func(t *testing.T) {
			bearer, c := a.signUpCustomer(t, "victim@example.com")
			a.requestEmailChange(t, bearer, "thief@example.com", nil)
			revert := a.lastSecret(t, gatehouse.EventEmailChangeNotice)
			if p := a.emailChange(t, "", confirmEmailChangeQ, a.lastSecret(t, gatehouse.EventEmailChangeRequested)); !p.Success {
				t.Fatalf("confirmEmailChange: %+v", p.Errors)
			}
			thief := mustTicket(t, a.authenticate(t, "CUSTOMER", "thief@example.com", pw))
			resets := len(a.events(t, gatehouse.EventPasswordReset))
			if p := a.emailChange(t, "", revertEmailChangeQ, revert); !p.Success {
				t.Fatalf("revertEmailChange: %+v", p.Errors)
			}
			wantError(t, a.emailChange(t, "", revertEmailChangeQ, revert).Errors, "TOKEN_INVALID")
			wantError(t, a.rotate(t, *thief.RefreshToken).Errors, "TOKEN_INVALID")
			for _, e := range []string{"victim@example.com", "thief@example.com"} {
				wantError(t, a.authenticate(t, "CUSTOMER", e, pw).Errors, "INVALID_CREDENTIALS")
			}
			es := a.events(t, gatehouse.EventPasswordReset)
			if len(es) != resets+1 || es[len(es)-1].Payload["entity_id"] != "victim@example.com" {
				t.Fatalf("auth.password_reset events: %d, want %d to the old address", len(es), resets+1)
			}
			var p okPayload
			a.do(t, "", resetQ, map[string]any{"actor": "CUSTOMER", "token": a.lastSecret(t, gatehouse.EventPasswordReset), "pw": "taken back for good 9"}).decode(t, "resetPassword", &p)
			if !p.Success {
				t.Fatalf("resetPassword: %+v", p.Errors)
			}
			back := mustTicket(t, a.authenticate(t, "CUSTOMER", "victim@example.com", "taken back for good 9"))
			if email, verified := a.currentEmail(t, back.AccessToken); *back.ActorID != c.ID || email != "victim@example.com" || !verified {
				t.Fatalf("after the revert: %s %q verified %v", *back.ActorID, email, verified)
			}
			if es := a.events(t, gatehouse.EventEmailChangeReverted); len(es) != 1 || es[0].Payload["password_reset_required"] != true {
				t.Fatalf("auth.email_change_reverted events: %+v", es)
			}
		})

		// A revert before the confirmation cancels the change.
		t.Run("revert before the confirmation", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "early@example.com")
			a.requestEmailChange(t, bearer, "intruder@example.com", nil)
			tok := a.lastSecret(t, gatehouse.EventEmailChangeRequested)
			if p := a.emailChange(t, "", revertEmailChangeQ, a.lastSecret(t, gatehouse.EventEmailChangeNotice)); !p.Success {
				t.Fatalf("revertEmailChange: %+v", p.Errors)
			}
			wantError(t, a.emailChange(t, "", confirmEmailChangeQ, tok).Errors, "TOKEN_INVALID")
			wantError(t, a.authenticate(t, "CUSTOMER", "early@example.com", pw).Errors, "INVALID_CREDENTIALS")
		})

		t.Run("admin user", func(t *testing.T) {
			bearer := a.admin(t)
			if p := a.requestEmailChange(t, bearer, "boss@example.com", nil); !p.Accepted {
				t.Fatalf("requestEmailChange: %+v", p.Errors)
			}
			if p := a.emailChange(t, "", confirmEmailChangeQ, a.lastSecret(t, gatehouse.EventEmailChangeRequested)); !p.Success {
				t.Fatalf("confirmEmailChange: %+v", p.Errors)
			}
			tk := mustTicket(t, a.authenticate(t, "USER", "boss@example.com", "the first admin passphrase"))
			var u struct{ Email string }
			a.do(t, tk.AccessToken, `{ currentUser { email } }`, nil).decode(t, "currentUser", &u)
			if u.Email != "boss@example.com" {
				t.Fatalf("currentUser email %q", u.Email)
			}
		})
	})
}
