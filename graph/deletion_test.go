package graph_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	deleteAccountQ  = `mutation($pw: String) { deleteAccount(input: {currentPassword: $pw}) { deleted scheduledFor errors { code type message field } } }`
	deleteCustomerQ = `mutation($id: ID!) { deleteCustomer(id: $id) { id deleted errors { code type message field } } }`
)

type deleteAccountPayload struct {
	Deleted      bool        `json:"deleted"`
	ScheduledFor *string     `json:"scheduledFor"`
	Errors       []authError `json:"errors"`
}

func (a *api) deleteAccount(t *testing.T, bearer string, pw any) deleteAccountPayload {
	t.Helper()
	var p deleteAccountPayload
	a.do(t, bearer, deleteAccountQ, map[string]any{"pw": pw}).decode(t, "deleteAccount", &p)
	return p
}

// countWhere counts table's rows meeting where.
func countWhere(t *testing.T, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT count(*) FROM "+table+" WHERE "+where, args...).Scan(t.Context(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// deletionAPI is the API with a subscriber (sealed secrets are kept) and
// the Idempotency-Key layer, with grace as GATEHOUSE_DELETION_GRACE.
func deletionAPI(t *testing.T, db *store.DB, grace time.Duration) *api {
	return buildAPI(t, db, func(o *auth.Options) {
		o.Subscribers = []string{subscriberID}
		o.DeletionGrace = grace
	}, func(o *graph.HandlerOptions) {
		o.Idempotency = graph.Idempotency{Store: store.New(db), Key: idemKey, Now: time.Now}
	})
}

func TestDeleteAccount(t *testing.T) {
	const pw = "correct horse battery"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := deletionAPI(t, db, 0)

		t.Run("everything personal goes", func(t *testing.T) {
			bearer, c := a.signUpCustomer(t, "gone@example.com")
			other := mustTicket(t, a.authenticate(t, "CUSTOMER", "gone@example.com", pw))
			key := "update-1"
			if _, err := a.keyed(bearer, &key, updateCustomerQ, map[string]any{"input": map[string]any{"phone": "+44 20 7946 0000", "metadata": map[string]any{"tier": "gold"}}}); err != nil {
				t.Fatal(err)
			}
			var ap addressPayload
			a.do(t, bearer, addAddressQ, map[string]any{"input": map[string]any{"city": "Leeds", "countryCode": "gb"}}).decode(t, "addCustomerAddress", &ap)
			a.requestReset(t, "CUSTOMER", "gone@example.com")
			authID := jwtClaims(t, bearer)["auth_identity_id"].(string)
			if countWhere(t, db, "idempotency_record", "auth_identity_id = ?", authID) != 1 || countWhere(t, db, "action_token", "auth_identity_id = ?", authID) != 1 {
				t.Fatal("the fixture lacks an idempotent answer or a reset token")
			}

			a.Clock.Advance(time.Minute) // updated_at stays before it
			if p := a.deleteAccount(t, bearer, nil); !p.Deleted || p.ScheduledFor != nil || len(p.Errors) > 0 {
				t.Fatalf("deleteAccount: %+v", p)
			}
			for _, tc := range []struct{ table, where string }{
				{"auth_identity", "id = ?"},
				{"provider_identity", "auth_identity_id = ?"},
				{"auth_session", "auth_identity_id = ?"},
				{"action_token", "auth_identity_id = ?"},
				{"idempotency_record", "auth_identity_id = ?"},
				{"auth_event", "auth_identity_id = ? AND (sealed IS NOT NULL OR ip IS NOT NULL OR user_agent IS NOT NULL)"},
			} {
				if n := countWhere(t, db, tc.table, tc.where, authID); n != 0 {
					t.Errorf("%s: %d rows left", tc.table, n)
				}
			}
			if n := countWhere(t, db, "auth_event", "CAST(payload AS text) LIKE ?", "%gone@example.com%"); n != 0 {
				t.Errorf("%d events still name the email", n)
			}
			if n := countWhere(t, db, "customer_address", "customer_id = ?", c.ID); n != 0 {
				t.Errorf("%d addresses left", n)
			}
			var row struct {
				Email, FirstName, Phone *string
				Metadata                string
				DeletedAt, UpdatedAt    *time.Time
			}
			if err := db.Bun().NewRaw("SELECT email, first_name, phone, metadata, deleted_at, updated_at FROM customer WHERE id = ?", c.ID).Scan(t.Context(), &row); err != nil {
				t.Fatal(err)
			}
			if row.Email != nil || row.FirstName != nil || row.Phone != nil || row.DeletedAt == nil || (row.Metadata != "{}" && row.Metadata != "{}\n") ||
				row.UpdatedAt == nil || !row.UpdatedAt.Before(*row.DeletedAt) {
				t.Fatalf("customer row after deletion: %+v", row)
			}
			es := a.events(t, gatehouse.EventCustomerDeleted)
			if len(es) != 1 || es[0].Payload["customer_id"] != c.ID || es[0].Payload["by"] != "self" {
				t.Fatalf("customer.deleted events: %+v", es)
			}
			a.wantUnauthenticated(t, bearer, currentQ, "REVOKED")
			wantError(t, a.rotate(t, *other.RefreshToken).Errors, "TOKEN_INVALID")
			wantError(t, a.authenticate(t, "CUSTOMER", "gone@example.com", pw).Errors, "INVALID_CREDENTIALS")
			// The email registers again, as a new customer.
			again, c2 := a.signUpCustomer(t, "gone@example.com")
			if c2.ID == c.ID || again == "" {
				t.Fatalf("registered again as %s", c2.ID)
			}
		})

		t.Run("step-up", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "later@example.com")
			a.Clock.Advance(11 * time.Minute)
			wantReason(t, a.do(t, bearer, deleteAccountQ, map[string]any{"pw": nil}), "REAUTH_REQUIRED")
			wantError(t, a.deleteAccount(t, bearer, "not the password at all").Errors, "INVALID_CREDENTIALS")
			if p := a.deleteAccount(t, bearer, pw); !p.Deleted {
				t.Fatalf("deleteAccount with the password: %+v", p.Errors)
			}
		})

		t.Run("admin deleteCustomer", func(t *testing.T) {
			root := a.admin(t)
			_, c := a.signUpCustomer(t, "support-case@example.com")
			var d deletePayload
			a.do(t, root, deleteCustomerQ, map[string]any{"id": c.ID}).decode(t, "deleteCustomer", &d)
			if !d.Deleted || len(d.Errors) > 0 {
				t.Fatalf("deleteCustomer: %+v", d)
			}
			a.do(t, root, deleteCustomerQ, map[string]any{"id": c.ID}).decode(t, "deleteCustomer", &d)
			wantError(t, d.Errors, "NOT_FOUND")
			wantError(t, a.authenticate(t, "CUSTOMER", "support-case@example.com", pw).Errors, "INVALID_CREDENTIALS")
			es := a.events(t, gatehouse.EventCustomerDeleted)
			if e := es[len(es)-1]; e.Payload["by"] != "admin" || e.Payload["customer_id"] != c.ID {
				t.Fatalf("customer.deleted: %v", e.Payload)
			}
		})

		t.Run("the last owner stays", func(t *testing.T) {
			root := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).AccessToken
			wantError(t, a.deleteAccount(t, root, nil).Errors, "NOT_ALLOWED")
			agent := a.adminWithRoles(t, root, "agent@example.com", "role_support")
			var p deleteAccountPayload
			a.do(t, agent, `mutation { deleteAccount(actor: USER) { deleted errors { code message } } }`, nil).decode(t, "deleteAccount", &p)
			if !p.Deleted {
				t.Fatalf("a user's deleteAccount: %+v", p.Errors)
			}
			wantError(t, a.authenticate(t, "USER", "agent@example.com", "matrix tulip lantern").Errors, "INVALID_CREDENTIALS")
		})

		// Sign-ins racing the deletion: whatever they got, no session
		// survives it.
		t.Run("concurrent sign-in", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "racing@example.com")
			authID := jwtClaims(t, bearer)["auth_identity_id"].(string)
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				tickets []string
			)
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					r, err := a.post("", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "racing@example.com", "password": pw}})
					if err != nil {
						return
					}
					var out struct {
						Data struct {
							Authenticate ticketPayload `json:"authenticate"`
						} `json:"data"`
					}
					if json.Unmarshal(r.raw, &out) == nil && out.Data.Authenticate.Ticket != nil {
						mu.Lock()
						tickets = append(tickets, out.Data.Authenticate.Ticket.AccessToken)
						mu.Unlock()
					}
				}()
			}
			if p := a.deleteAccount(t, bearer, nil); !p.Deleted {
				t.Fatalf("deleteAccount: %+v", p.Errors)
			}
			wg.Wait()
			if n := countWhere(t, db, "auth_session", "auth_identity_id = ?", authID); n != 0 {
				t.Fatalf("%d sessions survived the deletion", n)
			}
			for _, tk := range tickets {
				a.wantUnauthenticated(t, tk, currentQ, "REVOKED")
			}
		})
	})
}

func TestDeletionGrace(t *testing.T) {
	const pw = "correct horse battery"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := deletionAPI(t, db, 48*time.Hour)
		bearer, c := a.signUpCustomer(t, "maybe@example.com")
		other := mustTicket(t, a.authenticate(t, "CUSTOMER", "maybe@example.com", pw))

		p := a.deleteAccount(t, bearer, nil)
		if p.Deleted || p.ScheduledFor == nil || len(p.Errors) > 0 {
			t.Fatalf("deleteAccount: %+v", p)
		}
		wantError(t, a.rotate(t, *other.RefreshToken).Errors, "TOKEN_INVALID")
		// Signing in cancels it.
		back := mustTicket(t, a.authenticate(t, "CUSTOMER", "maybe@example.com", pw))
		if n := len(a.events(t, gatehouse.EventCustomerDeletionCancelled)); n != 1 {
			t.Fatalf("%d customer.deletion_cancelled events, want 1", n)
		}
		a.Clock.Advance(49 * time.Hour)
		if n, err := a.Service.RunDueDeletions(t.Context(), a.Clock.Now(), 10); err != nil || n != 0 {
			t.Fatalf("RunDueDeletions after a cancel: %d, %v", n, err)
		}
		// Asked again and left alone, it is carried out when due.
		fresh := mustTicket(t, a.rotate(t, *back.RefreshToken))
		if p := a.deleteAccount(t, fresh.AccessToken, pw); p.ScheduledFor == nil {
			t.Fatalf("deleteAccount: %+v", p)
		}
		a.Clock.Advance(47 * time.Hour)
		if n, _ := a.Service.RunDueDeletions(t.Context(), a.Clock.Now(), 10); n != 0 {
			t.Fatalf("%d deletions before they were due", n)
		}
		a.Clock.Advance(2 * time.Hour)
		if n, err := a.Service.RunDueDeletions(t.Context(), a.Clock.Now(), 10); err != nil || n != 1 {
			t.Fatalf("RunDueDeletions: %d, %v", n, err)
		}
		if n := countWhere(t, db, "customer", "id = ? AND deleted_at IS NOT NULL AND email IS NULL", c.ID); n != 1 {
			t.Fatal("the customer was not deleted")
		}
		wantError(t, a.authenticate(t, "CUSTOMER", "maybe@example.com", pw).Errors, "INVALID_CREDENTIALS")
		if es := a.events(t, gatehouse.EventCustomerDeleted); len(es) != 1 || es[0].Payload["by"] != "schedule" {
			t.Fatalf("customer.deleted events: %+v", es)
		}
	})
}
