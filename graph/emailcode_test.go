package graph_test

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	requestCodeQ = `mutation($actor: ActorType!, $e: String!) { requestEmailCode(actor: $actor, input: {email: $e}) { accepted errors { code field } } }`
	codeAuthQ    = `mutation($actor: ActorType!, $input: AuthenticateInput) { authenticate(actor: $actor, provider: "emailcode", input: $input) { mfa { challengeToken factors } ` + ticketFields + ` } }`
)

// emailCode asks for a code for email and reads it from the event, as the
// subscriber sending it would.
func (a *api) emailCode(t *testing.T, actor, email string) string {
	t.Helper()
	var p struct {
		Accepted bool
		Errors   []authError
	}
	a.do(t, "", requestCodeQ, map[string]any{"actor": actor, "e": email}).decode(t, "requestEmailCode", &p)
	if !p.Accepted {
		t.Fatalf("requestEmailCode: %+v", p.Errors)
	}
	es := a.events(t, gatehouse.EventEmailCode)
	last := es[len(es)-1]
	if last.Payload["email"] != email {
		t.Fatalf("the last auth.email_code is for %v", last.Payload["email"])
	}
	sec, err := a.Service.OpenEventSecrets(last.ID, last.Sealed)
	if err != nil || len(sec["code"]) != 6 {
		t.Fatalf("code: %v %v", sec, err)
	}
	return sec["code"]
}

func (a *api) codeSignIn(t *testing.T, actor, email, code string) challengePayload {
	t.Helper()
	var p challengePayload
	a.do(t, "", codeAuthQ, map[string]any{"actor": actor, "input": map[string]any{"email": email, "code": code}}).decode(t, "authenticate", &p)
	return p
}

func TestEmailCodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		const email = "code@example.com"
		a.signUpCustomer(t, email)

		t.Run("listed as a provider", func(t *testing.T) {
			r := a.do(t, "", `{ authProviders(actor: CUSTOMER) { id kind signUpAllowed } }`, nil)
			if !contains(string(r.raw), `{"id":"emailcode","kind":"EMAIL_CODE","signUpAllowed":true}`) {
				t.Fatalf("authProviders: %s", r.raw)
			}
		})
		t.Run("signs in at aal1", func(t *testing.T) {
			code := a.emailCode(t, "CUSTOMER", email)
			p := a.codeSignIn(t, "CUSTOMER", email, code)
			tk := mustTicket(t, ticketPayload{Ticket: p.Ticket, Errors: p.Errors})
			if c := jwtClaims(t, tk.AccessToken); c["aal"] != "aal1" || !slices.Equal(anyStrings(c["amr"]), []string{"otp"}) || tk.ActorID == nil {
				t.Fatalf("aal %v amr %v actor %v", c["aal"], c["amr"], tk.ActorID)
			}
			t.Run("good once", func(t *testing.T) {
				wantError(t, a.codeSignIn(t, "CUSTOMER", email, code).Errors, "INVALID_CREDENTIALS")
			})
		})
		t.Run("a new code retires the older one", func(t *testing.T) {
			old := a.emailCode(t, "CUSTOMER", email)
			fresh := a.emailCode(t, "CUSTOMER", email)
			if old != fresh {
				wantError(t, a.codeSignIn(t, "CUSTOMER", email, old).Errors, "INVALID_CREDENTIALS")
			}
			mustTicket(t, ticketPayload{Ticket: a.codeSignIn(t, "CUSTOMER", email, fresh).Ticket})
		})
		t.Run("expired", func(t *testing.T) {
			code := a.emailCode(t, "CUSTOMER", email)
			a.Clock.Advance(10*time.Minute + time.Second)
			wantError(t, a.codeSignIn(t, "CUSTOMER", email, code).Errors, "INVALID_CREDENTIALS")
		})
		t.Run("five tries, then the code is dead", func(t *testing.T) {
			code := a.emailCode(t, "CUSTOMER", email)
			wrong := "000000"
			if code == wrong {
				wrong = "111111"
			}
			for range 5 {
				wantError(t, a.codeSignIn(t, "CUSTOMER", email, wrong).Errors, "INVALID_CREDENTIALS")
			}
			wantError(t, a.codeSignIn(t, "CUSTOMER", email, code).Errors, "INVALID_CREDENTIALS")
		})
		t.Run("a new address registers, verified", func(t *testing.T) {
			const fresh = "newcomer@example.com"
			p := a.codeSignIn(t, "CUSTOMER", fresh, a.emailCode(t, "CUSTOMER", fresh))
			tk := mustTicket(t, ticketPayload{Ticket: p.Ticket, Errors: p.Errors})
			if tk.ActorID != nil {
				t.Fatalf("want a registration ticket, got actor %v", *tk.ActorID)
			}
			var c customerPayload
			a.do(t, tk.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{"firstName": "New"}}).decode(t, "createCustomer", &c)
			if len(c.Errors) > 0 {
				t.Fatalf("createCustomer: %+v", c.Errors)
			}
			signed := mustTicket(t, ticketPayload{Ticket: a.codeSignIn(t, "CUSTOMER", fresh, a.emailCode(t, "CUSTOMER", fresh)).Ticket})
			var me struct{ EmailVerified bool }
			a.do(t, signed.AccessToken, `{ currentCustomer { emailVerified } }`, nil).decode(t, "currentCustomer", &me)
			if !me.EmailVerified {
				t.Fatal("an address proved by a code is not verified")
			}
		})
		// A customer with no way to sign in (imported so) gets the email
		// sign-in from the code that proved its address.
		t.Run("a customer without an identity", func(t *testing.T) {
			email, now := "imported@example.com", a.Clock.Now()
			c := &gatehouse.Customer{ID: gatehouse.NewID(gatehouse.PrefixCustomer), Email: &email, HasAccount: true, IsActive: true,
				Metadata: map[string]any{}, Attributes: []gatehouse.CustomerAttribute{}, CreatedAt: now, UpdatedAt: now}
			if err := a.Store.CreateCustomer(t.Context(), c); err != nil {
				t.Fatal(err)
			}
			p := a.codeSignIn(t, "CUSTOMER", email, a.emailCode(t, "CUSTOMER", email))
			if tk := mustTicket(t, ticketPayload{Ticket: p.Ticket, Errors: p.Errors}); tk.ActorID == nil || *tk.ActorID != c.ID {
				t.Fatalf("signed in as %v, want %s", tk.ActorID, c.ID)
			}
		})
		t.Run("an admin address without an account gets nothing", func(t *testing.T) {
			before := len(a.events(t, gatehouse.EventEmailCode))
			var p struct{ Accepted bool }
			a.do(t, "", requestCodeQ, map[string]any{"actor": "USER", "e": "stranger@example.com"}).decode(t, "requestEmailCode", &p)
			if !p.Accepted || len(a.events(t, gatehouse.EventEmailCode)) != before {
				t.Fatalf("accepted %v; events %d → %d", p.Accepted, before, len(a.events(t, gatehouse.EventEmailCode)))
			}
			wantError(t, a.codeSignIn(t, "USER", "stranger@example.com", "123456").Errors, "INVALID_CREDENTIALS")
		})
		t.Run("a second factor still gets the challenge", func(t *testing.T) {
			acc := a.mfaCustomer(t, "code-mfa@example.com")
			p := a.codeSignIn(t, "CUSTOMER", acc.email, a.emailCode(t, "CUSTOMER", acc.email))
			if p.Ticket != nil || p.Mfa == nil {
				t.Fatalf("ticket %v, mfa %v, errors %+v", p.Ticket, p.Mfa, p.Errors)
			}
			tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": p.Mfa.ChallengeToken, "totpCode": a.code(t, acc.secret)}))
			if c := jwtClaims(t, tk.AccessToken); c["aal"] != "aal2" || !slices.Equal(anyStrings(c["amr"]), []string{"otp", "mfa"}) {
				t.Fatalf("aal %v amr %v", c["aal"], c["amr"])
			}
		})
		t.Run("a malformed address", func(t *testing.T) {
			var p struct {
				Accepted bool
				Errors   []authError
			}
			a.do(t, "", requestCodeQ, map[string]any{"actor": "CUSTOMER", "e": "not an address"}).decode(t, "requestEmailCode", &p)
			wantError(t, p.Errors, "INVALID_INPUT")
		})
	})
}
