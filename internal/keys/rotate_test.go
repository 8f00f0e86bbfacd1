package keys_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/keys"
)

func TestRotate(t *testing.T) {
	ctx := context.Background()
	st := &memStore{}
	clk := newClock()
	ro := rotateOptions(clk)

	// With no active key there is nothing to hand over from.
	first := mustRotate(t, st, ro)
	if !first.ActivatesAt.Equal(t0) {
		t.Fatalf("first key activates at %v, want at once", first.ActivatesAt)
	}

	clk.Advance(time.Hour)
	second := mustRotate(t, st, ro)
	activation := clk.Now().Add(ro.Delay)
	clk.Advance(time.Minute)
	third := mustRotate(t, st, ro) // rotated again while the second is pending
	thirdActivation := clk.Now().Add(ro.Delay)

	all, err := keys.List(ctx, st, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*keys.Key{}
	for _, k := range all {
		if k.CanSign() {
			t.Errorf("List returned the private half of %s", k.ID)
		}
		byID[k.ID] = k
	}
	for _, tc := range []struct {
		name              string
		k                 *keys.Key
		activates, retire time.Time
	}{
		{"first", byID[first.ID], t0, activation},
		{"second, superseded while pending", byID[second.ID], activation, thirdActivation},
		{"third", byID[third.ID], thirdActivation, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.k.ActivatesAt.Equal(tc.activates) {
				t.Errorf("activates at %v, want %v", tc.k.ActivatesAt, tc.activates)
			}
			if tc.retire.IsZero() {
				if tc.k.RetiredAt != nil || tc.k.ExpiresAt != nil {
					t.Errorf("retired at %v, expires at %v; want neither", tc.k.RetiredAt, tc.k.ExpiresAt)
				}
				return
			}
			if tc.k.RetiredAt == nil || !tc.k.RetiredAt.Equal(tc.retire) {
				t.Errorf("retired at %v, want %v", tc.k.RetiredAt, tc.retire)
			}
			if want := tc.retire.Add(ro.VerifyFor); tc.k.ExpiresAt == nil || !tc.k.ExpiresAt.Equal(want) {
				t.Errorf("expires at %v, want %v", tc.k.ExpiresAt, want)
			}
		})
	}

	// The states over time, as `keys list` shows them.
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{clk.Now(), "active pending pending"},
		{activation, "retired active pending"},
		{thirdActivation, "retired retired active"},
		{activation.Add(ro.VerifyFor), "expired retired active"},
		{thirdActivation.Add(ro.VerifyFor), "expired expired active"},
	} {
		var states []string
		for _, id := range []string{first.ID, second.ID, third.ID} {
			states = append(states, string(byID[id].State(tc.at)))
		}
		if got := strings.Join(states, " "); got != tc.want {
			t.Errorf("states at %v = %s, want %s", tc.at, got, tc.want)
		}
	}

	live, err := keys.List(ctx, st, thirdActivation.Add(ro.VerifyFor))
	if err != nil {
		t.Fatal(err)
	}
	if len(live) != 1 || live[0].ID != third.ID {
		t.Errorf("List(after expiry) = %v, want the third key only", live)
	}
}

func TestRotateRefuses(t *testing.T) {
	clk := newClock()
	for _, tc := range []struct {
		name string
		edit func(*keys.RotateOptions)
		want string
	}{
		{"HS256", func(o *keys.RotateOptions) { o.Alg = keys.HS256 }, "do not live in the database"},
		{"negative delay", func(o *keys.RotateOptions) { o.Delay = -time.Second }, "must not be negative"},
		{"no verification period", func(o *keys.RotateOptions) { o.VerifyFor = 0 }, "verify"},
		{"no KEK", func(o *keys.RotateOptions) { o.KEK = nil }, "key-encryption key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &memStore{}
			o := rotateOptions(clk)
			tc.edit(&o)
			_, err := keys.Rotate(context.Background(), st, o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Rotate: %v, want an error about %q", err, tc.want)
			}
			if len(st.records()) != 0 {
				t.Fatal("Rotate stored a key")
			}
		})
	}
}
