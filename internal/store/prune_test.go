package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/clocktest"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/housekeeping"
	"github.com/gatehouse/gatehouse/internal/ratelimit"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The retention the pruner tests use: the defaults.
const (
	pruneGrace     = housekeeping.DefaultSessionGrace
	pruneEvents    = housekeeping.DefaultEventRetention
	pruneAudit     = housekeeping.DefaultAuditRetention
	pruneAnonymous = housekeeping.DefaultAnonymousRetention
	tick           = time.Microsecond // the databases' resolution
)

// pruneRow is one row a case creates, and whether a pass must delete it:
// it is present while `SELECT count(*) FROM table WHERE where` (arg) is 1.
type pruneRow struct {
	table, where, arg string
	gone              bool
	// line is the report's line that counts it, when not table.
	line string
}

func row(table, key, arg string, gone bool) pruneRow {
	return pruneRow{table: table, where: key + " = ?", arg: arg, gone: gone}
}

// present reports whether r is still there.
func present(t *testing.T, db *store.DB, r pruneRow) bool {
	t.Helper()
	var n int
	if err := db.Bun().NewRaw("SELECT count(*) FROM "+r.table+" WHERE "+r.where, r.arg).Scan(t.Context(), &n); err != nil {
		t.Fatalf("look for %s %s: %v", r.table, r.arg, err)
	}
	return n == 1
}

// TestPruners creates, for every rule, rows just past and just short of
// its boundary, runs a dry run and a pass at now, and checks that exactly
// the rows past it are gone, and that the pass and the dry run counted
// each table exactly.
func TestPruners(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := t.Context()
		s := store.New(db)
		now := t0.Add(400 * 24 * time.Hour)
		f := &pruneFixture{t: t, db: db, s: s, now: now}

		cases := []struct {
			name string
			make func() []pruneRow
		}{
			{"refresh token expired past the grace", func() []pruneRow { return f.token(now.Add(-pruneGrace-tick), true) }},
			{"refresh token expired within the grace", func() []pruneRow { return f.token(now.Add(-pruneGrace), false) }},
			{"session idle past the grace, with its tokens", func() []pruneRow { return f.session(now.Add(-pruneGrace-tick), nil, true) }},
			{"session idle within the grace", func() []pruneRow { return f.session(now.Add(-pruneGrace), nil, false) }},
			{"session revoked past the grace, with its unexpired token", func() []pruneRow {
				return f.session(now.Add(time.Hour), ptr(now.Add(-pruneGrace-tick)), true)
			}},
			{"session revoked within the grace", func() []pruneRow { return f.session(now.Add(time.Hour), ptr(now.Add(-pruneGrace)), false) }},
			{"action token expired past the grace", func() []pruneRow { return f.actionToken(now.Add(-pruneGrace-tick), nil, true) }},
			{"action token expired within the grace", func() []pruneRow { return f.actionToken(now.Add(-pruneGrace), nil, false) }},
			{"action token used past the grace", func() []pruneRow {
				return f.actionToken(now.Add(time.Hour), ptr(now.Add(-pruneGrace-tick)), true)
			}},
			{"action token used within the grace", func() []pruneRow { return f.actionToken(now.Add(time.Hour), ptr(now.Add(-pruneGrace)), false) }},
			{"invite expired past the grace", func() []pruneRow { return f.invite(now.Add(-pruneGrace-tick), true) }},
			{"invite expired within the grace", func() []pruneRow { return f.invite(now.Add(-pruneGrace), false) }},
			{"invite pending", func() []pruneRow { return f.invite(now.Add(time.Hour), false) }},
			{"oauth state expired over an hour ago", func() []pruneRow { return f.oauthState(now.Add(-time.Hour-tick), true) }},
			{"oauth state expired an hour ago", func() []pruneRow { return f.oauthState(now.Add(-time.Hour), false) }},
			{"mfa challenge expired over an hour ago", func() []pruneRow { return f.mfaChallenge(now.Add(-time.Hour-tick), true) }},
			{"mfa challenge expired an hour ago", func() []pruneRow { return f.mfaChallenge(now.Add(-time.Hour), false) }},
			{"factor unconfirmed over an hour", func() []pruneRow { return f.factor(now.Add(-store.UnconfirmedFactorTTL-tick), false, true) }},
			{"factor unconfirmed an hour", func() []pruneRow { return f.factor(now.Add(-store.UnconfirmedFactorTTL), false, false) }},
			{"factor confirmed long ago", func() []pruneRow { return f.factor(now.Add(-1000*time.Hour), true, false) }},
			{"webauthn ceremony expired over an hour ago", func() []pruneRow { return f.ceremony(now.Add(-time.Hour-tick), true) }},
			{"webauthn ceremony expired an hour ago", func() []pruneRow { return f.ceremony(now.Add(-time.Hour), false) }},
			{"email code expired over an hour ago", func() []pruneRow { return f.emailCode(now.Add(-time.Hour-tick), true) }},
			{"email code expired an hour ago", func() []pruneRow { return f.emailCode(now.Add(-time.Hour), false) }},
			{"deletion done past the grace", func() []pruneRow { return f.deletion(now.Add(-pruneGrace-tick), "done", true) }},
			{"deletion cancelled past the grace", func() []pruneRow { return f.deletion(now.Add(-pruneGrace-tick), "cancelled", true) }},
			{"deletion done within the grace", func() []pruneRow { return f.deletion(now.Add(-pruneGrace), "done", false) }},
			{"deletion pending long", func() []pruneRow { return f.deletion(now.Add(-1000*time.Hour), "", false) }},
			{"email change past its revert link an hour ago", func() []pruneRow { return f.emailChange(now.Add(-time.Hour-tick), true) }},
			{"email change past its revert link under an hour ago", func() []pruneRow { return f.emailChange(now.Add(-time.Hour), false) }},
			{"rate bucket full again", func() []pruneRow { return f.bucket(now.Add(-61*time.Second), true) }},
			{"rate bucket still refilling", func() []pruneRow { return f.bucket(now.Add(-59*time.Second), false) }},
			{"delivered delivery past the event retention", func() []pruneRow {
				return f.delivery("delivered", now.Add(-pruneEvents-tick), true)
			}},
			{"delivered delivery within the event retention", func() []pruneRow { return f.delivery("delivered", now.Add(-pruneEvents), false) }},
			{"dead delivery past the event retention", func() []pruneRow { return f.delivery("dead", now.Add(-pruneEvents-tick), true) }},
			{"dead delivery within the event retention", func() []pruneRow { return f.delivery("dead", now.Add(-pruneEvents), false) }},
			{"pending delivery past the event retention", func() []pruneRow { return f.delivery("pending", now.Add(-pruneEvents-tick), false) }},
			{"sealed secrets past the event retention", func() []pruneRow { return f.sealed(now.Add(-pruneEvents-tick), true) }},
			{"sealed secrets within the event retention", func() []pruneRow { return f.sealed(now.Add(-pruneEvents), false) }},
			{"event past the audit retention", func() []pruneRow { return f.event(now.Add(-pruneAudit-tick), "", true) }},
			{"event within the audit retention", func() []pruneRow { return f.event(now.Add(-pruneAudit), "", false) }},
			{"event past the audit retention still owed", func() []pruneRow { return f.event(now.Add(-pruneAudit-tick), "pending", false) }},
			{"event past the audit retention, delivered lately", func() []pruneRow {
				return f.event(now.Add(-pruneAudit-tick), "delivered", true)
			}},
			{"anonymous shopper idle past the retention", func() []pruneRow { return f.anonymous(now.Add(-pruneAnonymous-tick), anonPlain, true) }},
			{"anonymous shopper active within the retention", func() []pruneRow { return f.anonymous(now.Add(-pruneAnonymous), anonPlain, false) }},
			{"anonymous shopper created within the retention", func() []pruneRow { return f.anonymous(time.Time{}, anonPlain, false) }},
			{"anonymous shopper whose customer changed lately", func() []pruneRow {
				return f.anonymous(now.Add(-pruneAnonymous-tick), anonCustomerChanged, false)
			}},
			{"anonymous shopper with a provider identity", func() []pruneRow {
				return f.anonymous(now.Add(-pruneAnonymous-tick), anonWithProvider, false)
			}},
			{"anonymous shopper whose customer registered", func() []pruneRow {
				return f.anonymous(now.Add(-pruneAnonymous-tick), anonRegistered, false)
			}},
			{"idle identity that is not anonymous", func() []pruneRow {
				return f.anonymous(now.Add(-pruneAnonymous-tick), anonNotAnonymous, false)
			}},
			{"idempotency record expired", func() []pruneRow { return f.idempotency(now.Add(-tick), true) }},
			{"idempotency record live", func() []pruneRow { return f.idempotency(now.Add(tick), false) }},
		}
		rows := make([][]pruneRow, len(cases))
		want := map[string]int{}
		for i, c := range cases {
			rows[i] = c.make()
			for _, r := range rows[i] {
				if !present(t, db, r) {
					t.Fatalf("%s: %s %s not created", c.name, r.table, r.arg)
				}
				if line := r.line; r.gone && line != "" {
					want[line]++
				} else if r.gone {
					want[r.table]++
				}
			}
		}

		clock := clocktest.New(now)
		h, err := housekeeping.New(db, housekeeping.Options{Now: clock.Now, Batch: 2})
		mustNoError(t, err)
		dry, err := h.DryRun(ctx)
		mustNoError(t, err)
		got, err := h.PassNow(ctx)
		mustNoError(t, err)
		if !got.Ran {
			t.Fatal("PassNow did not run")
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				for _, r := range rows[i] {
					if p := present(t, db, r); p == r.gone {
						t.Errorf("%s %s: present = %v, want %v", r.table, r.arg, p, !r.gone)
					}
				}
			})
		}
		t.Run("counts", func(t *testing.T) {
			for _, line := range got.Rows {
				t.Logf("%-20s deleted %3d, dry run %3d, want %3d", line.Table, line.Rows, dry.Of(line.Table), want[line.Table])
			}
			for table, n := range want {
				if got.Of(table) != n || dry.Of(table) != n {
					t.Errorf("%s: pass deleted %d, dry run counted %d, want %d", table, got.Of(table), dry.Of(table), n)
				}
			}
			if got.Total() != dry.Total() || got.Total() == 0 {
				t.Errorf("pass deleted %d rows in all, dry run counted %d", got.Total(), dry.Total())
			}
		})
		t.Run("second pass", func(t *testing.T) {
			again, err := h.PassNow(ctx)
			mustNoError(t, err)
			if !again.Ran || again.Total() != 0 {
				t.Errorf("second pass: ran %v, deleted %v", again.Ran, again.Rows)
			}
		})
	})
}

// pruneFixture creates the rows of TestPruners through the store.
type pruneFixture struct {
	t   *testing.T
	db  *store.DB
	s   *store.Store
	now time.Time
}

func (f *pruneFixture) ctx() context.Context { return f.t.Context() }

// liveSession creates an identity with a session live at now.
func (f *pruneFixture) liveSession() *gatehouse.Session {
	f.t.Helper()
	a, p := newIdentity(gatehouse.ActorCustomer, newID()+"@example.com")
	mustNoError(f.t, f.s.CreateIdentity(f.ctx(), a, p))
	sess := newSession(a.ID)
	sess.IdleExpiresAt, sess.ExpiresAt = f.now.Add(time.Hour), f.now.Add(time.Hour)
	mustNoError(f.t, f.s.CreateSession(f.ctx(), sess))
	return sess
}

func (f *pruneFixture) token(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	sess := f.liveSession()
	rt := newRefreshToken(sess.ID, newID())
	rt.ExpiresAt = expires
	mustNoError(f.t, f.s.CreateRefreshToken(f.ctx(), rt))
	return []pruneRow{row("refresh_token", "id", rt.ID, gone), row("auth_session", "id", sess.ID, false)}
}

// session creates a session idle at idle (revoked at revoked) with a
// refresh token that expires an hour after now (past any grace: only the
// session takes it).
func (f *pruneFixture) session(idle time.Time, revoked *time.Time, gone bool) []pruneRow {
	f.t.Helper()
	a, p := newIdentity(gatehouse.ActorCustomer, newID()+"@example.com")
	mustNoError(f.t, f.s.CreateIdentity(f.ctx(), a, p))
	sess := newSession(a.ID)
	sess.IdleExpiresAt, sess.ExpiresAt, sess.RevokedAt = idle, idle.Add(time.Hour), revoked
	mustNoError(f.t, f.s.CreateSession(f.ctx(), sess))
	rt := newRefreshToken(sess.ID, newID())
	rt.ExpiresAt = f.now.Add(time.Hour)
	mustNoError(f.t, f.s.CreateRefreshToken(f.ctx(), rt))
	return []pruneRow{row("auth_session", "id", sess.ID, gone), row("refresh_token", "id", rt.ID, gone), row("auth_identity", "id", a.ID, false)}
}

func (f *pruneFixture) actionToken(expires time.Time, used *time.Time, gone bool) []pruneRow {
	f.t.Helper()
	at := &gatehouse.ActionToken{ID: newID(), Purpose: gatehouse.PurposePasswordReset, AuthIdentityID: newID(), ProviderIdentityID: newID(),
		ActorType: gatehouse.ActorCustomer, Email: "a@example.com", TokenHash: newID(), CreatedAt: t0, ExpiresAt: expires}
	mustNoError(f.t, f.s.CreateActionToken(f.ctx(), at))
	if used != nil {
		_, err := f.db.Bun().NewRaw("UPDATE action_token SET used_at = ? WHERE id = ?", *used, at.ID).Exec(f.ctx())
		mustNoError(f.t, err)
	}
	return []pruneRow{row("action_token", "id", at.ID, gone)}
}

func (f *pruneFixture) invite(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	inv := newInvite(newID()+"@example.com", newID(), expires)
	mustNoError(f.t, f.s.CreateInvite(f.ctx(), inv))
	return []pruneRow{row("invite", "id", inv.ID, gone)}
}

func (f *pruneFixture) oauthState(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	st := &gatehouse.OAuthState{ID: newID(), ActorType: gatehouse.ActorCustomer, Provider: "google", RedirectURL: "https://shop.example/cb",
		CreatedAt: expires.Add(-10 * time.Minute), ExpiresAt: expires}
	mustNoError(f.t, f.s.CreateOAuthState(f.ctx(), st))
	return []pruneRow{row("oauth_state", "id", st.ID, gone)}
}

// mfaChallenge records a challenge for a new identity that expires at
// expires.
func (f *pruneFixture) mfaChallenge(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	sess := f.liveSession()
	c := &gatehouse.PendingMFA{ID: newID(), TokenHash: newID(), AuthIdentityID: sess.AuthIdentityID, SessionID: newID(),
		Method: gatehouse.ProviderEmailPass, ProviderIdentityID: newID(), CreatedAt: expires.Add(-5 * time.Minute), ExpiresAt: expires}
	mustNoError(f.t, f.s.CreateMFAChallenge(f.ctx(), c))
	return []pruneRow{row("mfa_challenge", "id", c.ID, gone)}
}

// ceremony records a WebAuthn ceremony that expires at expires.
func (f *pruneFixture) ceremony(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	c := &gatehouse.WebAuthnChallenge{ID: newID(), ChallengeHash: newID(), Purpose: gatehouse.WebAuthnSignIn, ActorType: gatehouse.ActorCustomer,
		SessionData: []byte(`{"challenge":"x"}`), CreatedAt: expires.Add(-5 * time.Minute), ExpiresAt: expires}
	mustNoError(f.t, f.s.CreateWebAuthnChallenge(f.ctx(), c))
	return []pruneRow{row("webauthn_challenge", "id", c.ID, gone)}
}

// emailCode records an email code for a new address that expires at
// expires.
func (f *pruneFixture) emailCode(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	c := &gatehouse.EmailCode{ID: newID(), ActorType: gatehouse.ActorCustomer, Email: newID() + "@example.com", CodeHash: newID(),
		CreatedAt: expires.Add(-10 * time.Minute), ExpiresAt: expires}
	mustNoError(f.t, f.s.CreateEmailCode(f.ctx(), c))
	return []pruneRow{row("email_code", "id", c.ID, gone)}
}

// deletion schedules a deletion of a new identity, requested at at and
// then (state "done" or "cancelled") done or cancelled at at.
func (f *pruneFixture) deletion(at time.Time, state string, gone bool) []pruneRow {
	f.t.Helper()
	d := &gatehouse.AccountDeletion{ID: newID(), AuthIdentityID: newID(), ActorType: gatehouse.ActorCustomer, ActorID: newID(),
		RequestedBy: "self", RequestedAt: at, DueAt: at}
	_, err := f.s.ScheduleDeletion(f.ctx(), d)
	mustNoError(f.t, err)
	switch state {
	case "done":
		_, err = f.s.ClaimDeletion(f.ctx(), d.ID, at)
	case "cancelled":
		_, err = f.s.CancelDeletions(f.ctx(), d.AuthIdentityID, at)
	}
	mustNoError(f.t, err)
	return []pruneRow{row("account_deletion", "id", d.ID, gone)}
}

// emailChange records an email change of a new identity whose revert
// link expires at expires.
func (f *pruneFixture) emailChange(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	sess := f.liveSession()
	c := &gatehouse.EmailChange{ID: newID(), AuthIdentityID: sess.AuthIdentityID, ActorType: gatehouse.ActorCustomer,
		OldEmail: newID() + "@example.com", NewEmail: newID() + "@example.com", TokenHash: newID(), RevertTokenHash: newID(),
		CreatedAt: expires.Add(-72 * time.Hour), ExpiresAt: expires.Add(-48 * time.Hour), RevertExpiresAt: expires}
	mustNoError(f.t, f.s.CreateEmailChange(f.ctx(), c))
	return []pruneRow{row("email_change", "id", c.ID, gone)}
}

// factor enrolls a factor for a new identity at created, confirmed or
// not.
func (f *pruneFixture) factor(created time.Time, confirmed, gone bool) []pruneRow {
	f.t.Helper()
	sess := f.liveSession()
	fc := &gatehouse.Factor{ID: newID(), AuthIdentityID: sess.AuthIdentityID, Kind: gatehouse.FactorTOTP, Name: "app", SecretSealed: "sealed", CreatedAt: created}
	mustNoError(f.t, f.s.CreateFactor(f.ctx(), fc))
	if confirmed {
		mustNoError(f.t, f.s.ConfirmFactor(f.ctx(), fc.ID, 1, created))
	}
	return []pruneRow{row("auth_factor", "id", fc.ID, gone)}
}

// bucket takes a bucket of one take a minute at taken: full again a
// minute later.
func (f *pruneFixture) bucket(taken time.Time, gone bool) []pruneRow {
	f.t.Helper()
	key := "ip:" + newID()
	_, err := f.db.RateLimiter().Take(f.ctx(), taken, ratelimit.Take{Key: key, Rate: ratelimit.Rate{Burst: 1, Per: time.Minute}})
	mustNoError(f.t, err)
	return []pruneRow{row("rate_bucket", "key", key, gone)}
}

// appendEvent records an event at created, owed to subscriber "hook"
// unless state is "" (then owed to nobody), the delivery in state since
// settled.
func (f *pruneFixture) appendEvent(created time.Time, sealed, state string, settled time.Time) string {
	f.t.Helper()
	e := &gatehouse.Event{ID: gatehouse.NewID("evt"), Name: gatehouse.EventRefreshTokenReused, AuthIdentityID: newID(),
		ActorType: gatehouse.ActorCustomer, Payload: map[string]any{}, CreatedAt: created}
	var subs []string
	if state != "" {
		subs = []string{"hook"}
	}
	mustNoError(f.t, f.s.AppendEvent(f.ctx(), e, sealed, subs))
	if state != "" {
		_, err := f.db.Bun().NewRaw("UPDATE event_delivery SET state = ?, updated_at = ? WHERE event_id = ?", state, settled, e.ID).Exec(f.ctx())
		mustNoError(f.t, err)
	}
	return e.ID
}

func (f *pruneFixture) delivery(state string, settled time.Time, gone bool) []pruneRow {
	f.t.Helper()
	id := f.appendEvent(f.now.Add(-pruneEvents-time.Hour), "", state, settled)
	return []pruneRow{row("event_delivery", "event_id", id, gone), row("auth_event", "id", id, false)}
}

func (f *pruneFixture) sealed(created time.Time, gone bool) []pruneRow {
	f.t.Helper()
	id := f.appendEvent(created, "sealed-secrets", "pending", created)
	return []pruneRow{
		{table: "auth_event", where: "id = ? AND sealed IS NOT NULL", arg: id, gone: gone, line: "auth_event.sealed"},
		row("auth_event", "id", id, false),
	}
}

func (f *pruneFixture) event(created time.Time, state string, gone bool) []pruneRow {
	f.t.Helper()
	id := f.appendEvent(created, "", state, f.now.Add(-time.Hour))
	rows := []pruneRow{row("auth_event", "id", id, gone)}
	if state != "" {
		rows = append(rows, row("event_delivery", "event_id", id, gone))
	}
	return rows
}

type anonKind int

const (
	anonPlain anonKind = iota
	anonCustomerChanged
	anonWithProvider
	anonRegistered
	anonNotAnonymous
)

// anonymous creates an anonymous shopper (as CreateAnonymousShopper
// does) created long ago and last active at active (never when zero:
// created just within the retention then), with a session and a refresh
// token live long enough for no other pruner to take them.
func (f *pruneFixture) anonymous(active time.Time, kind anonKind, gone bool) []pruneRow {
	f.t.Helper()
	created := f.now.Add(-pruneAnonymous - 24*time.Hour)
	if active.IsZero() {
		created = f.now.Add(-pruneAnonymous)
	}
	c := &gatehouse.Customer{ID: gatehouse.NewID(gatehouse.PrefixCustomer), IsActive: true, IsAnonymous: kind != anonNotAnonymous,
		HasAccount: kind == anonRegistered, Metadata: map[string]any{}, Attributes: []gatehouse.CustomerAttribute{},
		CreatedAt: created, UpdatedAt: created}
	if kind == anonRegistered {
		c.Email = ptr(newID() + "@example.com")
	}
	if kind == anonCustomerChanged {
		c.UpdatedAt = f.now.Add(-pruneAnonymous)
	}
	mustNoError(f.t, f.s.CreateCustomer(f.ctx(), c))
	addr := newAddress(c.ID, "home")
	mustNoError(f.t, f.s.CreateAddress(f.ctx(), addr))
	md := map[string]any{gatehouse.ActorCustomer.MetadataKey(): c.ID, gatehouse.AnonymousKey: true}
	if kind == anonNotAnonymous {
		delete(md, gatehouse.AnonymousKey)
	}
	a := &gatehouse.AuthIdentity{ID: gatehouse.NewID(gatehouse.PrefixAuthIdentity), ActorType: gatehouse.ActorCustomer,
		AppMetadata: md, CreatedAt: created, UpdatedAt: created}
	mustNoError(f.t, f.s.CreateAuthIdentity(f.ctx(), a))
	if kind == anonWithProvider {
		_, p := newIdentity(gatehouse.ActorCustomer, newID()+"@example.com")
		p.AuthIdentityID = a.ID
		mustNoError(f.t, f.s.CreateProviderIdentity(f.ctx(), p))
	}
	rows := []pruneRow{row("auth_identity", "id", a.ID, gone), row("customer", "id", c.ID, gone), row("customer_address", "id", addr.ID, gone)}
	if !active.IsZero() {
		sess := newSession(a.ID)
		sess.CreatedAt, sess.LastActiveAt = created, active
		sess.IdleExpiresAt, sess.ExpiresAt = f.now.Add(time.Hour), f.now.Add(time.Hour)
		mustNoError(f.t, f.s.CreateSession(f.ctx(), sess))
		rt := newRefreshToken(sess.ID, newID())
		rt.CreatedAt, rt.ExpiresAt = active, f.now.Add(time.Hour)
		mustNoError(f.t, f.s.CreateRefreshToken(f.ctx(), rt))
		rows = append(rows, row("auth_session", "id", sess.ID, gone), row("refresh_token", "id", rt.ID, gone))
	}
	return rows
}

// idempotency creates an idempotency record expiring at expires.
func (f *pruneFixture) idempotency(expires time.Time, gone bool) []pruneRow {
	f.t.Helper()
	id := newID()
	_, err := f.db.Bun().NewRaw(`INSERT INTO idempotency_record (id, fingerprint, state, owner, locked_until, created_at, expires_at)
VALUES (?, 'fp', 'done', 'o', ?, ?, ?)`, id, expires, expires.Add(-time.Hour), expires).Exec(f.ctx())
	mustNoError(f.t, err)
	return []pruneRow{row("idempotency_record", "id", id, gone)}
}
