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
	exportAccountQ  = `mutation { exportAccountData { data errors { code type message field } } }`
	exportCustomerQ = `mutation($id: ID!) { exportCustomerData(id: $id) { data errors { code type message field } } }`
)

type exportPayload struct {
	Data   map[string]any `json:"data"`
	Errors []authError    `json:"errors"`
}

func TestDataExport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := deletionAPI(t, db, 0)
		bearer, c := a.signUpCustomer(t, "export@example.com")
		var up customerPayload
		a.do(t, bearer, updateCustomerQ, map[string]any{"input": map[string]any{"phone": "+1 555 0100", "acceptsMarketing": true}}).decode(t, "updateCustomer", &up)
		var ap addressPayload
		a.do(t, bearer, addAddressQ, map[string]any{"input": map[string]any{"city": "Boston", "countryCode": "us"}}).decode(t, "addCustomerAddress", &ap)
		a.requestReset(t, "CUSTOMER", "export@example.com")

		t.Run("the account's own copy", func(t *testing.T) {
			r := a.do(t, bearer, exportAccountQ, nil)
			var p exportPayload
			r.decode(t, "exportAccountData", &p)
			d := p.Data
			if len(p.Errors) > 0 || d["format"] != "gatehouse.account-export/v1" || d["actorType"] != "customer" {
				t.Fatalf("exportAccountData: %+v", p)
			}
			profile, _ := d["profile"].(map[string]any)
			consents, _ := d["consents"].(map[string]any)
			addresses, _ := d["addresses"].([]any)
			identities, _ := d["identities"].([]any)
			sessions, _ := d["sessions"].([]any)
			events, _ := d["events"].([]any)
			if profile["id"] != c.ID || profile["email"] != "export@example.com" || profile["phone"] != "+1 555 0100" || consents["acceptsMarketing"] != true {
				t.Fatalf("profile %v consents %v", profile, consents)
			}
			if len(addresses) != 1 || addresses[0].(map[string]any)["city"] != "Boston" {
				t.Fatalf("addresses %v", addresses)
			}
			if len(identities) != 1 || identities[0].(map[string]any)["provider"] != "emailpass" || len(sessions) == 0 {
				t.Fatalf("identities %v sessions %d", identities, len(sessions))
			}
			types := map[string]bool{}
			for _, e := range events {
				types[e.(map[string]any)["type"].(string)] = true
			}
			if !types[gatehouse.EventCustomerCreated] || !types[gatehouse.EventPasswordReset] {
				t.Fatalf("event types %v", types)
			}
			// Never a secret: no hash, no sealed event secret, no token.
			for _, secret := range []string{"$argon2", "password\"", "sealed", "token\""} {
				if strings.Contains(string(r.raw), secret) {
					t.Errorf("the export holds %q", secret)
				}
			}
			if es := a.events(t, gatehouse.EventAccountDataExported); len(es) != 1 || es[0].Payload["by"] != "self" {
				t.Fatalf("auth.account_data_exported events: %+v", es)
			}
		})

		t.Run("for support", func(t *testing.T) {
			root := a.admin(t)
			var p exportPayload
			a.do(t, root, exportCustomerQ, map[string]any{"id": c.ID}).decode(t, "exportCustomerData", &p)
			if len(p.Errors) > 0 || p.Data["profile"].(map[string]any)["id"] != c.ID {
				t.Fatalf("exportCustomerData: %+v", p)
			}
			a.do(t, root, exportCustomerQ, map[string]any{"id": "cus_unknown"}).decode(t, "exportCustomerData", &p)
			wantError(t, p.Errors, "NOT_FOUND")
			es := a.events(t, gatehouse.EventAccountDataExported)
			if e := es[len(es)-1]; e.Payload["by"] != "admin" || e.Payload["customer_id"] != c.ID {
				t.Fatalf("auth.account_data_exported: %v", e.Payload)
			}
		})

		t.Run("step-up", func(t *testing.T) {
			a.Clock.Advance(11 * time.Minute)
			wantReason(t, a.do(t, bearer, exportAccountQ, nil), "REAUTH_REQUIRED")
		})

		t.Run("a user's copy", func(t *testing.T) {
			root := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
			var p exportPayload
			a.do(t, root, `mutation { exportAccountData(actor: USER) { data errors { code message } } }`, nil).decode(t, "exportAccountData", &p)
			if len(p.Errors) > 0 || p.Data["profile"].(map[string]any)["email"] != "root@example.com" || p.Data["roles"] == nil {
				t.Fatalf("a user's exportAccountData: %+v", p)
			}
		})
	})
}
