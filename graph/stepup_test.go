package graph_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/graph"
	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/oauth/oauthtest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/internal/totp"
)

const changePasswordQ = `mutation($cur: String!, $new: String!) { changePassword(input: {currentPassword: $cur, newPassword: $new}) { success errors { code field } } }`

// wantReason fails unless r is one top-level FORBIDDEN with reason.
func wantReason(t *testing.T, r *response, reason string) {
	t.Helper()
	if len(r.Errors) != 1 || r.Errors[0].Extensions["code"] != "FORBIDDEN" || r.Errors[0].Extensions["reason"] != reason {
		t.Fatalf("want FORBIDDEN %s, got %s", reason, r.raw)
	}
}

func TestStepUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		enrolling, _ := a.signUpCustomer(t, "stepup@example.com")
		factorID, secret, recovery := a.enrollTOTP(t, enrolling)
		acc := totpAccount{email: "stepup@example.com", password: "correct horse battery", actor: "CUSTOMER", secret: secret}

		t.Run("a session older than the factor keeps aal1 and cannot remove it", func(t *testing.T) {
			wantReason(t, a.do(t, enrolling, removeFactQ, map[string]any{"id": factorID}), "REAUTH_REQUIRED")
			wantReason(t, a.do(t, enrolling, regenerateQ, nil), "REAUTH_REQUIRED")
		})
		a.Clock.Advance(totp.Period)
		tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "totpCode": a.code(t, secret)}))

		t.Run("fresh at aal2: new recovery codes", func(t *testing.T) {
			var p codesPayload
			a.do(t, tk.AccessToken, regenerateQ, nil).decode(t, "regenerateRecoveryCodes", &p)
			if len(p.Errors) > 0 || len(p.RecoveryCodes) != 10 || slices.Contains(p.RecoveryCodes, recovery[1]) {
				t.Fatalf("regenerateRecoveryCodes: %+v", p)
			}
			old := a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "recoveryCode": recovery[1]})
			wantError(t, old.Errors, "INVALID_CREDENTIALS")
			recovery = p.RecoveryCodes
		})

		a.Clock.Advance(11 * time.Minute) // past GATEHOUSE_REAUTH_MAX_AGE; the token lives 15
		t.Run("past the max age", func(t *testing.T) {
			for name, c := range map[string]struct {
				q    string
				vars map[string]any
			}{
				"regenerateRecoveryCodes": {regenerateQ, nil},
				"removeFactor":            {removeFactQ, map[string]any{"id": factorID}},
				"changePassword":          {changePasswordQ, map[string]any{"cur": acc.password, "new": "a whole new passphrase 7"}},
				"enrollTotp":              {enrollTotpQ, nil},
			} {
				t.Run(name, func(t *testing.T) {
					wantReason(t, a.do(t, tk.AccessToken, c.q, c.vars), "REAUTH_REQUIRED")
				})
			}
		})
		t.Run("reauthenticate", func(t *testing.T) {
			var p ticketPayload
			a.do(t, tk.AccessToken, reauthQ, map[string]any{"input": map[string]any{"password": acc.password}}).decode(t, "reauthenticate", &p)
			wantError(t, p.Errors, "NOT_ALLOWED") // the second factor is the highest level
			a.do(t, tk.AccessToken, reauthQ, map[string]any{"input": map[string]any{"totpCode": "000000"}}).decode(t, "reauthenticate", &p)
			wantError(t, p.Errors, "INVALID_CREDENTIALS")
			a.do(t, tk.AccessToken, reauthQ, map[string]any{"input": map[string]any{}}).decode(t, "reauthenticate", &p)
			wantError(t, p.Errors, "INVALID_INPUT")

			a.Clock.Advance(totp.Period)
			a.do(t, tk.AccessToken, reauthQ, map[string]any{"input": map[string]any{"totpCode": a.code(t, secret)}}).decode(t, "reauthenticate", &p)
			fresh := mustTicket(t, p)
			if fresh.SessionID != tk.SessionID || fresh.RefreshToken != nil {
				t.Fatalf("reauthenticate: session %s (want %s), refresh token %v", fresh.SessionID, tk.SessionID, fresh.RefreshToken)
			}
			c := jwtClaims(t, fresh.AccessToken)
			if int64(c["auth_time"].(float64)) != a.Clock.Now().Unix() || c["aal"] != "aal2" {
				t.Fatalf("auth_time %v (want %d), aal %v", c["auth_time"], a.Clock.Now().Unix(), c["aal"])
			}
			if n := len(a.events(t, gatehouse.EventReauthenticated)); n != 1 {
				t.Fatalf("%d auth.reauthenticated events, want 1", n)
			}
			// The session is what counts: the older token of it passes too.
			var rm struct {
				Removed bool
				Errors  []authError
			}
			a.do(t, tk.AccessToken, removeFactQ, map[string]any{"id": factorID}).decode(t, "removeFactor", &rm)
			if !rm.Removed || len(rm.Errors) > 0 {
				t.Fatalf("removeFactor: %+v", rm)
			}
		})
		t.Run("without a factor a password signs in again", func(t *testing.T) {
			mustTicket(t, a.authenticate(t, "CUSTOMER", acc.email, acc.password))
			var n int
			if err := db.Bun().NewRaw("SELECT count(*) FROM recovery_code").Scan(t.Context(), &n); err != nil || n != 0 {
				t.Fatalf("%d recovery codes left (%v), want 0", n, err)
			}
			if es := a.events(t, gatehouse.EventFactorRemoved); len(es) != 1 || es[0].Payload["factor_id"] != factorID {
				t.Fatalf("auth.factor_removed events: %d", len(es))
			}
		})
		t.Run("a single-factor account reauthenticates with its password", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "single@example.com")
			a.Clock.Advance(11 * time.Minute)
			var p ticketPayload
			a.do(t, bearer, reauthQ, map[string]any{"input": map[string]any{"password": "not the password"}}).decode(t, "reauthenticate", &p)
			wantError(t, p.Errors, "INVALID_CREDENTIALS")
			a.do(t, bearer, reauthQ, map[string]any{"input": map[string]any{"password": "correct horse battery"}}).decode(t, "reauthenticate", &p)
			c := jwtClaims(t, mustTicket(t, p).AccessToken)
			if c["aal"] != "aal1" || !slices.Contains(anyStrings(c["amr"]), "pwd") {
				t.Fatalf("aal %v amr %v", c["aal"], c["amr"])
			}
			// Its current password is proof enough to change it, however old the sign-in.
			a.Clock.Advance(time.Hour)
			fresh := mustTicket(t, a.authenticate(t, "CUSTOMER", "single@example.com", "correct horse battery"))
			a.Clock.Advance(11 * time.Minute)
			var cp struct {
				Success bool
				Errors  []authError
			}
			a.do(t, fresh.AccessToken, changePasswordQ, map[string]any{"cur": "correct horse battery", "new": "a whole new passphrase 7"}).decode(t, "changePassword", &cp)
			if !cp.Success {
				t.Fatalf("changePassword: %+v", cp.Errors)
			}
		})
	})
}

func TestAdminRemovesFactor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		root := a.admin(t)
		acc := a.mfaCustomer(t, "lost-phone@example.com")
		t.Run("an admin sees the customer's factors", func(t *testing.T) {
			var c struct{ Factors []struct{ ID string } }
			a.do(t, root, `query($id: ID!) { customer(id: $id) { factors { id } } }`, map[string]any{"id": acc.customerID}).decode(t, "customer", &c)
			if len(c.Factors) != 1 || c.Factors[0].ID != acc.factorID {
				t.Fatalf("customer factors = %+v", c)
			}
		})
		t.Run("another customer cannot", func(t *testing.T) {
			stranger, _ := a.signUpCustomer(t, "nosy@example.com")
			var rm struct{ Errors []authError }
			a.do(t, stranger, removeFactQ, map[string]any{"id": acc.factorID}).decode(t, "removeFactor", &rm)
			wantError(t, rm.Errors, "NOT_FOUND")
		})
		t.Run("nor a viewer", func(t *testing.T) {
			viewer := a.adminWithRoles(t, root, "viewer.mfa@example.com", "role_viewer")
			wantReason(t, a.do(t, viewer, removeFactQ, map[string]any{"id": acc.factorID}), "MISSING_PERMISSION")
		})
		a.adminWithRoles(t, root, "support.mfa@example.com", "role_support")
		t.Run("an admin past the max age must reauthenticate", func(t *testing.T) {
			signed := mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase"))
			a.Clock.Advance(11 * time.Minute)
			// A refreshed token keeps the session's authentication time.
			stale := mustTicket(t, a.rotate(t, *signed.RefreshToken)).AccessToken
			wantReason(t, a.do(t, stale, removeFactQ, map[string]any{"id": acc.factorID}), "REAUTH_REQUIRED")
		})
		t.Run("a support admin removes it, audited", func(t *testing.T) {
			fresh := mustTicket(t, a.authenticate(t, "USER", "support.mfa@example.com", "matrix tulip lantern")).AccessToken
			var rm struct {
				Removed bool
				Errors  []authError
			}
			a.do(t, fresh, removeFactQ, map[string]any{"id": acc.factorID}).decode(t, "removeFactor", &rm)
			if !rm.Removed {
				t.Fatalf("removeFactor: %+v", rm.Errors)
			}
			es := a.events(t, gatehouse.EventAdminFactorRemoved)
			if len(es) != 1 || es[0].Payload["subject_id"] != acc.customerID || es[0].Payload["factor_id"] != acc.factorID {
				t.Fatalf("admin.factor_removed = %d events: %+v", len(es), es)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", acc.email, acc.password))
		})
	})
}

func TestUserMFARequired(t *testing.T) {
	fields := guarded(graph.NewExecutableSchema(graph.Config{}).Schema())
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := buildAPI(t, db, func(o *auth.Options) {
			o.RequireMFA = map[gatehouse.ActorType]bool{gatehouse.ActorUser: true}
		}, nil)
		root := a.admin(t)
		t.Run("at aal1 every admin field is refused", func(t *testing.T) {
			for _, name := range slices.Sorted(mapsKeys(fields)) {
				t.Run(name, func(t *testing.T) {
					wantReason(t, a.do(t, root, strings.ReplaceAll(adminCalls[name], "{role}", "x"), nil), "MFA_REQUIRED")
				})
			}
		})
		t.Run("but the user may read itself", func(t *testing.T) {
			r := a.do(t, root, `{ currentUser { id sessions { id } factors { id } passkeys { id } } currentSession(actor: USER) { aal } }`, nil)
			if len(r.Errors) > 0 || !strings.Contains(string(r.raw), `"aal":"aal1"`) {
				t.Fatalf("reading itself at aal1: %s", r.raw)
			}
		})
		_, secret, _ := a.enrollTOTP(t, root)
		var p ticketPayload
		a.do(t, root, reauthQ, map[string]any{"input": map[string]any{"totpCode": a.code(t, secret)}}).decode(t, "reauthenticate", &p)
		aal2 := mustTicket(t, p).AccessToken
		t.Run("at aal2 the admin fields answer", func(t *testing.T) {
			r := a.do(t, aal2, adminCalls["Query.users"], nil)
			if len(r.Errors) > 0 {
				t.Fatalf("users: %s", r.raw)
			}
		})
		t.Run("customers are not held to it", func(t *testing.T) {
			bearer, _ := a.signUpCustomer(t, "shopper.policy@example.com")
			if r := a.do(t, bearer, currentQ, nil); len(r.Errors) > 0 {
				t.Fatalf("currentCustomer: %s", r.raw)
			}
		})
	})
}

// A third-party sign-in of an account with a second factor gets the
// challenge too, and verifyMfa finishes it with amr fed, otp.
func TestOAuthSignInChallenge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := oauthtest.New(t)
		a := oauthAPI(t, db, fake)
		who := oauthtest.User{Subject: "mfa-1", Email: "fed@example.com", EmailVerified: true, Name: "Fed"}
		reg := mustTicket(t, a.signInWith(t, fake, "CUSTOMER", "oidc-test", who))
		var c customerPayload
		a.do(t, reg.AccessToken, createCustomerQ, map[string]any{"input": map[string]any{"firstName": "Fed"}}).decode(t, "createCustomer", &c)
		bearer := mustTicket(t, a.refresh(t, reg.AccessToken)).AccessToken
		_, secret, _ := a.enrollTOTP(t, bearer)

		fake.SignIn(who)
		q := fake.Authorize(a.startOAuth(t, "CUSTOMER", "oidc-test", shopCallback))
		params := map[string]any{}
		for k := range q {
			params[k] = q.Get(k)
		}
		v, _ := a.verifiers.Load(q.Get("state"))
		var p challengePayload
		a.do(t, "", `mutation($input: ValidateCallbackInput!) { validateCallback(actor: CUSTOMER, provider: "oidc-test", input: $input) { mfa { challengeToken factors } `+ticketFields+` } }`,
			map[string]any{"input": map[string]any{"params": params, "callbackVerifier": v}}).decode(t, "validateCallback", &p)
		if p.Ticket != nil || p.Mfa == nil {
			t.Fatalf("validateCallback: ticket %v, mfa %v, errors %+v", p.Ticket, p.Mfa, p.Errors)
		}
		tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": p.Mfa.ChallengeToken, "totpCode": a.code(t, secret)}))
		if c := jwtClaims(t, tk.AccessToken); !slices.Equal(anyStrings(c["amr"]), []string{"fed", "otp", "mfa"}) {
			t.Fatalf("amr %v", c["amr"])
		}
	})
}

// The admin changes that need a recent authentication: roles,
// deactivation, impersonation.
func TestAdminStepUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		root := a.admin(t)
		a.adminWithRoles(t, root, "staff.stepup@example.com", "role_support")
		var staff struct {
			Users struct{ Nodes []struct{ ID, Email string } }
		}
		a.do(t, root, `{ users(first: 10) { nodes { id email } } }`, nil).decode(t, "users", &staff)
		var staffID string
		for _, u := range staff.Users.Nodes {
			if u.Email == "staff.stepup@example.com" {
				staffID = u.ID
			}
		}
		_, cus := a.signUpCustomer(t, "supported.stepup@example.com")
		refresh := *mustTicket(t, a.authenticate(t, "USER", "root@example.com", "the first admin passphrase")).RefreshToken
		// stale is a token of the session past the max age since its last
		// authentication (access tokens live 10 minutes: a rotated one).
		stale := func() string {
			a.Clock.Advance(11 * time.Minute)
			tk := mustTicket(t, a.rotate(t, refresh))
			refresh = *tk.RefreshToken
			return tk.AccessToken
		}
		for _, tc := range []struct {
			name, query string
			vars        map[string]any
		}{
			{"changing roles", `mutation($id: ID!) { updateUser(id: $id, input: {roleIds: ["role_viewer"]}) { user { id } errors { code } } }`, map[string]any{"id": staffID}},
			{"deactivating", `mutation($id: ID!) { deactivateUser(id: $id) { user { id } errors { code } } }`, map[string]any{"id": staffID}},
			{"impersonating", `mutation($c: ID!) { impersonateCustomer(customerId: $c, reason: "ticket 1") { ticket { accessToken } errors { code } } }`, map[string]any{"c": cus.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				old := stale()
				wantReason(t, a.do(t, old, tc.query, tc.vars), "REAUTH_REQUIRED")
				var p ticketPayload
				a.do(t, old, reauthQ, map[string]any{"input": map[string]any{"password": "the first admin passphrase"}}).decode(t, "reauthenticate", &p)
				fresh := mustTicket(t, p).AccessToken
				if r := a.do(t, fresh, tc.query, tc.vars); len(r.Errors) > 0 {
					t.Fatalf("after reauthenticate: %s", r.raw)
				}
			})
		}
	})
}

// GATEHOUSE_CUSTOMER_MFA=required: a customer's session below aal2 may
// read itself and enroll, nothing else.
func TestCustomerMFARequired(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := buildAPI(t, db, func(o *auth.Options) {
			o.RequireMFA = map[gatehouse.ActorType]bool{gatehouse.ActorCustomer: true}
		}, nil)
		bearer, _ := a.signUpCustomer(t, "policy@example.com")
		if r := a.do(t, bearer, currentQ, nil); len(r.Errors) > 0 {
			t.Fatalf("currentCustomer at aal1: %s", r.raw)
		}
		wantReason(t, a.do(t, bearer, updateCustomerQ, map[string]any{"input": map[string]any{"firstName": "Eve"}}), "MFA_REQUIRED")
		_, secret, _ := a.enrollTOTP(t, bearer)
		var p ticketPayload
		a.do(t, bearer, reauthQ, map[string]any{"input": map[string]any{"totpCode": a.code(t, secret)}}).decode(t, "reauthenticate", &p)
		strong := mustTicket(t, p).AccessToken
		if r := a.do(t, strong, updateCustomerQ, map[string]any{"input": map[string]any{"firstName": "Eve"}}); len(r.Errors) > 0 {
			t.Fatalf("updateCustomer at aal2: %s", r.raw)
		}
	})
}
