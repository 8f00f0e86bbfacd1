package store_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/proctest"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// The store's own statements go through DB.Retry; these tests show it
// on real lookups. PostgreSQL only: a failover (connections dropped, a
// primary demoted to read-only) is PostgreSQL's; SQLite runs the same
// code, with nothing to retry, in every other store test.

// TestStoreReadRetriesLostConnection: after a failover dropped every
// pooled connection, the reads that authenticate a request (a session by
// id, a refresh token by hash with its session and identity, the signing
// keys) succeed on a second attempt; the same read inside a transaction
// is not retried, its transaction gone with its connection.
func TestStoreReadRetriesLostConnection(t *testing.T) {
	dbURL, _, _ := scratchDatabase(t)
	u, _ := url.Parse(dbURL)
	p := proctest.NewProxy(t, u.Host)
	u.Host = p.Addr
	db := storetest.MustOpen(t, u.String())
	var retried []error
	db.OnRetry(func(err error) { retried = append(retried, err) })
	s := store.New(db)
	ctx := t.Context()
	sess := mustSession(t, s, "retry@example.com")
	rt := newRefreshToken(sess.ID, "hash-"+newID())
	mustNoError(t, s.CreateRefreshToken(ctx, rt))

	for _, tc := range []struct {
		name string
		read func() error
	}{
		{"session", func() error { _, err := s.Session(ctx, sess.ID); return err }},
		{"refresh token by hash", func() error { _, _, _, err := s.RefreshTokenSession(ctx, rt.TokenHash); return err }},
		{"signing keys", func() error { _, err := s.SigningKeys(ctx, time.Time{}); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mustNoError(t, db.Ping(ctx)) // a pooled connection, through the proxy
			p.Drop()
			retried = nil
			if err := tc.read(); err != nil || len(retried) != 1 {
				t.Fatalf("error %v after %d retries, want a success on the second attempt", err, len(retried))
			}
		})
	}

	t.Run("in a transaction", func(t *testing.T) {
		retried = nil
		err := s.Tx(ctx, func(tx auth.Store) error {
			if _, err := tx.Session(ctx, sess.ID); err != nil {
				return err
			}
			p.Drop()
			_, err := tx.Session(ctx, sess.ID)
			return err
		})
		wantCode(t, err, gatehouse.CodeUnavailable)
		if len(retried) != 0 {
			t.Fatalf("%d retries inside a transaction, want none", len(retried))
		}
	})
}

// TestStoreWriteRetriesSwitchover: a sign-in's password attempt, a count
// that must not run twice, refused by a server gone read-only (a primary
// demoted in a switchover) runs again on a new connection once the new
// primary takes writes, and is counted once.
func TestStoreWriteRetriesSwitchover(t *testing.T) {
	dbURL, admin, name := scratchDatabase(t)
	db := storetest.MustOpen(t, dbURL)
	s := store.New(db)
	ctx := t.Context()
	a, pi := newIdentity(gatehouse.ActorCustomer, "switch@example.com")
	mustNoError(t, s.CreateIdentity(ctx, a, pi))
	setReadOnly := func(on string) {
		t.Helper()
		if _, err := admin.Exec("ALTER DATABASE " + name + " SET default_transaction_read_only = " + on); err != nil {
			t.Fatal(err)
		}
	}
	db.Bun().DB.SetMaxIdleConns(0) // the read-only default is read at connect
	setReadOnly("on")
	db.Bun().DB.SetMaxIdleConns(2)
	var retried []error
	// The switchover completes between the attempts.
	db.OnRetry(func(err error) { retried = append(retried, err); setReadOnly("off") })
	_, at, err := s.PasswordAttempt(ctx, gatehouse.ActorCustomer, gatehouse.ProviderEmailPass, pi.EntityID, t0)
	if err != nil || len(retried) != 1 {
		t.Fatalf("error %v after %d retries, want a success on the second attempt", err, len(retried))
	}
	if at.Attempts != 1 {
		t.Fatalf("%d attempts counted, want 1", at.Attempts)
	}
}
