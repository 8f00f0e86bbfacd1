package graph_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

const (
	beginRegQ    = `mutation { beginPasskeyRegistration { options errors { code message field } } }`
	finishRegQ   = `mutation($c: JSON!, $n: String) { finishPasskeyRegistration(credential: $c, name: $n) { passkey { id name createdAt lastUsedAt backupEligible backedUp } recoveryCodes errors { code message field } } }`
	beginSignInQ = `mutation($email: String) { beginPasskeySignIn(actor: CUSTOMER, email: $email) { options errors { code message field } } }`
	finishSignQ  = `mutation($a: JSON!) { finishPasskeySignIn(assertion: $a) { mfa { challengeToken factors passkeyOptions } ` + ticketFields + ` } }`
	renameQ      = `mutation($id: ID!, $n: String!) { renamePasskey(passkeyId: $id, name: $n) { passkey { id name } errors { code field } } }`
	myPasskeysQ  = `{ currentCustomer { passkeys { id name backupEligible backedUp } factors { id kind } } }`
)

type optionsPayload struct {
	Options map[string]any `json:"options"`
	Errors  []authError    `json:"errors"`
}

type passkeyPayload struct {
	Passkey *struct {
		ID, Name       string
		BackupEligible bool
		BackedUp       bool
		LastUsedAt     *string
	} `json:"passkey"`
	RecoveryCodes []string    `json:"recoveryCodes"`
	Errors        []authError `json:"errors"`
}

// begin calls a begin… mutation and returns its options.
func (a *api) begin(t testing.TB, bearer, query, field string, vars map[string]any) map[string]any {
	t.Helper()
	var p optionsPayload
	a.do(t, bearer, query, vars).decode(t, field, &p)
	if len(p.Errors) > 0 || p.Options == nil {
		t.Fatalf("%s: %+v", field, p.Errors)
	}
	return p.Options
}

// registerPasskey registers the authenticator's passkey for bearer.
func (a *api) registerPasskey(t testing.TB, bearer string, auth *authtest.Authenticator) passkeyPayload {
	t.Helper()
	resp, err := auth.Register(a.begin(t, bearer, beginRegQ, "beginPasskeyRegistration", nil))
	if err != nil {
		t.Fatal(err)
	}
	var p passkeyPayload
	a.do(t, bearer, finishRegQ, map[string]any{"c": resp, "n": "Laptop"}).decode(t, "finishPasskeyRegistration", &p)
	return p
}

type passkeySignIn struct {
	Mfa *struct {
		ChallengeToken string         `json:"challengeToken"`
		Factors        []string       `json:"factors"`
		PasskeyOptions map[string]any `json:"passkeyOptions"`
	} `json:"mfa"`
	Ticket *ticket     `json:"ticket"`
	Errors []authError `json:"errors"`
}

// passkeySignIn signs in with the authenticator, with an email or none.
func (a *api) passkeySignIn(t testing.TB, auth *authtest.Authenticator, email *string) passkeySignIn {
	t.Helper()
	opts := a.begin(t, "", beginSignInQ, "beginPasskeySignIn", map[string]any{"email": email})
	assertion, err := auth.Assert(opts)
	if err != nil {
		t.Fatal(err)
	}
	var p passkeySignIn
	a.do(t, "", finishSignQ, map[string]any{"a": assertion}).decode(t, "finishPasskeySignIn", &p)
	return p
}

func TestPasskeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		const email = "passkey@example.com"
		bearer, _ := a.signUpCustomer(t, email)
		key := authtest.NewAuthenticator()
		key.BackupEligible, key.BackedUp = true, true

		t.Run("creation options", func(t *testing.T) {
			opts := a.begin(t, bearer, beginRegQ, "beginPasskeyRegistration", nil)
			rp, _ := opts["rp"].(map[string]any)
			sel, _ := opts["authenticatorSelection"].(map[string]any)
			if rp["id"] != authtest.RPID || sel["residentKey"] != "required" || opts["challenge"] == "" {
				t.Fatalf("options = %v", opts)
			}
		})
		for _, tc := range []struct {
			name   string
			change func(*authtest.Authenticator)
		}{
			{"registration from another origin", func(k *authtest.Authenticator) { k.Origin = "https://shop.example.evil" }},
			{"registration for another relying party", func(k *authtest.Authenticator) { k.RPID = "evil.example" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				phished := authtest.NewAuthenticator()
				tc.change(phished)
				wantError(t, a.registerPasskey(t, bearer, phished).Errors, "INVALID_CREDENTIALS")
			})
		}

		reg := a.registerPasskey(t, bearer, key)
		if len(reg.Errors) > 0 || reg.Passkey == nil {
			t.Fatalf("finishPasskeyRegistration: %+v", reg.Errors)
		}
		t.Run("registered", func(t *testing.T) {
			if reg.Passkey.Name != "Laptop" || !reg.Passkey.BackupEligible || !reg.Passkey.BackedUp || len(reg.RecoveryCodes) != 10 {
				t.Fatalf("passkey = %+v, %d recovery codes", reg.Passkey, len(reg.RecoveryCodes))
			}
			var me struct {
				Passkeys []struct{ ID string }
				Factors  []struct{ ID, Kind string }
			}
			a.do(t, bearer, myPasskeysQ, nil).decode(t, "currentCustomer", &me)
			if len(me.Passkeys) != 1 || me.Passkeys[0].ID != reg.Passkey.ID || len(me.Factors) != 1 || me.Factors[0].Kind != "PASSKEY" {
				t.Fatalf("currentCustomer = %+v", me)
			}
			if es := a.events(t, gatehouse.EventPasskeyAdded); len(es) != 1 {
				t.Fatalf("%d auth.passkey_added events", len(es))
			}
		})

		t.Run("discoverable sign-in", func(t *testing.T) {
			p := a.passkeySignIn(t, key, nil)
			tk := mustTicket(t, ticketPayload{Ticket: p.Ticket, Errors: p.Errors})
			c := jwtClaims(t, tk.AccessToken)
			if c["aal"] != "aal2" || !slices.Equal(anyStrings(c["amr"]), []string{"hwk", "mfa"}) {
				t.Fatalf("aal %v amr %v", c["aal"], c["amr"])
			}
		})
		t.Run("a registration response is good once", func(t *testing.T) {
			// Adding a second passkey needs aal2: a passkey sign-in gives it.
			strong := mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, nil).Ticket}).AccessToken
			again := authtest.NewAuthenticator()
			resp, err := again.Register(a.begin(t, strong, beginRegQ, "beginPasskeyRegistration", nil))
			if err != nil {
				t.Fatal(err)
			}
			var first, second passkeyPayload
			a.do(t, strong, finishRegQ, map[string]any{"c": resp}).decode(t, "finishPasskeyRegistration", &first)
			a.do(t, strong, finishRegQ, map[string]any{"c": resp}).decode(t, "finishPasskeyRegistration", &second)
			if first.Passkey == nil || first.RecoveryCodes != nil {
				t.Fatalf("second passkey: %+v (no new recovery codes for a second factor)", first)
			}
			wantError(t, second.Errors, "INVALID_CREDENTIALS")
			var rm struct{ Removed bool }
			a.do(t, strong, removeFactQ, map[string]any{"id": first.Passkey.ID}).decode(t, "removeFactor", &rm)
			if !rm.Removed {
				t.Fatal("could not remove the second passkey")
			}
		})
		t.Run("sign-in with an email", func(t *testing.T) {
			e := email
			mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, &e).Ticket})
		})
		t.Run("an unknown email gets options of the same shape", func(t *testing.T) {
			known := a.begin(t, "", beginSignInQ, "beginPasskeySignIn", map[string]any{"email": email})
			unknown := a.begin(t, "", beginSignInQ, "beginPasskeySignIn", map[string]any{"email": "nobody@example.com"})
			ka, _ := known["allowCredentials"].([]any)
			ua, _ := unknown["allowCredentials"].([]any)
			if len(ka) != 1 || len(ua) != 1 {
				t.Fatalf("allowCredentials: known %v, unknown %v", ka, ua)
			}
			again := a.begin(t, "", beginSignInQ, "beginPasskeySignIn", map[string]any{"email": "nobody@example.com"})
			if ua[0].(map[string]any)["id"] != again["allowCredentials"].([]any)[0].(map[string]any)["id"] {
				t.Fatal("an unknown email's made-up credential changes between calls")
			}
		})
		for _, tc := range []struct {
			name   string
			change func(*authtest.Authenticator)
		}{
			{"an assertion from another origin", func(k *authtest.Authenticator) { k.Origin = "https://evil.example" }},
			{"an assertion for another relying party", func(k *authtest.Authenticator) { k.RPID = "evil.example" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				phished := key.Clone()
				tc.change(phished)
				wantError(t, a.passkeySignIn(t, phished, nil).Errors, "INVALID_CREDENTIALS")
			})
		}
		t.Run("a cloned authenticator", func(t *testing.T) {
			clone := key.Clone()
			mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, nil).Ticket})
			wantError(t, a.passkeySignIn(t, clone, nil).Errors, "INVALID_CREDENTIALS")
			es := a.events(t, gatehouse.EventPasskeyCloneSuspected)
			if len(es) != 1 || es[0].Payload["factor_id"] != reg.Passkey.ID {
				t.Fatalf("auth.passkey_clone_suspected: %d events", len(es))
			}
			// The original goes on working.
			mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, nil).Ticket})
		})

		t.Run("without user verification it is one factor", func(t *testing.T) {
			key.UV = false
			defer func() { key.UV = true }()
			p := a.passkeySignIn(t, key, nil)
			if p.Ticket != nil || p.Mfa == nil || !slices.Contains(p.Mfa.Factors, "PASSKEY") || p.Mfa.PasskeyOptions == nil {
				t.Fatalf("finishPasskeySignIn without UV: ticket %v, mfa %+v, errors %+v", p.Ticket, p.Mfa, p.Errors)
			}
		})
		t.Run("a passkey answers a password sign-in's challenge", func(t *testing.T) {
			var r struct {
				Authenticate struct {
					Mfa struct {
						ChallengeToken string
						Factors        []string
						PasskeyOptions map[string]any
					}
				}
			}
			resp := a.do(t, "", `mutation($input: AuthenticateInput) { authenticate(actor: CUSTOMER, provider: "emailpass", input: $input) { mfa { challengeToken factors passkeyOptions } } }`,
				map[string]any{"input": map[string]any{"email": email, "password": "correct horse battery"}})
			if err := json.Unmarshal(resp.Data, &r); err != nil || r.Authenticate.Mfa.PasskeyOptions == nil || !slices.Contains(r.Authenticate.Mfa.Factors, "PASSKEY") {
				t.Fatalf("no passkey options: %s", resp.raw)
			}
			assertion, err := key.Assert(r.Authenticate.Mfa.PasskeyOptions)
			if err != nil {
				t.Fatal(err)
			}
			tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": r.Authenticate.Mfa.ChallengeToken, "passkeyAssertion": assertion}))
			if c := jwtClaims(t, tk.AccessToken); c["aal"] != "aal2" || !slices.Contains(anyStrings(c["amr"]), "hwk") {
				t.Fatalf("aal %v amr %v", c["aal"], c["amr"])
			}
		})

		t.Run("rename", func(t *testing.T) {
			// Registering the second passkey ended the older sessions.
			fresh := mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, nil).Ticket}).AccessToken
			var p passkeyPayload
			a.do(t, fresh, renameQ, map[string]any{"id": reg.Passkey.ID, "n": "Work laptop"}).decode(t, "renamePasskey", &p)
			if p.Passkey == nil || p.Passkey.Name != "Work laptop" {
				t.Fatalf("renamePasskey: %+v", p)
			}
		})
		t.Run("reauthenticate with it, then remove it", func(t *testing.T) {
			tk := mustTicket(t, ticketPayload{Ticket: a.passkeySignIn(t, key, nil).Ticket})
			a.Clock.Advance(11 * time.Minute)
			wantReason(t, a.do(t, tk.AccessToken, removeFactQ, map[string]any{"id": reg.Passkey.ID}), "REAUTH_REQUIRED")
			assertion, err := key.Assert(a.begin(t, "", beginSignInQ, "beginPasskeySignIn", nil))
			if err != nil {
				t.Fatal(err)
			}
			var p ticketPayload
			a.do(t, tk.AccessToken, reauthQ, map[string]any{"input": map[string]any{"passkeyAssertion": assertion}}).decode(t, "reauthenticate", &p)
			mustTicket(t, p)
			var rm struct {
				Removed bool
				Errors  []authError
			}
			a.do(t, tk.AccessToken, removeFactQ, map[string]any{"id": reg.Passkey.ID}).decode(t, "removeFactor", &rm)
			if !rm.Removed {
				t.Fatalf("removeFactor: %+v", rm.Errors)
			}
			if es := a.events(t, gatehouse.EventPasskeyRemoved); len(es) != 2 || es[1].Payload["factor_id"] != reg.Passkey.ID {
				t.Fatalf("%d auth.passkey_removed events, want 2 (the second passkey, then this one)", len(es))
			}
			wantError(t, a.passkeySignIn(t, key, nil).Errors, "INVALID_CREDENTIALS")
		})
	})
}
