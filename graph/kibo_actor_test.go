package graph_test

import (
	"bytes"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// TestKiboTicketsAreForShoppers: Kibo's ticket mutations are the shopper
// API. An admin user's credentials answer exactly as a wrong password,
// and an admin user's refresh token is TOKEN_INVALID and stays usable
// where it belongs (refreshToken), so nothing was rotated.
func TestKiboTicketsAreForShoppers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		a.admin(t) // root@example.com
		for _, tc := range []struct {
			name  string
			input map[string]any
		}{
			{"admin credentials", map[string]any{"emailAddress": "root@example.com", "password": "the first admin passphrase"}},
			{"admin email, wrong password", map[string]any{"emailAddress": "root@example.com", "password": "not the passphrase"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				admin := a.do(t, "", userTicketQ, map[string]any{"input": tc.input})
				unknown := a.do(t, "", userTicketQ, map[string]any{"input": map[string]any{"emailAddress": "nobody@example.com", "password": "not the passphrase"}})
				var p kiboPayload
				admin.decode(t, "createUserAuthTicket", &p)
				wantError(t, p.Errors, "INVALID_CREDENTIALS")
				if !bytes.Equal(bytes.ReplaceAll(admin.raw, []byte("root@example.com"), nil), bytes.ReplaceAll(unknown.raw, []byte("nobody@example.com"), nil)) {
					t.Fatalf("answers differ:\n%s\n%s", admin.raw, unknown.raw)
				}
			})
		}

		t.Run("admin refresh token", func(t *testing.T) {
			tk := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase"))
			if tk.RefreshToken == nil {
				t.Fatal("no refresh token")
			}
			wantError(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": *tk.RefreshToken}).Errors, "TOKEN_INVALID")
			// Not rotated, not taken for reuse: the user API still
			// rotates it once.
			next := mustTicket(t, a.rotate(t, *tk.RefreshToken))
			if next.ActorType != "USER" {
				t.Fatalf("rotated = %+v", next)
			}
		})

		t.Run("shopper refresh token", func(t *testing.T) {
			a.signUpCustomer(t, "shopper@example.com")
			first := mustKibo(t, a.kibo(t, "", userTicketQ, "createUserAuthTicket", map[string]any{"input": map[string]any{"emailAddress": "shopper@example.com", "password": "correct horse battery"}}))
			mustKibo(t, a.kibo(t, "", refreshKiboQ, "refreshUserAuthTicket", map[string]any{"t": *first.RefreshToken}))
		})
	})
}
