package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/auth"
	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestSQLiteMemoryIsOneDatabase(t *testing.T) {
	db := storetest.MustOpen(t, "sqlite::memory:")
	s := store.New(db)
	c := newCustomer("memory@example.com")

	// Written by one goroutine, read by another: were each connection its
	// own in-memory database, the reader would find no table or no row.
	done := make(chan error)
	go func() { done <- s.CreateCustomer(t.Context(), c) }()
	mustNoError(t, <-done)
	var got *gatehouse.Customer
	go func() {
		var err error
		got, err = s.Customer(t.Context(), c.ID)
		done <- err
	}()
	mustNoError(t, <-done)
	if got.ID != c.ID {
		t.Errorf("read customer %s, want %s", got.ID, c.ID)
	}
	if n := db.Bun().Stats().MaxOpenConnections; n != 1 {
		t.Errorf("MaxOpenConnections = %d, want 1", n)
	}
}

func TestSQLiteConcurrentWriters(t *testing.T) {
	db := storetest.MustOpen(t, storetest.SQLite(t))
	s := store.New(db)
	const writers, writes = 8, 10

	var wg sync.WaitGroup
	errs := make([]error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range writes {
				// Read, then write, in one transaction: the pattern that
				// fails with SQLITE_BUSY when a deferred transaction must
				// upgrade its lock while another writer holds it.
				err := s.Tx(t.Context(), func(tx auth.Store) error {
					if _, err := tx.Addresses(t.Context(), "nobody"); err != nil {
						return err
					}
					c := newCustomer(fmt.Sprintf("w%d-%d@example.com", w, i))
					if err := tx.CreateCustomer(t.Context(), c); err != nil {
						return err
					}
					return tx.CreateAddress(t.Context(), newAddress(c.ID, "home"))
				})
				if err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", w, err)
		}
	}
	var n int
	mustNoError(t, db.Bun().NewRaw("SELECT count(*) FROM customer_address").Scan(t.Context(), &n))
	if n != writers*writes {
		t.Errorf("%d addresses written, want %d", n, writers*writes)
	}
}
