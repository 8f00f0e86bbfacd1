package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/gatehouse/gatehouse/internal/password"
)

// Equal work for every account. A failed password check (an unknown
// email or user name, a locked identity, an identity without a usable
// hash, a wrong password) runs one derivation of each kind of hash still
// stored: the account's own hash and a decoy of every other kind (see
// password.Decoys). So an account still on its imported scrypt or bcrypt
// hash costs what an argon2id account costs, and an unknown email what
// both do. The kinds come from the store, which lists them in one
// statement over every identity: RefreshPasswordHashKinds runs it at
// start and in the background, never on a sign-in. Between two refreshes
// a kind met at sign-in or imported here is added at once; a kind whose
// last hash was rehashed stays until the next refresh, which costs a
// derivation and reveals nothing.

// RefreshPasswordHashKinds reloads the kinds of stored password hashes,
// which every failed password check then runs. It runs one statement over
// every identity: call it at start and then every few minutes, not per
// request.
func (s *Service) RefreshPasswordHashKinds(ctx context.Context) error {
	prefixes, err := s.store.PasswordHashPrefixes(ctx)
	if err != nil {
		return fmt.Errorf("list password hash kinds: %w", err)
	}
	d, err := s.hasher.Decoys(prefixes)
	if err != nil {
		return err
	}
	if old := s.decoys.Swap(d); !slices.Equal(old.Kinds(), d.Kinds()) {
		s.logKinds(ctx, "the stored password hash kinds changed", d)
	}
	return nil
}

// PasswordHashKinds lists the kinds of password hash each failed check
// runs, the hasher's own first.
func (s *Service) PasswordHashKinds() []password.Kind {
	return s.decoys.Load().Kinds()
}

// decoysFor returns the decoys to check a password against encoded with:
// the current ones, with encoded's kind added if it is new (imported since
// the last refresh, by another process).
func (s *Service) decoysFor(ctx context.Context, encoded string) *password.Decoys {
	for {
		d := s.decoys.Load()
		more, err := s.hasher.AddKind(d, encoded)
		if err != nil || more == d {
			return d // err: no randomness; the next refresh catches up
		}
		if s.decoys.CompareAndSwap(d, more) {
			s.logKinds(ctx, "a password hash of a kind not seen before", more)
			return more
		}
	}
}

func (s *Service) logKinds(ctx context.Context, msg string, d *password.Decoys) {
	kinds := d.Kinds()
	names := make([]string, len(kinds))
	for i, k := range kinds {
		names[i] = k.String()
	}
	s.log.InfoContext(ctx, msg, "kinds", names, "derivations_per_failed_check", len(kinds))
}
