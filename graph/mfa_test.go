package graph_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/internal/totp"
)

const (
	enrollTotpQ  = `mutation($actor: ActorType) { enrollTotp(actor: $actor) { factorId secret otpauthUri qrCode errors { code type message field } } }`
	confirmTotpQ = `mutation($actor: ActorType, $id: ID!, $code: String!) { confirmTotp(actor: $actor, factorId: $id, code: $code) { recoveryCodes errors { code type message field } } }`
	regenerateQ  = `mutation { regenerateRecoveryCodes { recoveryCodes errors { code type message field } } }`
	removeFactQ  = `mutation($id: ID!) { removeFactor(factorId: $id) { removed errors { code type message field } } }`
	verifyMfaQ   = `mutation($input: VerifyMfaInput!) { verifyMfa(input: $input) { mfa { challengeToken } ` + ticketFields + ` } }`
	reauthQ      = `mutation($input: ReauthenticateInput!) { reauthenticate(input: $input) { ` + ticketFields + ` } }`
	mfaAuthQ     = `mutation($actor: ActorType!, $input: AuthenticateInput) { authenticate(actor: $actor, provider: "emailpass", input: $input) { mfa { challengeToken expiresAt factors } ` + ticketFields + ` } }`
	myFactorsQ   = `{ currentCustomer { factors { id kind name createdAt lastUsedAt } } }`
	sessionAALQ  = `{ currentSession(actor: CUSTOMER) { aal amr authenticatedAt } }`
)

type enrollment struct {
	FactorID   *string     `json:"factorId"`
	Secret     *string     `json:"secret"`
	OtpauthURI *string     `json:"otpauthUri"`
	QRCode     *string     `json:"qrCode"`
	Errors     []authError `json:"errors"`
}

type codesPayload struct {
	RecoveryCodes []string    `json:"recoveryCodes"`
	Errors        []authError `json:"errors"`
}

type challengePayload struct {
	Mfa *struct {
		ChallengeToken string   `json:"challengeToken"`
		ExpiresAt      string   `json:"expiresAt"`
		Factors        []string `json:"factors"`
	} `json:"mfa"`
	Ticket *ticket     `json:"ticket"`
	Errors []authError `json:"errors"`
}

// totpAccount is an account with a confirmed authenticator app.
type totpAccount struct {
	email, password string
	actor           string
	factorID        string
	secret          string
	customerID      string
	recovery        []string
}

// code is the account's TOTP code at the test clock's now.
func (a *api) code(t testing.TB, secret string) string {
	t.Helper()
	c, err := totp.Code(secret, a.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrollTOTP enrolls and confirms an authenticator app with bearer's
// session, then moves the clock to the next step, so that the next code
// is not the one the confirmation used.
func (a *api) enrollTOTP(t testing.TB, bearer string) (factorID, secret string, recovery []string) {
	t.Helper()
	var e enrollment
	a.do(t, bearer, enrollTotpQ, nil).decode(t, "enrollTotp", &e)
	if len(e.Errors) > 0 || e.FactorID == nil || e.Secret == nil {
		t.Fatalf("enrollTotp: %+v", e.Errors)
	}
	var c codesPayload
	a.do(t, bearer, confirmTotpQ, map[string]any{"id": *e.FactorID, "code": a.code(t, *e.Secret)}).decode(t, "confirmTotp", &c)
	if len(c.Errors) > 0 || len(c.RecoveryCodes) != 10 {
		t.Fatalf("confirmTotp: %+v, %d codes", c.Errors, len(c.RecoveryCodes))
	}
	a.Clock.Advance(totp.Period)
	return *e.FactorID, *e.Secret, c.RecoveryCodes
}

// mfaCustomer signs up a customer and gives it an authenticator app.
func (a *api) mfaCustomer(t testing.TB, email string) totpAccount {
	t.Helper()
	bearer, c := a.signUpCustomer(t, email)
	id, secret, recovery := a.enrollTOTP(t, bearer)
	return totpAccount{email: email, password: "correct horse battery", actor: "CUSTOMER", factorID: id, secret: secret, recovery: recovery, customerID: c.ID}
}

// challenge signs acc in with its password and returns the challenge.
func (a *api) challenge(t testing.TB, acc totpAccount) string {
	t.Helper()
	var p challengePayload
	a.do(t, "", mfaAuthQ, map[string]any{"actor": acc.actor, "input": map[string]any{"email": acc.email, "password": acc.password}}).decode(t, "authenticate", &p)
	if len(p.Errors) > 0 || p.Ticket != nil || p.Mfa == nil {
		t.Fatalf("authenticate: want a challenge and no ticket, got ticket %v mfa %v errors %+v", p.Ticket, p.Mfa, p.Errors)
	}
	return p.Mfa.ChallengeToken
}

func (a *api) verifyMFA(t testing.TB, bearer string, in map[string]any) ticketPayload {
	t.Helper()
	var p ticketPayload
	a.do(t, bearer, verifyMfaQ, map[string]any{"input": in}).decode(t, "verifyMfa", &p)
	return p
}

func TestTOTPEnrollment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newAPI(t, db)
		bearer, _ := a.signUpCustomer(t, "enroll@example.com")
		other := mustTicket(t, a.authenticate(t, "CUSTOMER", "enroll@example.com", "correct horse battery"))

		var e enrollment
		a.do(t, bearer, enrollTotpQ, nil).decode(t, "enrollTotp", &e)
		if len(e.Errors) > 0 || e.FactorID == nil {
			t.Fatalf("enrollTotp: %+v", e.Errors)
		}
		t.Run("secret, URI and QR code", func(t *testing.T) {
			if len(*e.Secret) != 32 || !strings.HasPrefix(*e.OtpauthURI, "otpauth://totp/gatehouse:enroll@example.com?") ||
				!strings.Contains(*e.OtpauthURI, "secret="+*e.Secret) || !strings.HasPrefix(*e.QRCode, "data:image/png;base64,") {
				t.Fatalf("enrollment = secret %q, uri %q, qr %.40q", *e.Secret, *e.OtpauthURI, *e.QRCode)
			}
		})
		t.Run("not active until confirmed", func(t *testing.T) {
			var me struct{ Factors []map[string]any }
			a.do(t, bearer, myFactorsQ, nil).decode(t, "currentCustomer", &me)
			if len(me.Factors) != 0 {
				t.Fatalf("factors before confirmation: %v", me.Factors)
			}
			mustTicket(t, a.authenticate(t, "CUSTOMER", "enroll@example.com", "correct horse battery"))
		})
		t.Run("wrong code", func(t *testing.T) {
			var c codesPayload
			a.do(t, bearer, confirmTotpQ, map[string]any{"id": *e.FactorID, "code": "000000"}).decode(t, "confirmTotp", &c)
			if err := wantError(t, c.Errors, "INVALID_CREDENTIALS"); !slices.Equal(err.Field, []string{"code"}) || c.RecoveryCodes != nil {
				t.Fatalf("errors = %+v, codes %v", c.Errors, c.RecoveryCodes)
			}
		})
		t.Run("another customer's enrollment", func(t *testing.T) {
			stranger, _ := a.signUpCustomer(t, "stranger@example.com")
			var c codesPayload
			a.do(t, stranger, confirmTotpQ, map[string]any{"id": *e.FactorID, "code": a.code(t, *e.Secret)}).decode(t, "confirmTotp", &c)
			wantError(t, c.Errors, "NOT_FOUND")
		})
		var c codesPayload
		a.do(t, bearer, confirmTotpQ, map[string]any{"id": *e.FactorID, "code": a.code(t, *e.Secret)}).decode(t, "confirmTotp", &c)
		if len(c.Errors) > 0 || len(c.RecoveryCodes) != 10 {
			t.Fatalf("confirmTotp: %+v", c.Errors)
		}
		t.Run("recovery codes are distinct", func(t *testing.T) {
			seen := map[string]bool{}
			for _, rc := range c.RecoveryCodes {
				if len(rc) != 11 || seen[rc] {
					t.Fatalf("recovery codes %v", c.RecoveryCodes)
				}
				seen[rc] = true
			}
		})
		t.Run("stored sealed and hashed", func(t *testing.T) {
			for _, q := range []string{
				"SELECT count(*) FROM auth_factor WHERE secret_sealed LIKE '%" + *e.Secret + "%'",
				"SELECT count(*) FROM recovery_code WHERE code_hash IN ('" + strings.Join(c.RecoveryCodes, "','") + "', '" + strings.ReplaceAll(strings.Join(c.RecoveryCodes, "','"), "-", "") + "')",
			} {
				var n int
				if err := db.Bun().NewRaw(q).Scan(t.Context(), &n); err != nil || n != 0 {
					t.Fatalf("%s = %d (%v), want 0", q, n, err)
				}
			}
		})
		t.Run("confirmed once", func(t *testing.T) {
			var again codesPayload
			a.do(t, bearer, confirmTotpQ, map[string]any{"id": *e.FactorID, "code": a.code(t, *e.Secret)}).decode(t, "confirmTotp", &again)
			wantError(t, again.Errors, "NOT_ALLOWED")
		})
		t.Run("listed", func(t *testing.T) {
			var me struct {
				Factors []struct{ ID, Kind, Name string }
			}
			a.do(t, bearer, myFactorsQ, nil).decode(t, "currentCustomer", &me)
			if len(me.Factors) != 1 || me.Factors[0].ID != *e.FactorID || me.Factors[0].Kind != "TOTP" {
				t.Fatalf("factors = %+v", me.Factors)
			}
		})
		t.Run("other sessions end, this one keeps its level", func(t *testing.T) {
			if e := a.do(t, other.AccessToken, currentQ, nil).topLevel(t); e.Extensions["reason"] != "REVOKED" {
				t.Fatalf("the other session's token: %+v", e)
			}
			var s struct{ Aal string }
			a.do(t, bearer, sessionAALQ, nil).decode(t, "currentSession", &s)
			if s.Aal != "aal1" {
				t.Fatalf("aal = %q, want aal1", s.Aal)
			}
		})
	})
}

func TestMFAChallenge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := eventsAPI(t, db)
		acc := a.mfaCustomer(t, "mfa@example.com")

		t.Run("password alone answers a challenge", func(t *testing.T) {
			var p challengePayload
			a.do(t, "", mfaAuthQ, map[string]any{"actor": "CUSTOMER", "input": map[string]any{"email": acc.email, "password": acc.password}}).decode(t, "authenticate", &p)
			if p.Ticket != nil || p.Mfa == nil || !slices.Equal(p.Mfa.Factors, []string{"TOTP", "RECOVERY_CODE"}) {
				t.Fatalf("authenticate = ticket %v, mfa %+v", p.Ticket, p.Mfa)
			}
			exp, err := time.Parse(time.RFC3339, p.Mfa.ExpiresAt)
			if err != nil || !exp.Equal(a.Clock.Now().Add(5*time.Minute).Truncate(time.Second)) {
				t.Fatalf("expiresAt = %s, want 5 minutes from now", p.Mfa.ExpiresAt)
			}
		})
		t.Run("kibo ticket too", func(t *testing.T) {
			var p challengePayload
			a.do(t, "", `mutation($e: String!, $p: String!) { createUserAuthTicket(input: {emailAddress: $e, password: $p}) { mfa { challengeToken factors } `+ticketFields+` } }`,
				map[string]any{"e": acc.email, "p": acc.password}).decode(t, "createUserAuthTicket", &p)
			if p.Ticket != nil || p.Mfa == nil || p.Mfa.ChallengeToken == "" {
				t.Fatalf("createUserAuthTicket = ticket %v, mfa %+v", p.Ticket, p.Mfa)
			}
		})

		t.Run("right code", func(t *testing.T) {
			ch := a.challenge(t, acc)
			tk := mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": a.code(t, acc.secret)}))
			c := jwtClaims(t, tk.AccessToken)
			if c["aal"] != "aal2" || !slices.Equal(anyStrings(c["amr"]), []string{"pwd", "otp", "mfa"}) {
				t.Fatalf("claims aal %v amr %v", c["aal"], c["amr"])
			}
			var s struct {
				Aal string
				Amr []string
			}
			a.do(t, tk.AccessToken, sessionAALQ, nil).decode(t, "currentSession", &s)
			if s.Aal != "aal2" || !slices.Equal(s.Amr, []string{"pwd", "otp", "mfa"}) {
				t.Fatalf("session = %+v", s)
			}
			refreshed := mustTicket(t, a.rotate(t, *tk.RefreshToken))
			if c := jwtClaims(t, refreshed.AccessToken); c["aal"] != "aal2" {
				t.Fatalf("a refreshed token's aal = %v", c["aal"])
			}
			e := a.events(t, gatehouse.EventLoginSucceeded)
			if last := e[len(e)-1]; last.Payload["session_id"] != tk.SessionID || last.Payload["aal"] != "aal2" {
				t.Fatalf("login event = %v", last.Payload)
			}

			t.Run("replayed token", func(t *testing.T) {
				p := a.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": a.code(t, acc.secret)})
				wantError(t, p.Errors, "TOKEN_INVALID")
			})
			t.Run("replayed code", func(t *testing.T) {
				p := a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "totpCode": a.code(t, acc.secret)})
				if err := wantError(t, p.Errors, "INVALID_CREDENTIALS"); !slices.Equal(err.Field, []string{"input", "totpCode"}) {
					t.Fatalf("error = %+v", err)
				}
			})
		})

		t.Run("expired", func(t *testing.T) {
			a.Clock.Advance(totp.Period)
			ch := a.challenge(t, acc)
			a.Clock.Advance(5*time.Minute + time.Second)
			p := a.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": a.code(t, acc.secret)})
			wantError(t, p.Errors, "TOKEN_EXPIRED")
		})
		t.Run("unknown token", func(t *testing.T) {
			p := a.verifyMFA(t, "", map[string]any{"challengeToken": "not-a-challenge", "totpCode": "123456"})
			wantError(t, p.Errors, "TOKEN_INVALID")
		})
		t.Run("another identity's code", func(t *testing.T) {
			a.Clock.Advance(totp.Period)
			other := a.mfaCustomer(t, "other-mfa@example.com")
			p := a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "totpCode": a.code(t, other.secret)})
			wantError(t, p.Errors, "INVALID_CREDENTIALS")
		})
		t.Run("not exactly one answer", func(t *testing.T) {
			ch := a.challenge(t, acc)
			for name, in := range map[string]map[string]any{
				"none": {"challengeToken": ch},
				"two":  {"challengeToken": ch, "totpCode": "123456", "recoveryCode": acc.recovery[0]},
			} {
				t.Run(name, func(t *testing.T) {
					wantError(t, a.verifyMFA(t, "", in).Errors, "INVALID_INPUT")
				})
			}
		})

		t.Run("recovery code", func(t *testing.T) {
			rc := strings.ToUpper(acc.recovery[0])
			mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "recoveryCode": rc}))
			used := a.events(t, gatehouse.EventRecoveryCodeUsed)
			if len(used) != 1 || used[0].Payload["remaining"] != float64(9) {
				t.Fatalf("recovery events = %d, last %v", len(used), used[len(used)-1].Payload)
			}
			t.Run("used once", func(t *testing.T) {
				p := a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, acc), "recoveryCode": acc.recovery[0]})
				wantError(t, p.Errors, "INVALID_CREDENTIALS")
			})
		})

		t.Run("five wrong answers kill the challenge and lock the account", func(t *testing.T) {
			a.Clock.Advance(time.Hour) // the earlier failures' lock, if any, is over
			fresh := a.mfaCustomer(t, "five@example.com")
			ch := a.challenge(t, fresh)
			for i := range 5 {
				p := a.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": "000000"})
				if wantError(t, p.Errors, "INVALID_CREDENTIALS"); i == 4 && !strings.Contains(p.Errors[0].Message, "last try") {
					t.Fatalf("fifth wrong answer: %+v", p.Errors)
				}
			}
			p := a.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": a.code(t, fresh.secret)})
			wantError(t, p.Errors, "TOKEN_INVALID")
			wantError(t, a.authenticate(t, "CUSTOMER", fresh.email, fresh.password).Errors, "INVALID_CREDENTIALS")
			if n := len(a.events(t, gatehouse.EventMFAFailed)); n < 5 {
				t.Fatalf("%d auth.mfa_failed events, want at least 5", n)
			}
			locked := a.events(t, gatehouse.EventAccountLocked)
			if len(locked) == 0 || locked[len(locked)-1].AuthIdentityID == "" {
				t.Fatal("no auth.account_locked event")
			}
		})

		t.Run("a right password does not count as a wrong one", func(t *testing.T) {
			a.Clock.Advance(time.Hour)
			fresh := a.mfaCustomer(t, "patient@example.com")
			// Abandoned challenges, more than the lockout allows: each
			// right password is taken back.
			for range 6 {
				a.challenge(t, fresh)
			}
			mustTicket(t, a.verifyMFA(t, "", map[string]any{"challengeToken": a.challenge(t, fresh), "totpCode": a.code(t, fresh.secret)}))
		})

		// Racing answers with one code, to one challenge or to several:
		// the challenge is used once, the code too.
		for _, tc := range []struct {
			name       string
			challenges int
		}{{"racing answers to one challenge: one wins", 1}, {"one code racing through four challenges: one wins", 4}} {
			t.Run(tc.name, func(t *testing.T) {
				a.Clock.Advance(totp.Period)
				chs := make([]string, tc.challenges)
				for i := range chs {
					chs[i] = a.challenge(t, acc)
				}
				raceOne(t, a, chs, a.code(t, acc.secret))
			})
		}
	})
}

// raceOne sends the code to the challenges (round robin) from four
// goroutines at once and fails unless exactly one gets a ticket.
func raceOne(t *testing.T, a *api, chs []string, code string) {
	t.Helper()
	var wg sync.WaitGroup
	results := make([]ticketPayload, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Go(func() {
			r, err := a.post("", verifyMfaQ, map[string]any{"input": map[string]any{"challengeToken": chs[i%len(chs)], "totpCode": code}})
			if err == nil {
				var data struct{ VerifyMfa ticketPayload }
				err = json.Unmarshal(r.Data, &data)
				results[i] = data.VerifyMfa
			}
			errs[i] = err
		})
	}
	wg.Wait()
	won := 0
	for i, r := range results {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if r.Ticket != nil {
			won++
		}
	}
	if won != 1 {
		t.Fatalf("%d of 4 racing answers won, want 1: %+v", won, results)
	}
}

// Any instance of a fleet finishes a challenge another began: it is in
// the database, and every instance derives the same keys.
func TestMFAChallengeAcrossInstances(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		first := newAPI(t, db)
		acc := first.mfaCustomer(t, "fleet-mfa@example.com")
		second := newAPI(t, db)
		second.Clock.Set(first.Clock.Now())
		ch := first.challenge(t, acc)
		tk := mustTicket(t, second.verifyMFA(t, "", map[string]any{"challengeToken": ch, "totpCode": second.code(t, acc.secret)}))
		if c := jwtClaims(t, tk.AccessToken); c["aal"] != "aal2" {
			t.Fatalf("aal %v", c["aal"])
		}
		// And the first sees the session the second started.
		if r := first.do(t, tk.AccessToken, sessionAALQ, nil); len(r.Errors) > 0 {
			t.Fatalf("currentSession on the first instance: %s", r.raw)
		}
	})
}

func anyStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i], _ = x.(string)
	}
	return out
}
