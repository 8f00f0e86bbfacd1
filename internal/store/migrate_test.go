package store_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
	"github.com/gatehouse/gatehouse/migrations"
)

// allMigrations names every migration, oldest first, as the embedded
// files do (the same names in both dialects).
var allMigrations = func() []string {
	var names []string
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		fsys, err := migrations.FS(dialect)
		if err != nil {
			panic(err)
		}
		ups, err := fs.Glob(fsys, "*.up.sql")
		if err != nil {
			panic(err)
		}
		var these []string
		for _, f := range ups {
			these = append(these, strings.TrimSuffix(strings.TrimSuffix(f, ".up.sql"), ".tx"))
		}
		if names != nil && !slices.Equal(names, these) {
			panic(fmt.Sprintf("the dialects' migrations differ: %q and %q", names, these))
		}
		names = these
	}
	return names
}()

// newestFirst is allMigrations in the order Rollback rolls them back.
func newestFirst() []string {
	r := slices.Clone(allMigrations)
	slices.Reverse(r)
	return r
}

// tables are the tables the migrations create.
var tables = []string{"auth_identity", "provider_identity", "customer", "customer_address", `"user"`, "invite", "gatehouse_setting",
	"auth_session", "refresh_token", "signing_key", "signing_key_generation", "oauth_state", "auth_event", "event_delivery", "action_token", "rate_bucket", "subscriber", "housekeeping_lease", "idempotency_record",
	"role", "user_role", "invite_role", "webhook_endpoint"}

// eachURL runs fn as a subtest per backend with the URL of a fresh, empty
// database.
func eachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	for _, d := range []struct {
		name string
		url  func(testing.TB) string
	}{
		{"sqlite", storetest.SQLite},
		{"postgres", storetest.Postgres},
	} {
		t.Run("database="+d.name, func(t *testing.T) { fn(t, d.url(t)) })
	}
}

func mustOpenEmpty(t *testing.T, url string) *store.DB {
	t.Helper()
	db, err := store.Open(t.Context(), url)
	mustNoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// wantTables checks that every table of the schema exists, or that none does.
func wantTables(t *testing.T, db *store.DB, exist bool) {
	t.Helper()
	for _, table := range tables {
		_, err := db.Bun().ExecContext(t.Context(), "SELECT count(*) FROM "+table)
		if (err == nil) != exist {
			t.Errorf("table %s: exists = %v, want %v (%v)", table, err == nil, exist, err)
		}
	}
}

func wantPending(t *testing.T, db *store.DB, want []string) {
	t.Helper()
	got, err := db.Pending(t.Context())
	mustNoError(t, err)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pending = %q, want %q", got, want)
	}
	status, err := db.MigrationStatus(t.Context())
	mustNoError(t, err)
	if len(status) != len(allMigrations) {
		t.Fatalf("MigrationStatus lists %d migrations, want %d", len(status), len(allMigrations))
	}
	for i, m := range status {
		if name := m.Name + "_" + m.Comment; name != allMigrations[i] {
			t.Errorf("status[%d] is %s, want %s", i, name, allMigrations[i])
		}
		applied := !slices.Contains(want, allMigrations[i])
		if m.Applied != applied || (m.GroupID > 0) != applied || m.MigratedAt.IsZero() == applied {
			t.Errorf("status[%d] = %+v, want applied %v", i, m, applied)
		}
	}
}

func TestMigrateUpDownUp(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		ctx := t.Context()
		db := mustOpenEmpty(t, url)

		wantPending(t, db, allMigrations)
		wantTables(t, db, false)

		for round := range 2 {
			applied, err := db.Migrate(ctx)
			mustNoError(t, err)
			if !reflect.DeepEqual(applied, allMigrations) {
				t.Fatalf("round %d: Migrate applied %q, want %q", round, applied, allMigrations)
			}
			wantPending(t, db, nil)
			wantTables(t, db, true)
			again, err := db.Migrate(ctx)
			mustNoError(t, err)
			if len(again) != 0 {
				t.Errorf("round %d: second Migrate applied %q, want nothing", round, again)
			}
			fill(t, store.New(db))

			// One migration at a time, newest first, each down
			// migration on the data the ones after it left.
			for i, name := range newestFirst() {
				last, err := db.LastApplied(ctx)
				mustNoError(t, err)
				if last != name {
					t.Fatalf("round %d: LastApplied = %q, want %q", round, last, name)
				}
				rolledBack, err := db.Rollback(ctx, "")
				mustNoError(t, err)
				if rolledBack != name {
					t.Fatalf("round %d: Rollback = %q, want %q", round, rolledBack, name)
				}
				wantPending(t, db, allMigrations[len(allMigrations)-1-i:])
			}
			none, err := db.Rollback(ctx, "")
			mustNoError(t, err)
			if none != "" {
				t.Errorf("round %d: Rollback with nothing applied = %q", round, none)
			}
			wantTables(t, db, false)
		}
	})
}

// fill writes a row to every table, with every foreign key in use, so that
// the down migration has to drop tables holding data.
func fill(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := t.Context()
	a, p := newIdentity(gatehouse.ActorCustomer, "fill@example.com")
	mustNoError(t, s.CreateIdentity(ctx, a, p))
	c := mustCreateCustomer(t, s, newCustomer("fill@example.com"))
	addr := newAddress(c.ID, "home")
	mustNoError(t, s.CreateAddress(ctx, addr))
	c.DefaultBillingAddressID, c.DefaultShippingAddressID = &addr.ID, &addr.ID
	mustNoError(t, s.UpdateCustomer(ctx, c))
	u := newUser("fill@example.com")
	mustNoError(t, s.CreateUser(ctx, u))
	inv := newInvite("fill2@example.com", "hash-fill", t0)
	inv.CreatedBy = &u.ID
	mustNoError(t, s.CreateInvite(ctx, inv))
	role := &gatehouse.Role{ID: "role_fill", Name: "fill", Permissions: []gatehouse.Permission{gatehouse.PermViewAudit}, CreatedAt: t0, UpdatedAt: t0}
	mustNoError(t, s.CreateRole(ctx, role))
	mustNoError(t, s.SetUserRoles(ctx, u.ID, []string{gatehouse.RoleOwner, role.ID}, t0))
	mustNoError(t, s.SetInviteRoles(ctx, inv.ID, []string{role.ID}))
	mustNoError(t, s.CreateWebhookEndpoint(ctx, &gatehouse.WebhookEndpoint{ID: "whep_fill", URL: "https://fill.example.com", CreatedAt: t0, UpdatedAt: t0}, "sealed"))
	_, err := s.InitSetting(ctx, "fill", "yes", t0)
	mustNoError(t, err)
	sess := newSession(a.ID)
	mustNoError(t, s.CreateSession(ctx, sess))
	mustNoError(t, s.CreateRefreshToken(ctx, newRefreshToken(sess.ID, "hash-fill")))
	fillOutbox(t, s, a.ID)
	mustNoError(t, s.RotateSigningKey(ctx, newSigningKey(keys.EdDSA, t0), t0))
}

// Rollback rolls back only the migration its caller named (and showed for
// confirmation): when another is now the last applied, nothing changes.
func TestRollbackNamed(t *testing.T) {
	last := allMigrations[len(allMigrations)-1]
	for _, tc := range []struct {
		name     string
		want     string
		moved    bool
		pendings []string
	}{
		{"the last", last, false, []string{last}},
		{"another", allMigrations[0], true, nil},
		{"unknown", "20000101000000_nothing", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachURL(t, func(t *testing.T, url string) {
				db := mustOpenEmpty(t, url)
				_, err := db.Migrate(t.Context())
				mustNoError(t, err)
				got, err := db.Rollback(t.Context(), tc.want)
				if errors.Is(err, store.ErrMigrationMoved) != tc.moved {
					t.Fatalf("Rollback(%q) = %q, %v; want moved %v", tc.want, got, err, tc.moved)
				}
				if !tc.moved && got != tc.want {
					t.Fatalf("Rollback(%q) = %q", tc.want, got)
				}
				wantPending(t, db, tc.pendings)
			})
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	eachURL(t, func(t *testing.T, url string) {
		dbs := []*store.DB{mustOpenEmpty(t, url), mustOpenEmpty(t, url)}
		applied := make([][]string, len(dbs))
		errs := make([]error, len(dbs))
		var wg sync.WaitGroup
		for i, db := range dbs {
			wg.Go(func() { applied[i], errs[i] = db.Migrate(t.Context()) })
		}
		wg.Wait()
		var all []string
		for i := range dbs {
			mustNoError(t, errs[i])
			all = append(all, applied[i]...)
		}
		if !reflect.DeepEqual(all, allMigrations) {
			t.Errorf("the two Migrate calls applied %q between them, want each migration once: %q", all, allMigrations)
		}
		var recorded int
		mustNoError(t, dbs[0].Bun().NewRaw("SELECT count(*) FROM bun_migrations").Scan(t.Context(), &recorded))
		if recorded != len(allMigrations) {
			t.Errorf("bun_migrations holds %d rows, want %d", recorded, len(allMigrations))
		}
		for _, db := range dbs {
			wantPending(t, db, nil)
		}
	})
}

func TestMigrateInMemory(t *testing.T) {
	db := mustOpenEmpty(t, "sqlite::memory:")
	applied, err := db.Migrate(context.Background())
	mustNoError(t, err)
	if !reflect.DeepEqual(applied, allMigrations) {
		t.Errorf("Migrate applied %q, want %q", applied, allMigrations)
	}
	wantTables(t, db, true)
}
