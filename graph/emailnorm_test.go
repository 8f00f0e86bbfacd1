package graph_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// Addresses that look the same in a dashboard are one identity, or none:
// the full-width form of an email is the email, an IDN domain is its
// A-label, and an invisible character makes the address invalid.
func TestEmailNormalization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		_, alice := a.signUpCustomer(t, "alice@example.com")
		mustTicket(t, a.register(t, "CUSTOMER", "bob@bücher.example", "correct horse battery", ""))

		for _, tc := range []struct {
			name, email, code string
		}{
			{"full-width local part", "ａｌｉｃｅ@example.com", "DUPLICATE"},
			{"full-width at sign and domain", "ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ", "DUPLICATE"},
			{"A-label of a U-label domain", "bob@xn--bcher-kva.example", "DUPLICATE"},
			{"zero-width space", "ali\u200bce@example.com", "INVALID_INPUT"},
			{"zero-width joiner", "ali\u200dce@example.com", "INVALID_INPUT"},
			{"bidi control", "alice\u202e@example.com", "INVALID_INPUT"},
			{"byte order mark", "\ufeffalice@example.com", "INVALID_INPUT"},
		} {
			t.Run("register/"+tc.name, func(t *testing.T) {
				e := wantError(t, a.register(t, "CUSTOMER", tc.email, "another long password", "").Errors, tc.code)
				if strings.Join(e.Field, ".") != "input.email" {
					t.Fatalf("field = %v, want input.email", e.Field)
				}
				if tc.code == "INVALID_INPUT" && e.Message != "The email address is not valid." {
					t.Fatalf("message = %q", e.Message)
				}
			})
		}

		// Sign in with the full-width form signs alice in.
		t.Run("sign in full-width", func(t *testing.T) {
			tk := mustTicket(t, a.authenticate(t, "CUSTOMER", "ａｌｉｃｅ@ｅｘａｍｐｌｅ.com", "correct horse battery"))
			if tk.ActorID == nil || *tk.ActorID != alice.ID || tk.CustomerAccount == nil || tk.CustomerAccount.Email != "alice@example.com" {
				t.Fatalf("ticket = %+v, want alice's (%s)", tk, alice.ID)
			}
		})
		// Sign in with the U-label domain.
		t.Run("sign in U-label", func(t *testing.T) {
			mustTicket(t, a.authenticate(t, "CUSTOMER", "bob@BÜCHER.example", "correct horse battery"))
		})
		// Sign in with a zero-width space signs nobody in.
		t.Run("sign in zero-width space", func(t *testing.T) {
			wantError(t, a.authenticate(t, "CUSTOMER", "ali\u200bce@example.com", "correct horse battery").Errors, "INVALID_CREDENTIALS")
		})
	})
}
