package housekeeping_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/authtest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/internal/totp"
)

// boundedDays is N: the workload runs 2N simulated days, and every table
// must hold about as many rows after day 2N as after day N. N is past the
// longest life a row has below (the audit retention, 12 days), so that
// day N is already the steady state.
const boundedDays = 20

// The shortened lifetimes and retentions of the workload: the same rules
// as production, on a scale that reaches its steady state in days.
var (
	boundedLifetimes = func() auth.Lifetimes {
		l := authtest.Lifetimes
		l.SessionIdle = map[gatehouse.ActorType]time.Duration{gatehouse.ActorCustomer: 3 * 24 * time.Hour, gatehouse.ActorUser: 12 * time.Hour}
		// Sessions that keep refreshing outlive the run (the default 90
		// days): only the refresh-token pruner bounds their spent tokens.
		return l
	}()
	boundedOptions = housekeeping.Options{
		EventRetention:     3 * 24 * time.Hour,
		AuditRetention:     12 * 24 * time.Hour,
		AnonymousRetention: 4 * 24 * time.Hour,
		SessionGrace:       24 * time.Hour,
		Interval:           time.Hour,
		Batch:              50,
	}
)

// boundedTables are the tables the workload writes, and the sealed
// secrets (a "table" of the rows whose secrets are still kept).
var boundedTables = []struct{ name, from string }{
	{"refresh_token", "refresh_token"},
	{"auth_session", "auth_session"},
	{"auth_identity", "auth_identity"},
	{"customer", "customer"},
	{"action_token", "action_token"},
	{"rate_bucket", "rate_bucket"},
	{"event_delivery", "event_delivery"},
	{"auth_event", "auth_event"},
	{"auth_event.sealed", "auth_event WHERE sealed IS NOT NULL"},
	{"invite", "invite"},
	{"invite_role", "invite_role"},
	{"mfa_challenge", "mfa_challenge"},
	{"auth_factor", "auth_factor"},
	{"recovery_code", "recovery_code"},
	{"webauthn_challenge", "webauthn_challenge"},
	{"email_code", "email_code"},
	{"email_change", "email_change"},
	{"account_deletion", "account_deletion"},
}

// TestTablesStayBounded drives a shop's traffic through the real service
// for 2N simulated days, with a housekeeping pass every few hours:
// anonymous shoppers (some merged at sign-in), customers signing in,
// refreshing, reusing a stolen token, logging out, failing a password,
// asking for resets; the rate limiter meeting new addresses; the outbox
// delivering (some deliveries dead). No table may grow from day N to day
// 2N beyond a fifth (or 5 rows).
func TestTablesStayBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("TestTablesStayBounded: a long workload; skipped with -short")
	}
	if raceDetector && os.Getenv("GATEHOUSE_BOUNDED_UNDER_RACE") == "" {
		// It counts rows, not goroutines: the race detector makes it five
		// times slower and finds nothing the rest of the suite would not.
		// .ci/run runs it on its own without -race.
		t.Skip("TestTablesStayBounded: skipped under -race (set GATEHOUSE_BOUNDED_UNDER_RACE=1 to run it); .ci/run runs it without")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		env := authtest.New(t, db, func(o *auth.Options) {
			o.Lifetimes = boundedLifetimes
			o.Subscribers = []string{"hook"}
			o.DeletionGrace = 24 * time.Hour
		})
		clock := env.Clock
		o := boundedOptions
		o.Now = clock.Now
		h, err := housekeeping.New(db, o)
		if err != nil {
			t.Fatal(err)
		}
		w := &workload{t: t, db: db, env: env, rng: rand.New(rand.NewPCG(1, 2)), h: h}
		w.registerCustomers(6)
		w.registerSupport()
		w.registerMFA()

		const slots = 4 // a day's quarters
		counts := map[int]map[string]int{}
		for day := 1; day <= 2*boundedDays; day++ {
			for slot := range slots {
				w.slot(ctx, fmt.Sprintf("%d.%d", day, slot))
				clock.Advance(24 * time.Hour / slots)
			}
			if day == boundedDays || day == 2*boundedDays {
				counts[day] = w.count(ctx)
			}
		}
		a, b := counts[boundedDays], counts[2*boundedDays]
		t.Logf("%-18s %8s %8s   (rows after day N=%d and day 2N=%d; purged in all %d)", "table", "day N", "day 2N", boundedDays, 2*boundedDays, w.purged)
		for _, tb := range boundedTables {
			t.Logf("%-18s %8d %8d", tb.name, a[tb.name], b[tb.name])
		}
		for _, tb := range boundedTables {
			bound := max(a[tb.name]/5, 5)
			switch {
			case a[tb.name] == 0 && tb.name != "auth_event.sealed":
				t.Errorf("%s: no rows after day %d: the workload does not exercise it", tb.name, boundedDays)
			case b[tb.name]-a[tb.name] > bound:
				t.Errorf("%s grew from %d rows after day %d to %d after day %d (bound: +%d)", tb.name, a[tb.name], boundedDays, b[tb.name], 2*boundedDays, bound)
			}
		}
		// Bounded is not enough for what a longer retention bounds too
		// (a secret kept as long as its event): nothing may be older than
		// its rule allows, give or take the time between passes.
		now, slack := clock.Now(), 24*time.Hour/slots
		for _, st := range []struct {
			name, where string
			life        time.Duration
		}{
			{"refresh_token", "refresh_token WHERE expires_at < ?", o.SessionGrace},
			{"auth_session", "auth_session WHERE idle_expires_at < ? OR revoked_at < ?", o.SessionGrace},
			{"event_delivery", "event_delivery WHERE state <> 'pending' AND updated_at < ?", o.EventRetention},
			{"auth_event.sealed", "auth_event WHERE sealed IS NOT NULL AND created_at < ?", o.EventRetention},
			{"auth_event", "auth_event WHERE created_at < ?", o.AuditRetention},
			{"invite", "invite WHERE expires_at < ?", o.SessionGrace},
			{"mfa_challenge", "mfa_challenge WHERE expires_at < ?", time.Hour},
			{"auth_factor", "auth_factor WHERE confirmed_at IS NULL AND created_at < ?", store.UnconfirmedFactorTTL},
			{"webauthn_challenge", "webauthn_challenge WHERE expires_at < ?", time.Hour},
			{"email_code", "email_code WHERE expires_at < ?", time.Hour},
			{"email_change", "email_change WHERE revert_expires_at < ?", time.Hour},
			{"account_deletion", "account_deletion WHERE done_at < ? OR cancelled_at < ?", o.SessionGrace},
		} {
			cutoff := now.Add(-st.life - slack)
			args := []any{cutoff}
			if strings.Count(st.where, "?") == 2 {
				args = append(args, cutoff)
			}
			var n int
			if err := db.Bun().NewRaw("SELECT count(*) FROM "+st.where, args...).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				t.Errorf("%s: %d rows kept past their %s", st.name, n, st.life)
			}
		}
		if w.purged == 0 {
			t.Error("no pass deleted anything")
		}
	})
}

// workload is the simulated traffic.
type workload struct {
	t      *testing.T
	db     *store.DB
	env    *authtest.Env
	rng    *rand.Rand
	h      *housekeeping.Housekeeper
	users  []*shopper
	purged int
	// admin invites an agent and impersonates supported every slot.
	admin, supported string
	// mfaSecret is the authenticator app of mfaEmail, who signs in
	// with it every slot and starts an enrollment it abandons.
	mfaEmail, mfaSecret string
}

type shopper struct {
	email         string
	refresh, prev string // the live refresh token, and the one before it
}

const boundedPassword = "correct horse battery staple"

func (w *workload) registerCustomers(n int) {
	w.t.Helper()
	for i := range n {
		u := &shopper{email: fmt.Sprintf("shopper%d@example.com", i)}
		tk, err := w.env.Service.Register(w.t.Context(), auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
			auth.Registration{Email: u.email, Password: boundedPassword})
		if err != nil {
			w.t.Fatal(err)
		}
		u.refresh = *tk.RefreshToken
		w.users = append(w.users, u)
	}
}

// registerSupport creates the admin user of the workload and the customer
// it supports.
func (w *workload) registerSupport() {
	w.t.Helper()
	ctx := w.t.Context()
	w.admin = "ops@example.com"
	if _, err := w.env.Service.CreateAccount(ctx, gatehouse.ActorUser, auth.Account{Email: w.admin, Password: boundedPassword}); err != nil {
		w.t.Fatal(err)
	}
	id, err := w.env.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: "supported@example.com", Password: boundedPassword})
	if err != nil {
		w.t.Fatal(err)
	}
	w.supported = id
}

// registerMFA creates the customer with an authenticator app.
func (w *workload) registerMFA() {
	w.t.Helper()
	ctx := w.t.Context()
	w.mfaEmail = "two-factor@example.com"
	if _, err := w.env.Service.CreateAccount(ctx, gatehouse.ActorCustomer, auth.Account{Email: w.mfaEmail, Password: boundedPassword}); err != nil {
		w.t.Fatal(err)
	}
	a, err := w.env.Service.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
		auth.PasswordCredentials{Email: &w.mfaEmail, Password: ptr(boundedPassword)})
	if err != nil {
		w.t.Fatal(err)
	}
	cred := auth.Credential{Bearer: a.Ticket.AccessToken}
	e, err := w.env.Service.EnrollTOTP(ctx, cred, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	code, err := totp.Code(e.Secret, w.env.Clock.Now())
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := w.env.Service.ConfirmTOTP(ctx, cred, nil, e.FactorID, code); err != nil {
		w.t.Fatal(err)
	}
	w.mfaSecret = e.Secret
	w.env.Clock.Advance(totp.Period) // the confirming code is spent
}

// slot is a quarter of a day's traffic, then a housekeeping pass.
func (w *workload) slot(ctx context.Context, name string) {
	t, svc := w.t, w.env.Service
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("slot %s: %s: %v", name, what, err)
		}
	}
	// Anonymous shoppers: most browse and leave, one refreshes, one
	// signs in and is merged.
	var anon []*gatehouse.Ticket
	for range 3 {
		tk, err := svc.CreateAnonymousShopper(ctx)
		must("anonymous ticket", err)
		anon = append(anon, tk)
	}
	_, err := svc.Rotate(ctx, *anon[0].RefreshToken)
	must("anonymous refresh", err)

	for i, u := range w.users {
		switch p := w.rng.Float64(); {
		case i == 0 || p < 0.3: // signs in again (the first merges a cart)
			cred := auth.Credential{}
			if i == 0 {
				cred.Bearer = anon[1].AccessToken
			}
			a, err := svc.Authenticate(ctx, cred, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
				auth.PasswordCredentials{Email: &u.email, Password: ptr(boundedPassword)})
			must("sign in", err)
			u.prev, u.refresh = u.refresh, *a.Ticket.RefreshToken
			if w.rng.Float64() < 0.1 {
				_, err := svc.Logout(ctx, auth.Credential{Bearer: a.Ticket.AccessToken}, false)
				must("logout", err)
			}
		case p < 0.9: // refreshes
			tk, rotateErr := svc.Rotate(ctx, u.refresh)
			if rotateErr != nil {
				// Its session ended (idle, logged out, revoked for
				// reuse): sign in again.
				a, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
					auth.PasswordCredentials{Email: &u.email, Password: ptr(boundedPassword)})
				must(fmt.Sprintf("sign in after %v", rotateErr), err)
				tk = a.Ticket
			}
			u.prev, u.refresh = u.refresh, *tk.RefreshToken
		case p < 0.95: // a stolen, already rotated token comes back
			if u.prev != "" {
				_, _ = svc.Rotate(ctx, u.prev)
			}
		default: // a wrong password, then a reset
			wrong := "wrong password"
			_, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
				auth.PasswordCredentials{Email: &u.email, Password: &wrong})
			if err == nil {
				t.Fatalf("slot %s: a wrong password signed in", name)
			}
			must("reset", svc.GenerateResetPasswordToken(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, u.email))
		}
	}
	must("reset", svc.GenerateResetPasswordToken(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, w.users[w.rng.IntN(len(w.users))].email))

	// Support: the admin signs in, invites an agent (an invite and its
	// role) and impersonates the supported customer (a short session).
	a, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorUser, gatehouse.ProviderEmailPass,
		auth.PasswordCredentials{Email: &w.admin, Password: ptr(boundedPassword)})
	must("admin sign in", err)
	adm, err := svc.Authorize(ctx, auth.Credential{Bearer: a.Ticket.AccessToken}, gatehouse.PermManageUsers)
	must("authorize", err)
	_, _, err = svc.CreateInvite(ctx, adm, "agent-"+name+"@example.com", []string{"role_support"})
	must("invite", err)
	_, err = svc.ImpersonateCustomer(ctx, adm, w.supported, "slot "+name)
	must("impersonate", err)
	// The supported customer asks for an email change it never confirms.
	sup, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
		auth.PasswordCredentials{Email: ptr("supported@example.com"), Password: ptr(boundedPassword)})
	must("supported sign in", err)
	must("email change", svc.RequestEmailChange(ctx, auth.Credential{Bearer: sup.Ticket.AccessToken}, "", "moving-"+name+"@example.com", ""))
	// It asks for its account to be deleted, and thinks better of it at
	// its next sign-in, within the grace period.
	_, err = svc.DeleteAccount(ctx, auth.Credential{Bearer: sup.Ticket.AccessToken}, "", "")
	must("delete account", err)

	// The customer with a second factor signs in: one challenge it
	// abandons, one it answers; then it starts enrolling another app
	// and leaves it.
	for _, answer := range []bool{false, true} {
		a, err := svc.Authenticate(ctx, auth.Credential{}, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass,
			auth.PasswordCredentials{Email: &w.mfaEmail, Password: ptr(boundedPassword)})
		must("mfa sign in", err)
		if !answer {
			continue
		}
		code, err := totp.Code(w.mfaSecret, w.env.Clock.Now())
		must("totp code", err)
		tk, err := svc.VerifyMFA(ctx, auth.Credential{}, auth.MFAAnswer{ChallengeToken: a.Ticket.MFA.Token, TOTPCode: &code})
		must("verify mfa", err)
		_, err = svc.EnrollTOTP(ctx, auth.Credential{Bearer: tk.AccessToken}, nil)
		must("abandoned enrollment", err)
		// Passkey ceremonies begun and never finished.
		_, err = svc.BeginPasskeyRegistration(ctx, auth.Credential{Bearer: tk.AccessToken}, nil)
		must("abandoned passkey registration", err)
		_, err = svc.BeginPasskeySignIn(ctx, gatehouse.ActorCustomer, nil)
		must("abandoned passkey sign-in", err)
		// Email codes asked for, for an address with an account and one
		// without, never used.
		must("email code", svc.RequestEmailCode(ctx, gatehouse.ActorCustomer, w.mfaEmail))
		must("email code, new address", svc.RequestEmailCode(ctx, gatehouse.ActorCustomer, "window-shopper-"+name+"@example.com"))
	}

	// The rate limiter meets addresses it never saw.
	now := w.env.Clock.Now()
	for i := range 5 {
		_, err := w.db.RateLimiter().Take(ctx, now, ratelimit.Take{Key: fmt.Sprintf("ip:%s:%d", name, i), Rate: ratelimit.Rate{Burst: 5, Per: time.Minute}})
		must("rate limit", err)
	}

	// The outbox delivers what is owed; one in ten dies.
	var owed []string
	must("list owed", w.db.Bun().NewRaw("SELECT event_id FROM event_delivery WHERE state = 'pending'").Scan(ctx, &owed))
	for _, id := range owed {
		if w.rng.IntN(10) == 0 {
			must("dead", w.env.Store.Failed(ctx, id, "hook", "boom", now, true, now))
		} else {
			must("delivered", w.env.Store.Delivered(ctx, id, "hook", now))
		}
	}

	r, err := w.h.Pass(ctx)
	must("housekeeping pass", err)
	if !r.Ran {
		t.Fatalf("slot %s: the pass did not run (the only instance, due every hour)", name)
	}
	w.purged += r.Total()
}

func (w *workload) count(ctx context.Context) map[string]int {
	out := map[string]int{}
	for _, tb := range boundedTables {
		var n int
		if err := w.db.Bun().NewRaw("SELECT count(*) FROM "+tb.from).Scan(ctx, &n); err != nil {
			w.t.Fatalf("count %s: %v", tb.name, err)
		}
		out[tb.name] = n
	}
	return out
}

func ptr[T any](v T) *T { return &v }
