package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/internal/gatehouse"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestSettings(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := store.New(db)

		t.Run("missing", func(t *testing.T) {
			_, err := s.Setting(t.Context(), "missing")
			wantCode(t, err, gatehouse.CodeNotFound)
		})

		// The first value stays.
		t.Run("repeated init", func(t *testing.T) {
			ctx := t.Context()
			for _, tc := range []struct{ value, want string }{
				{"first", "first"},
				{"second", "first"},
			} {
				got, err := s.InitSetting(ctx, "key", tc.value, t0)
				mustNoError(t, err)
				if got != tc.want {
					t.Errorf("InitSetting(%q) = %q, want %q", tc.value, got, tc.want)
				}
			}
			got, err := s.Setting(ctx, "key")
			mustNoError(t, err)
			if got != "first" {
				t.Errorf("Setting = %q, want first", got)
			}
		})

		// Racing initializers agree.
		t.Run("racing initializers", func(t *testing.T) {
			ctx := t.Context()
			const racers = 10
			var wg sync.WaitGroup
			got := make([]string, racers)
			errs := make([]error, racers)
			for i := range racers {
				wg.Go(func() {
					got[i], errs[i] = s.InitSetting(ctx, "race", fmt.Sprintf("value-%d", i), t0)
				})
			}
			wg.Wait()
			for i := range racers {
				if errs[i] != nil {
					t.Fatalf("racer %d: %v", i, errs[i])
				}
				if got[i] != got[0] {
					t.Errorf("racer %d got %q, racer 0 got %q", i, got[i], got[0])
				}
			}
			stored, err := s.Setting(ctx, "race")
			mustNoError(t, err)
			if stored != got[0] {
				t.Errorf("stored %q, racers got %q", stored, got[0])
			}
		})
	})
}
