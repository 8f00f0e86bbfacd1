package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestRegister(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		first := mustTicket(t, a.register(t, "CUSTOMER", "  Shopper@Example.COM ", "correct horse battery", ""))
		if first.ActorID != nil || first.UserID == "" || first.ActorType != "CUSTOMER" || first.RefreshToken == nil || first.SessionID == "" {
			t.Fatalf("registration ticket = %+v", first)
		}
		claims, err := a.Signer.Verify(first.AccessToken)
		if err != nil {
			t.Fatal(err)
		}
		if claims.ActorID != "" || claims.AuthIdentityID != first.UserID || claims.ActorType != "customer" {
			t.Fatalf("claims = %+v", claims)
		}

		for _, tc := range []struct {
			name, actor, email, pw, code string
			field                        []string
		}{
			{"taken email, other case", "CUSTOMER", "shopper@example.com", "another password", "DUPLICATE", []string{"input", "email"}},
			{"missing email", "CUSTOMER", " ", "correct horse battery", "INVALID_INPUT", []string{"input", "email"}},
			{"malformed email", "CUSTOMER", "not-an-email", "correct horse battery", "INVALID_INPUT", []string{"input", "email"}},
			{"display name email", "CUSTOMER", "Bob <bob@example.com>", "correct horse battery", "INVALID_INPUT", []string{"input", "email"}},
			{"seven runes", "CUSTOMER", "short@example.com", "пароль1", "PASSWORD_POLICY", []string{"input", "password"}},
			{"1025 runes", "CUSTOMER", "long@example.com", strings.Repeat("é", 1025), "PASSWORD_POLICY", []string{"input", "password"}},
			{"a common password", "CUSTOMER", "common@example.com", "Password123", "PASSWORD_POLICY", []string{"input", "password"}},
			{"the email as password", "CUSTOMER", "self@example.com", "SELF@example.com", "PASSWORD_POLICY", []string{"input", "password"}},
			{"user without invite", "USER", "admin@example.com", "correct horse battery", "INVALID_INPUT", []string{"input", "inviteToken"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e := wantError(t, a.register(t, tc.actor, tc.email, tc.pw, "").Errors, tc.code)
				if strings.Join(e.Field, ".") != strings.Join(tc.field, ".") {
					t.Fatalf("field = %v, want %v", e.Field, tc.field)
				}
			})
		}

		// Eight multibyte runes are enough.
		t.Run("multibyte runes", func(t *testing.T) {
			mustTicket(t, a.register(t, "CUSTOMER", "runes@example.com", "пароль12", ""))
		})
		t.Run("unknown provider", func(t *testing.T) {
			var p ticketPayload
			a.do(t, "", `mutation { register(actor: CUSTOMER, provider: "myspace", input: {email: "x@example.com", password: "correct horse battery"}) { `+ticketFields+` } }`, nil).decode(t, "register", &p)
			wantError(t, p.Errors, "PROVIDER_NOT_FOUND")
		})
	})
}

func TestSameEmailCustomerAndUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		ctx := context.Background()
		if _, err := a.Service.CreateAccount(ctx, gatehouse.ActorUser, auth.Account{Email: "both@example.com", Password: "admin password 1"}); err != nil {
			t.Fatal(err)
		}
		mustTicket(t, a.register(t, "CUSTOMER", "both@example.com", "customer password", ""))
		user := mustTicket(t, a.authenticate(t, "USER", "both@example.com", "admin password 1"))
		if user.User == nil || user.ActorID == nil {
			t.Fatalf("user ticket = %+v", user)
		}
		// Each actor type has its own password.
		wantError(t, a.authenticate(t, "CUSTOMER", "both@example.com", "admin password 1").Errors, "INVALID_CREDENTIALS")
		mustTicket(t, a.authenticate(t, "CUSTOMER", "both@example.com", "customer password"))
	})
}

func TestAuthenticate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		reg := mustTicket(t, a.register(t, "CUSTOMER", "known@example.com", "correct horse battery", ""))

		t.Run("registration ticket until linked", func(t *testing.T) {
			got := mustTicket(t, a.authenticate(t, "CUSTOMER", "KNOWN@example.com ", "correct horse battery"))
			if got.ActorID != nil || got.UserID != reg.UserID || got.CustomerAccount != nil {
				t.Fatalf("ticket = %+v", got)
			}
		})

		// An unknown email and a wrong password answer byte for byte alike.
		t.Run("unknown email answer", func(t *testing.T) {
			unknown := a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "nobody@example.com", "password": "correct horse battery"}})
			wrong := a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": "known@example.com", "password": "wrong horse battery"}})
			if !bytes.Equal(unknown.raw, wrong.raw) || unknown.status != wrong.status {
				t.Fatalf("answers differ:\n%s\n%s", unknown.raw, wrong.raw)
			}
			var p ticketPayload
			wrong.decode(t, "authenticate", &p)
			if e := wantError(t, p.Errors, "INVALID_CREDENTIALS"); e.Type != "unauthorized" {
				t.Fatalf("type = %q", e.Type)
			}
		})

		// An unknown email and a wrong password do the same hashing work.
		t.Run("hashing work", func(t *testing.T) {
			for _, tc := range []struct{ name, email string }{
				{"unknown email", "nobody@example.com"},
				{"wrong password", "known@example.com"},
				{"malformed email", "not an email"},
			} {
				t.Run(tc.name, func(t *testing.T) {
					before := a.Hasher.Derivations()
					wantError(t, a.authenticate(t, "CUSTOMER", tc.email, "wrong horse battery").Errors, "INVALID_CREDENTIALS")
					if n := a.Hasher.Derivations() - before; n != 1 {
						t.Fatalf("%d key derivations, want 1", n)
					}
				})
			}
		})

		t.Run("wrong actor type", func(t *testing.T) {
			wantError(t, a.authenticate(t, "USER", "known@example.com", "correct horse battery").Errors, "INVALID_CREDENTIALS")
		})

		for _, tc := range []struct {
			name  string
			input map[string]any
			field string
		}{
			{"no input", nil, "input.email"},
			{"no password", map[string]any{"email": "known@example.com"}, "input.password"},
			{"empty password", map[string]any{"email": "known@example.com", "password": ""}, "input.password"},
			{"password over 1024 runes", map[string]any{"email": "known@example.com", "password": strings.Repeat("x", 1025)}, "input.password"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := a.Hasher.Derivations()
				var p ticketPayload
				vars := map[string]any{"actor": "CUSTOMER"}
				if tc.input != nil {
					vars["input"] = tc.input
				}
				a.do(t, "", authQ, vars).decode(t, "authenticate", &p)
				e := wantError(t, p.Errors, "INVALID_INPUT")
				if strings.Join(e.Field, ".") != tc.field {
					t.Fatalf("field = %v", e.Field)
				}
				if a.Hasher.Derivations() != before {
					t.Fatal("refused input must not be hashed")
				}
			})
		}

		t.Run("unknown provider", func(t *testing.T) {
			var p ticketPayload
			a.do(t, "", authQ, map[string]any{"actor": "CUSTOMER", "provider": "google", "input": map[string]any{"email": "known@example.com", "password": "x"}}).decode(t, "authenticate", &p)
			wantError(t, p.Errors, "PROVIDER_NOT_FOUND")
		})
	})
}

func TestLegacyHashUpgradedOnSignIn(t *testing.T) {
	// A real Medusa scrypt-kdf hash of "correct horse battery staple".
	const medusa = "c2NyeXB0AA8AAAAIAAAAAbMS3gcyFMmJSauy4Eu5U+Aji5N5Z/sV64XR4qIF/Xqa6P+DzLdyppZAOjpfNS+CvO2fSipXXDH6W3DTtDe8dzaYGcktD9/fRnVtmYxLJbnj"
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		ctx := context.Background()
		if _, err := a.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "medusa@example.com", PasswordHash: medusa}); err != nil {
			t.Fatal(err)
		}
		wantError(t, a.authenticate(t, "CUSTOMER", "medusa@example.com", "correct horse battery stapler").Errors, "INVALID_CREDENTIALS")
		tk := mustTicket(t, a.authenticate(t, "CUSTOMER", "medusa@example.com", "correct horse battery staple"))
		if tk.CustomerAccount == nil || tk.CustomerAccount.Email != "medusa@example.com" {
			t.Fatalf("ticket = %+v", tk)
		}
		p, err := a.Store.ProviderIdentity(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, "medusa@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(p.PasswordHash(), "$argon2id$") {
			t.Fatalf("hash not upgraded: %.12s…", p.PasswordHash())
		}
		mustTicket(t, a.authenticate(t, "CUSTOMER", "medusa@example.com", "correct horse battery staple"))
	})
}

func TestAuthProviders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		for _, tc := range []struct {
			actor  string
			signUp bool
		}{{"CUSTOMER", true}, {"USER", false}} {
			t.Run(tc.actor, func(t *testing.T) {
				var ps []struct {
					ID            string `json:"id"`
					Kind          string `json:"kind"`
					SignUpAllowed bool   `json:"signUpAllowed"`
				}
				a.do(t, "", `query($a: ActorType!) { authProviders(actor: $a) { id kind displayName signUpAllowed } }`, map[string]any{"a": tc.actor}).decode(t, "authProviders", &ps)
				if len(ps) != 2 || ps[0].ID != "emailpass" || ps[0].Kind != "PASSWORD" || ps[0].SignUpAllowed != tc.signUp ||
					ps[1].ID != "emailcode" || ps[1].Kind != "EMAIL_CODE" || ps[1].SignUpAllowed != tc.signUp {
					b, _ := json.Marshal(ps)
					t.Fatalf("providers = %s", b)
				}
			})
		}
	})
}
