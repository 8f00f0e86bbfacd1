package keys

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// RotateOptions configure Rotate.
type RotateOptions struct {
	// Alg is the new key's algorithm, EdDSA or RS256.
	Alg Alg
	// KEK seals the new key's private half.
	KEK []byte
	// Delay is how long the new key is published before it signs: at
	// least as long as verifiers cache the key set, plus a Ring's reload
	// interval, so that no verifier meets a token signed by a key it has
	// not seen. Zero activates it at once, as after a compromise.
	Delay time.Duration
	// VerifyFor is how long a retired key keeps verifying: the longest
	// access-token lifetime, plus verifiers' clock leeway, plus a Ring's
	// reload interval (a process may sign with a key that long after its
	// retirement before it learns of it).
	VerifyFor time.Duration
	// Now defaults to time.Now.
	Now func() time.Time
}

// Rotate adds a new signing key that activates after o.Delay. Every key
// that would still sign then retires at that moment, and expires
// o.VerifyFor later. When no key is active there is nothing to hand over
// from, and the new key activates at once.
func Rotate(ctx context.Context, st Store, o RotateOptions) (*Key, error) {
	if !o.Alg.Asymmetric() {
		return nil, fmt.Errorf("keys: rotate: %s keys do not live in the database", o.Alg)
	}
	if o.Delay < 0 || o.VerifyFor <= 0 {
		return nil, errors.New("keys: rotate: the delay must not be negative, and retired keys must verify for a while")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	now := o.Now().UTC().Truncate(time.Microsecond) // as the databases keep it
	existing, err := List(ctx, st, now)
	if err != nil {
		return nil, err
	}
	delay := o.Delay
	if !anyActive(existing, now) {
		delay = 0
	}
	k, err := Generate(o.Alg, now)
	if err != nil {
		return nil, err
	}
	k.ActivatesAt = now.Add(delay)
	rec, err := sealedRecord(k, o.KEK)
	if err != nil {
		return nil, err
	}
	if err := st.RotateSigningKey(ctx, rec, k.ActivatesAt.Add(o.VerifyFor)); err != nil {
		return nil, fmt.Errorf("keys: rotate: %w", err)
	}
	return k.publicOnly(), nil
}

func anyActive(ks []*Key, now time.Time) bool {
	for _, k := range ks {
		if k.State(now) == StateActive {
			return true
		}
	}
	return false
}

// List returns the database keys, without their private halves: those not
// expired at now, or every one when now is zero, in order of activation.
func List(ctx context.Context, st Store, now time.Time) ([]*Key, error) {
	recs, err := st.SigningKeys(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("keys: list signing keys: %w", err)
	}
	out := make([]*Key, 0, len(recs))
	for _, rec := range recs {
		k, err := rec.publicKey()
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, nil
}
