package graph_test

import (
	"slices"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// What a client reads for each of the NIST SP 800-63B rules beyond length,
// the email and the common-password list.
const (
	contextRuleMessage    = "A password may not contain the service's name, your email address or your name."
	repetitiveRuleMessage = "A password may not repeat one character four times in a row or use only three different characters."
	sequentialRuleMessage = "A password may not contain a run such as “abcd”, “4321” or a keyboard row."
)

// wantPolicy fails unless errs is one PASSWORD_POLICY error on field with
// the message.
func wantPolicy(t *testing.T, errs []authError, field []string, message string) {
	t.Helper()
	e := wantError(t, errs, "PASSWORD_POLICY")
	if e.Message != message || !slices.Equal(e.Field, field) {
		t.Errorf("error = %q on %v, want %q on %v", e.Message, e.Field, message, field)
	}
}

func TestPasswordPolicyRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)

		t.Run("register", func(t *testing.T) {
			for _, tc := range []struct {
				name, pw, message string
			}{
				{"service name", "gatehouse2026", contextRuleMessage},
				{"one character", "aaaaaaaaaaaa", repetitiveRuleMessage},
				{"letter run", "abcdefghijk", sequentialRuleMessage},
				{"digit run", "1234567890123", sequentialRuleMessage},
				{"email local part", "alice123456", contextRuleMessage},
				{"email local part, other case", "Alice in Wonderland", contextRuleMessage},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantPolicy(t, a.register(t, "CUSTOMER", "alice@example.com", tc.pw, "").Errors, []string{"input", "password"}, tc.message)
				})
			}
			t.Run("nothing was created", func(t *testing.T) {
				wantError(t, a.authenticate(t, "CUSTOMER", "alice@example.com", "alice123456").Errors, "INVALID_CREDENTIALS")
			})
			t.Run("passphrase accepted", func(t *testing.T) {
				mustTicket(t, a.register(t, "CUSTOMER", "alice@example.com", "correct horse battery staple", ""))
			})
		})

		// The names of a stored customer are context words when its
		// password changes or is reset.
		const email, pw = "mlb@example.com", "correct horse battery staple"
		reg := mustTicket(t, a.register(t, "CUSTOMER", email, pw, ""))
		var c customerPayload
		a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{
			"firstName": "Marguerite", "lastName": "Byron-Lovelace", "userName": "bluebird_42",
		}}).decode(t, "createCustomer", &c)
		if len(c.Errors) > 0 {
			t.Fatalf("createCustomer: %+v", c.Errors)
		}
		linked := mustTicket(t, a.refresh(t, reg.AccessToken))

		t.Run("change", func(t *testing.T) {
			change := func(next string) okPayload {
				t.Helper()
				var p okPayload
				a.do(t, linked.AccessToken, changeQ, map[string]any{"cur": pw, "new": next}).decode(t, "changePassword", &p)
				return p
			}
			for _, tc := range []struct {
				name, pw string
			}{
				{"first name", "Marguerite's garden"},
				{"part of the last name", "byron wrote poems"},
				{"user name", "BlueBird_42 sings"},
				{"service name", "my GateHouse key"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					wantPolicy(t, change(tc.pw).Errors, []string{"input", "newPassword"}, contextRuleMessage)
				})
			}
			if p := change("a brand new passphrase"); !p.Success {
				t.Fatalf("change: %+v", p.Errors)
			}
		})
		// A reset ends every session, so it comes after the change.
		t.Run("reset", func(t *testing.T) {
			a.requestReset(t, "CUSTOMER", email)
			tok := a.lastSecret(t, gatehouse.EventPasswordReset)
			wantPolicy(t, a.reset(t, "CUSTOMER", tok, "i am marguerite!").Errors, []string{"input", "password"}, contextRuleMessage)
			wantPolicy(t, a.reset(t, "CUSTOMER", tok, "xyzzy 1234 plugh").Errors, []string{"input", "password"}, sequentialRuleMessage)
			if p := a.reset(t, "CUSTOMER", tok, "a refused try keeps the token"); !p.Success {
				t.Fatalf("reset: %+v", p.Errors)
			}
		})
	})
}
