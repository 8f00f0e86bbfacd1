package store_test

import (
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/keys"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

// newSigningKey returns a key record activating at activatesAt. The store
// keeps key material as opaque text, so these stand-ins do.
func newSigningKey(alg keys.Alg, activatesAt time.Time) *keys.Record {
	id := newID()
	return &keys.Record{
		ID:             "kid-" + id,
		Alg:            alg,
		PublicKey:      "public-" + id,
		PrivateKey:     "sealed-" + id,
		KEKFingerprint: "fingerprint",
		CreatedAt:      activatesAt,
		ActivatesAt:    activatesAt,
	}
}

func kids(recs []*keys.Record) []string {
	out := []string{}
	for _, r := range recs {
		out = append(out, r.ID)
	}
	return out
}

func TestSigningKeysRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		a := newSigningKey(keys.EdDSA, t0)
		created, err := s.CreateFirstSigningKey(ctx, a, t0)
		mustNoError(t, err)
		if !created {
			t.Fatal("CreateFirstSigningKey on an empty table created nothing")
		}
		b := newSigningKey(keys.RS256, t0.Add(time.Minute))
		mustNoError(t, s.RotateSigningKey(ctx, b, t0.Add(time.Hour)))

		got, err := s.SigningKeys(ctx, t0)
		mustNoError(t, err)
		wantA := *a
		wantA.RetiredAt, wantA.ExpiresAt = ptr(b.ActivatesAt), ptr(t0.Add(time.Hour))
		if len(got) != 2 || !reflect.DeepEqual(got[0], &wantA) || !reflect.DeepEqual(got[1], b) {
			t.Fatalf("SigningKeys =\n%+v\n%+v\nwant\n%+v\n%+v", got[0], got[len(got)-1], &wantA, b)
		}
		if got[0].CreatedAt.Location() != time.UTC || got[0].RetiredAt.Location() != time.UTC {
			t.Error("times are not in UTC")
		}

		for _, tc := range []struct {
			name string
			now  time.Time
			want []string
		}{
			{"every key", time.Time{}, []string{a.ID, b.ID}},
			{"just before the first expires", t0.Add(time.Hour - time.Microsecond), []string{a.ID, b.ID}},
			{"once it has expired", t0.Add(time.Hour), []string{b.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.SigningKeys(ctx, tc.now)
				mustNoError(t, err)
				if !reflect.DeepEqual(kids(got), tc.want) {
					t.Errorf("SigningKeys = %v, want %v", kids(got), tc.want)
				}
			})
		}

		t.Run("duplicate kid", func(t *testing.T) {
			dup := newSigningKey(keys.EdDSA, t0)
			dup.ID = a.ID
			wantCode(t, s.RotateSigningKey(ctx, dup, t0), gatehouse.CodeDuplicate)
			_, err := s.CreateFirstSigningKey(ctx, dup, t0.Add(2*time.Hour))
			wantCode(t, err, gatehouse.CodeDuplicate)
		})
		// An algorithm the schema does not know is an internal error.
		t.Run("unknown algorithm", func(t *testing.T) {
			_, err := s.CreateFirstSigningKey(ctx, newSigningKey("HS256", t0), t0)
			wantCode(t, err, gatehouse.CodeInternal)
		})
	})
}

func TestCreateFirstSigningKey(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T, s *store.Store)
		alg   keys.Alg
		now   time.Time
		want  bool
	}{
		{"empty table", func(*testing.T, *store.Store) {}, keys.EdDSA, t0, true},
		{"an active key", func(t *testing.T, s *store.Store) {
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0), t0))
		}, keys.EdDSA, t0, false},
		{"an active key of another algorithm", func(t *testing.T, s *store.Store) {
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.RS256, t0), t0))
		}, keys.EdDSA, t0, true},
		{"only a pending key", func(t *testing.T, s *store.Store) {
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0.Add(time.Minute)), t0))
		}, keys.EdDSA, t0, true},
		{"an active key retiring later", func(t *testing.T, s *store.Store) {
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0), t0))
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.RS256, t0.Add(time.Minute)), t0.Add(time.Hour)))
		}, keys.EdDSA, t0, false},
		{"a key retired at now", func(t *testing.T, s *store.Store) {
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0.Add(-time.Hour)), t0))
			mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.RS256, t0), t0.Add(time.Hour)))
		}, keys.EdDSA, t0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				s := store.New(db)
				tc.setup(t, s)
				before, err := s.SigningKeys(t.Context(), time.Time{})
				mustNoError(t, err)
				created, err := s.CreateFirstSigningKey(t.Context(), newSigningKey(tc.alg, tc.now), tc.now)
				mustNoError(t, err)
				if created != tc.want {
					t.Fatalf("created = %v, want %v", created, tc.want)
				}
				after, err := s.SigningKeys(t.Context(), time.Time{})
				mustNoError(t, err)
				if n := len(after) - len(before); (n == 1) != tc.want || n > 1 {
					t.Fatalf("%d keys added", n)
				}
			})
		})
	}
}

// TestCreateFirstSigningKeyRace: instances starting at once on an empty
// database create one key between them.
func TestCreateFirstSigningKeyRace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		const racers = 10
		created := make([]bool, racers)
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				created[i], errs[i] = s.CreateFirstSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0), t0)
			})
		}
		wg.Wait()
		winners := 0
		for i := range racers {
			mustNoError(t, errs[i])
			if created[i] {
				winners++
			}
		}
		recs, err := s.SigningKeys(t.Context(), time.Time{})
		mustNoError(t, err)
		if winners != 1 || len(recs) != 1 {
			t.Fatalf("%d racers created a key and %d are stored, want 1 and 1", winners, len(recs))
		}
	})
}

func TestRotateSigningKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)
		ctx := t.Context()
		first := newSigningKey(keys.EdDSA, t0)
		mustNoError(t, s.RotateSigningKey(ctx, first, t0.Add(time.Hour)))
		second := newSigningKey(keys.EdDSA, t0.Add(10*time.Minute))
		mustNoError(t, s.RotateSigningKey(ctx, second, t0.Add(time.Hour)))
		// Rotated again, at once, while the second is pending: the first
		// keeps its earlier retirement, the second is retired before it
		// ever signs.
		third := newSigningKey(keys.RS256, t0.Add(5*time.Minute))
		mustNoError(t, s.RotateSigningKey(ctx, third, t0.Add(2*time.Hour)))

		recs, err := s.SigningKeys(ctx, time.Time{})
		mustNoError(t, err)
		byID := map[string]*keys.Record{}
		for _, r := range recs {
			byID[r.ID] = r
		}
		for _, tc := range []struct {
			name            string
			r               *keys.Record
			retired, expiry *time.Time
		}{
			{"first", byID[first.ID], ptr(t0.Add(5 * time.Minute)), ptr(t0.Add(2 * time.Hour))},
			{"second", byID[second.ID], ptr(t0.Add(5 * time.Minute)), ptr(t0.Add(2 * time.Hour))},
			{"third", byID[third.ID], nil, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if !reflect.DeepEqual(tc.r.RetiredAt, tc.retired) || !reflect.DeepEqual(tc.r.ExpiresAt, tc.expiry) {
					t.Errorf("retired %v expires %v, want %v %v", tc.r.RetiredAt, tc.r.ExpiresAt, tc.retired, tc.expiry)
				}
			})
		}
	})
}

func TestSigningKeysInMemory(t *testing.T) {
	// The write lock comes from the transaction itself: the one
	// connection of :memory: must not wait for a second.
	db := storetest.MustOpen(t, "sqlite::memory:")
	s := store.New(db)
	created, err := s.CreateFirstSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0), t0)
	mustNoError(t, err)
	if !created {
		t.Fatal("nothing created")
	}
	mustNoError(t, s.RotateSigningKey(t.Context(), newSigningKey(keys.EdDSA, t0.Add(time.Minute)), t0.Add(time.Hour)))
}
